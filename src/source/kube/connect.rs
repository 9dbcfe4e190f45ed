//! From a cluster's config entry to a kube client: kubeconfig file and context, timeouts, and
//! exec credential plugins forced to run non-interactively (their stdin/stderr never touch the
//! console's terminal).

use super::collector::Timings;
pub use crate::source::aws::clients::EksEndpoint;
use kube::config::{ExecInteractiveMode, KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;
use std::time::Duration;

/// Where to find a cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    Kubeconfig {
        /// None: `$KUBECONFIG`, then `~/.kube/config`.
        kubeconfig: Option<PathBuf>,
        /// None: the kubeconfig's current context.
        context: Option<String>,
    },
    /// Natively: DescribeCluster and an in-process token, no kubeconfig.
    Eks(EksEndpoint),
}

impl Endpoint {
    pub fn kubeconfig(kubeconfig: Option<PathBuf>, context: Option<String>) -> Endpoint {
        Endpoint::Kubeconfig {
            kubeconfig,
            context,
        }
    }
}

/// A connected client and what the user should know about the connection.
pub struct Connection {
    pub client: kube::Client,
    pub warnings: Vec<String>,
    /// How the cluster's verified identity of us is learnt.
    pub identity: IdentitySource,
}

/// How a connection learns who the cluster verified us as (who approvals and audit entries
/// name; never `$USER`). No `Debug`: nothing about the credentials behind it is ever printed.
#[derive(Clone)]
pub enum IdentitySource {
    /// `authentication.k8s.io/v1` SelfSubjectReview: the username the cluster authenticated.
    SelfSubjectReview,
    /// An EKS cluster reached natively authenticates the token presigned with the scope's AWS
    /// credentials: STS GetCallerIdentity with those same credentials names the IAM ARN.
    Sts {
        client: aws_sdk_sts::Client,
        /// The scope's profile, to name the command that refreshes expired credentials.
        profile: Option<String>,
    },
}

impl IdentitySource {
    /// What is asked, for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            IdentitySource::SelfSubjectReview => "SelfSubjectReview",
            IdentitySource::Sts { .. } => crate::source::aws::sts::WHAT,
        }
    }
}

/// Build a client.
pub async fn connect(endpoint: &Endpoint, timings: &Timings) -> Result<Connection, String> {
    match endpoint {
        Endpoint::Kubeconfig {
            kubeconfig,
            context,
        } => from_kubeconfig(kubeconfig.as_ref(), context.as_ref(), timings).await,
        Endpoint::Eks(eks) => super::eks_connect::connect(eks, timings).await,
    }
}

/// Reading the kubeconfig is file I/O: it runs on the blocking pool.
async fn from_kubeconfig(
    kubeconfig: Option<&PathBuf>,
    context: Option<&String>,
    timings: &Timings,
) -> Result<Connection, String> {
    let path = kubeconfig.cloned();
    let file = path
        .as_ref()
        .map_or_else(|| "kubeconfig".to_string(), |p| p.display().to_string());
    let kubeconfig = tokio::task::spawn_blocking(move || match &path {
        Some(p) => Kubeconfig::read_from(p),
        None => Kubeconfig::read(),
    })
    .await
    .map_err(|e| format!("reading {file}: {e}"))?
    .map_err(|e| format!("{file}: {e}"))?;
    let kubeconfig = non_interactive(kubeconfig);
    let options = KubeConfigOptions {
        context: context.cloned(),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| match context {
            Some(ctx) => format!("{file}, context {ctx:?}: {e}"),
            None => format!("{file}: {e}"),
        })?;
    config.connect_timeout = Some(timings.connect_timeout);
    config.read_timeout = Some(read_timeout(timings));
    identify(&mut config);
    no_hidden_retries(&mut config);
    let mut warnings = Vec::new();
    if config.accept_invalid_certs {
        warnings.push("TLS verification disabled by the kubeconfig".to_string());
    }
    let client = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| format!("{file}: {e}"))?
        .with_layer(&watch_pacing(timings))
        .build();
    Ok(Connection {
        client,
        warnings,
        identity: IdentitySource::SelfSubjectReview,
    })
}

