//! A kube client for an EKS cluster without a kubeconfig or the `aws` binary: DescribeCluster
//! gives the endpoint and CA, and every request carries a bearer token built in-process from the
//! scope's AWS credentials (`aws::token`). A background task makes a new token before the old
//! one expires; it stops when the client is dropped. Who we are to the cluster is the IAM ARN
//! STS GetCallerIdentity names for those same credentials (`IdentitySource::Sts`).

use super::collector::Timings;
use super::connect::{Connection, IdentitySource};
use crate::source::aws::clients::{self, EksEndpoint};
use crate::source::aws::{eks, health, token};
use aws_credential_types::provider::ProvideCredentials;
use http::{HeaderValue, Request, header::AUTHORIZATION};
use kube::config::{
    AuthInfo, Cluster, Context, KubeConfigOptions, Kubeconfig, NamedAuthInfo, NamedCluster,
    NamedContext,
};
use std::sync::{Arc, RwLock, Weak};
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, SystemTime};

/// After a failed refresh (e.g. an expired SSO session) the next try comes this much later; the
/// old token keeps working until it expires, so a short outage of STS credentials is harmless.
const RETRY_AFTER: Duration = Duration::from_secs(30);

pub async fn connect(endpoint: &EksEndpoint, timings: &Timings) -> Result<Connection, String> {
    let what = format!("EKS cluster {}", endpoint.eks_cluster);
    let profile = endpoint.scope.profile.as_deref();
    let sdk = clients::sdk_config(&endpoint.scope, &endpoint.settings).await;
    let client = clients::eks(&sdk, &endpoint.settings);
    let cluster = eks::describe_cluster(&client, &endpoint.eks_cluster)
        .await
        .map_err(|f| match f {
            health::Failure::NotFound(why) => format!(
                "{} ({why})",
                eks::not_found(&endpoint.eks_cluster, &endpoint.scope, &[])
                    .replace("; clusters there: none", "")
            ),
            f => health::describe(&f, &what, profile, None),
        })?;
    if cluster.endpoint.is_empty() {
        return Err(format!(
            "{what} has no API endpoint yet (status {})",
            cluster.status
        ));
    }
    let tokens = TokenMaker {
        credentials: sdk
            .credentials_provider()
            .ok_or_else(|| format!("{what}: no AWS credentials provider"))?,
        region: endpoint.scope.region.clone(),
        profile: profile.map(String::from),
        cluster: endpoint.eks_cluster.clone(),
        sts: token::sts_url(
            &endpoint.scope.region,
            endpoint.settings.endpoints.sts.as_deref(),
        ),
    };
    let first = tokens
        .make()
        .await
        .map_err(|why| format!("{what}: making the EKS token: {why}"))?;
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig_for(&cluster.endpoint, cluster.ca_data.as_deref()),
        &KubeConfigOptions::default(),
    )
    .await
    .map_err(|e| format!("{what}: {e}"))?;
    config.connect_timeout = Some(timings.connect_timeout);
    config.read_timeout = Some(super::connect::read_timeout(timings));
    super::connect::identify(&mut config);
    super::connect::no_hidden_retries(&mut config);
    let current = Arc::new(RwLock::new(first));
    tokio::spawn(refresh(tokens, Arc::downgrade(&current)));
    let client = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| format!("{what}: {e}"))?
        .with_layer(&BearerLayer { current })
        .with_layer(&super::connect::watch_pacing(timings))
        .build();
    Ok(Connection {
        client,
        warnings: Vec::new(),
        // Same SDK config, so the same credentials as the token the cluster authenticates.
        identity: IdentitySource::Sts {
            client: clients::sts(&sdk, &endpoint.settings),
            profile: profile.map(String::from),
        },
    })
}

/// A kubeconfig with one cluster (endpoint + CA from DescribeCluster) and no user: the bearer
/// token is added by `BearerLayer`, so kube never sees it and never logs it.
fn kubeconfig_for(server: &str, ca_data: Option<&str>) -> Kubeconfig {
    Kubeconfig {
        clusters: vec![NamedCluster {
            name: "eks".into(),
            cluster: Some(Cluster {
                server: Some(server.to_string()),
                certificate_authority_data: ca_data.filter(|d| !d.is_empty()).map(String::from),
                ..Cluster::default()
            }),
            ..NamedCluster::default()
        }],
        auth_infos: vec![NamedAuthInfo {
            name: "eks".into(),
            auth_info: Some(AuthInfo::default()),
            ..NamedAuthInfo::default()
        }],
        contexts: vec![NamedContext {
            name: "eks".into(),
            context: Some(Context {
                cluster: "eks".into(),
                user: Some("eks".into()),
                ..Context::default()
            }),
            ..NamedContext::default()
        }],
        current_context: Some("eks".into()),
        ..Kubeconfig::default()
    }
}