/// A read never pauses longer than a watch may go without a bookmark (plus slack): a dead
/// connection is noticed even where the watch's own stall check is not running.
pub fn read_timeout(timings: &Timings) -> Duration {
    timings.stall_after.max(timings.answer_timeout) + Duration::from_secs(15)
}

/// Every request says it is opsdeck (`User-Agent: opsdeck/<version>`), replacing any agent the
/// kubeconfig's headers set.
pub fn identify(config: &mut kube::Config) {
    use http::header::{HeaderValue, USER_AGENT};
    config.headers.retain(|(name, _)| name != USER_AGENT);
    config.headers.push((
        USER_AGENT,
        HeaderValue::from_static(crate::source::USER_AGENT),
    ));
}

/// No retries hidden inside the client: kube's default retry layer resends a 429/503/504 up to
/// 15 times with a backoff that honours `Retry-After`, so a watch told `504
/// ResourceVersionTooLarge` (a cluster restored behind the same endpoint) reached the watcher
/// only after many seconds, and a 503 looked like a server that does not answer. Every failure
/// goes to the caller at once; the watches back off themselves (`list_watch`).
pub fn no_hidden_retries(config: &mut kube::Config) {
    config.default_retry = false;
}

/// At most one watch start per path per second (sooner with the tests' short backoff caps).
pub fn watch_pacing(timings: &Timings) -> super::pacing::WatchPacing {
    super::pacing::WatchPacing::new(timings.backoff_max.min(Duration::from_secs(1)))
}

/// Exec plugins (e.g. `aws eks get-token`, `kubelogin`) must never prompt on or write to the
/// terminal the console draws on: with interactiveMode Never kube pipes their stdin and
/// captures their stderr.
fn non_interactive(mut kubeconfig: Kubeconfig) -> Kubeconfig {
    for user in &mut kubeconfig.auth_infos {
        if let Some(exec) = user.auth_info.as_mut().and_then(|a| a.exec.as_mut()) {
            exec.interactive_mode = Some(ExecInteractiveMode::Never);
        }
    }
    kubeconfig
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_says_it_is_opsdeck_whatever_the_kubeconfig_set() {
        use http::header::{HeaderValue, USER_AGENT};
        let mut config = kube::Config::new("http://127.0.0.1:1".parse().unwrap());
        config
            .headers
            .push((USER_AGENT, HeaderValue::from_static("kubectl/v1.33")));
        identify(&mut config);
        let agents: Vec<_> = config
            .headers
            .iter()
            .filter(|(n, _)| n == USER_AGENT)
            .map(|(_, v)| v.to_str().unwrap())
            .collect();
        assert_eq!(agents, [concat!("opsdeck/", env!("CARGO_PKG_VERSION"))]);
    }

    const KUBECONFIG: &str = r#"
apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "http://127.0.0.1:1"}
users:
- name: u
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, x]
      interactiveMode: Always
contexts:
- name: ctx
  context: {cluster: c, user: u}
current-context: ctx
"#;

    #[test]
    fn exec_plugins_are_forced_non_interactive() {
        let k = non_interactive(Kubeconfig::from_yaml(KUBECONFIG).unwrap());
        let exec = k.auth_infos[0]
            .auth_info
            .as_ref()
            .unwrap()
            .exec
            .as_ref()
            .unwrap();
        assert_eq!(exec.interactive_mode, Some(ExecInteractiveMode::Never));
    }

    #[tokio::test]
    async fn unknown_context_names_file_and_context() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, KUBECONFIG).unwrap();
        let err = connect(
            &Endpoint::Kubeconfig {
                kubeconfig: Some(path.clone()),
                context: Some("nope".into()),
            },
            &Timings::default(),
        )
        .await
        .err()
        .unwrap();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("\"nope\""), "{err}");
    }

    #[tokio::test]
    async fn missing_file_is_named() {
        let err = connect(
            &Endpoint::Kubeconfig {
                kubeconfig: Some("/nonexistent/kubeconfig".into()),
                context: None,
            },
            &Timings::default(),
        )
        .await
        .err()
        .unwrap();
        assert!(err.contains("/nonexistent/kubeconfig"), "{err}");
    }
}