/// Makes tokens from the scope's credentials (which the SDK itself refreshes: SSO, roles).
struct TokenMaker {
    credentials: aws_credential_types::provider::SharedCredentialsProvider,
    region: String,
    profile: Option<String>,
    cluster: String,
    sts: String,
}

impl TokenMaker {
    async fn make(&self) -> Result<HeaderValue, String> {
        let creds = self.credentials.provide_credentials().await.map_err(|e| {
            let failure = health::classify_credentials(&e);
            health::describe(&failure, "AWS", self.profile.as_deref(), None)
        })?;
        let token = token::eks_token(
            &creds,
            &self.region,
            &self.cluster,
            &self.sts,
            SystemTime::now(),
        )?;
        bearer(&token)
    }
}

fn bearer(token: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the token is not a valid header value".to_string())?;
    // Kept out of any debug output of the request.
    value.set_sensitive(true);
    Ok(value)
}

/// Renews the token every `REFRESH_AFTER` (tokens live 15 minutes) until the client is gone.
async fn refresh(tokens: TokenMaker, current: Weak<RwLock<HeaderValue>>) {
    let mut wait = token::REFRESH_AFTER;
    loop {
        tokio::time::sleep(wait).await;
        let Some(slot) = current.upgrade() else {
            return;
        };
        match tokens.make().await {
            Ok(value) => {
                *slot.write().unwrap_or_else(|e| e.into_inner()) = value;
                wait = token::REFRESH_AFTER;
            }
            Err(why) => {
                tracing::warn!(cluster = %tokens.cluster, %why, "renewing the EKS token failed");
                wait = RETRY_AFTER;
            }
        }
    }
}

/// Sets `Authorization: Bearer <current token>` on every request.
#[derive(Clone)]
struct BearerLayer {
    current: Arc<RwLock<HeaderValue>>,
}

impl<S> tower_layer::Layer<S> for BearerLayer {
    type Service = Bearer<S>;
    fn layer(&self, inner: S) -> Bearer<S> {
        Bearer {
            inner,
            current: self.current.clone(),
        }
    }
}

struct Bearer<S> {
    inner: S,
    current: Arc<RwLock<HeaderValue>>,
}

impl<S, B> tower_service::Service<Request<B>> for Bearer<S>
where
    S: tower_service::Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let value = self
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        request.headers_mut().insert(AUTHORIZATION, value);
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubeconfig_names_the_endpoint_and_ca_and_no_credentials() {
        let k = kubeconfig_for("https://ABC.gr7.eu-west-1.eks.amazonaws.com", Some("Q0E="));
        let cluster = k.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(
            cluster.server.as_deref(),
            Some("https://ABC.gr7.eu-west-1.eks.amazonaws.com")
        );
        assert_eq!(cluster.certificate_authority_data.as_deref(), Some("Q0E="));
        let user = k.auth_infos[0].auth_info.as_ref().unwrap();
        assert!(user.token.is_none() && user.exec.is_none());
        assert_eq!(
            kubeconfig_for("https://x", Some("")).clusters[0]
                .cluster
                .as_ref()
                .unwrap()
                .certificate_authority_data,
            None
        );
    }

    #[test]
    fn the_bearer_header_is_sensitive() {
        let v = bearer("k8s-aws-v1.abc").unwrap();
        assert!(v.is_sensitive());
        assert_eq!(v.to_str().unwrap(), "Bearer k8s-aws-v1.abc");
        assert!(!format!("{v:?}").contains("abc"));
    }

    #[test]
    fn every_request_gets_the_current_token() {
        use tower_service::Service;
        struct Echo;
        impl Service<Request<()>> for Echo {
            type Response = Option<HeaderValue>;
            type Error = ();
            type Future = std::future::Ready<Result<Self::Response, ()>>;
            fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), ()>> {
                Poll::Ready(Ok(()))
            }
            fn call(&mut self, r: Request<()>) -> Self::Future {
                std::future::ready(Ok(r.headers().get(AUTHORIZATION).cloned()))
            }
        }
        let current = Arc::new(RwLock::new(bearer("one").unwrap()));
        let mut svc = tower_layer::Layer::layer(
            &BearerLayer {
                current: current.clone(),
            },
            Echo,
        );
        let seen = |svc: &mut Bearer<Echo>| {
            futures::executor::block_on(svc.call(Request::new(())))
                .unwrap()
                .unwrap()
        };
        assert_eq!(seen(&mut svc), "Bearer one");
        *current.write().unwrap() = bearer("two").unwrap();
        assert_eq!(seen(&mut svc), "Bearer two");
    }
}
