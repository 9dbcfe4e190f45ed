//! SDK clients per (profile, region): the standard credential chain (environment, profiles, SSO,
//! the instance role) or, for tests, static credentials; an endpoint URL per service; short
//! timeouts; no SDK retries (the collectors retry throttling themselves, with backoff, and retry
//! everything else at their next poll).

use crate::config::EndpointUrls;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use std::time::Duration;

/// Where credentials come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// The standard chain for the given profile (None: `AWS_PROFILE` or `default`).
    Chain,
    /// Fixed keys (tests).
    Static {
        access_key_id: String,
        secret_access_key: String,
    },
}

/// Everything needed to build clients, shared by the AWS collectors.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSettings {
    pub auth: Auth,
    pub endpoints: EndpointUrls,
    pub connect_timeout: Duration,
    /// One attempt of one request, at most.
    pub attempt_timeout: Duration,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            auth: Auth::Chain,
            endpoints: EndpointUrls::default(),
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(20),
        }
    }
}

/// Which account (profile) and region a client talks to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scope {
    pub profile: Option<String>,
    pub region: String,
}

impl Scope {
    /// `profile/region` (`default/region` without a profile): names the source in the header.
    pub fn label(&self) -> String {
        format!(
            "{}/{}",
            self.profile.as_deref().unwrap_or("default"),
            self.region
        )
    }
}

/// The shared SDK configuration for one scope. Loading it may read the AWS config files; it
/// never prompts.
pub async fn sdk_config(scope: &Scope, settings: &ClientSettings) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .app_name(app_name())
        .region(Region::new(scope.region.clone()))
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(settings.connect_timeout)
                .operation_attempt_timeout(settings.attempt_timeout)
                .build(),
        );
    if let Some(p) = &scope.profile {
        loader = loader.profile_name(p);
    }
    if let Auth::Static {
        access_key_id,
        secret_access_key,
    } = &settings.auth
    {
        loader = loader.credentials_provider(Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "opsdeck-static",
        ));
    }
    loader.load().await
}

/// `app/opsdeck-<version>` in every AWS request's user agent.
fn app_name() -> aws_config::AppName {
    aws_config::AppName::new(crate::source::AWS_APP_NAME).expect("a valid app name")
}

pub fn eks(config: &SdkConfig, settings: &ClientSettings) -> aws_sdk_eks::Client {
    let mut b = aws_sdk_eks::config::Builder::from(config);
    if let Some(url) = &settings.endpoints.eks {
        b = b.endpoint_url(url);
    }
    aws_sdk_eks::Client::from_conf(b.build())
}

pub fn cloudwatch(config: &SdkConfig, settings: &ClientSettings) -> aws_sdk_cloudwatch::Client {
    let mut b = aws_sdk_cloudwatch::config::Builder::from(config);
    if let Some(url) = &settings.endpoints.cloudwatch {
        b = b.endpoint_url(url);
    }
    aws_sdk_cloudwatch::Client::from_conf(b.build())
}

/// STS in the scope's region (its regional endpoint), or the configured `endpoint_urls.sts`:
/// the same endpoint the EKS token is presigned for.
pub fn sts(config: &SdkConfig, settings: &ClientSettings) -> aws_sdk_sts::Client {
    let mut b = aws_sdk_sts::config::Builder::from(config);
    if let Some(url) = &settings.endpoints.sts {
        b = b.endpoint_url(url);
    }
    aws_sdk_sts::Client::from_conf(b.build())
}

/// Cost Explorer lives in us-east-1 whatever the scope's region.
pub fn cost_explorer(
    config: &SdkConfig,
    settings: &ClientSettings,
) -> aws_sdk_costexplorer::Client {
    let mut b =
        aws_sdk_costexplorer::config::Builder::from(config).region(Region::new("us-east-1"));
    if let Some(url) = &settings.endpoints.ce {
        b = b.endpoint_url(url);
    }
    aws_sdk_costexplorer::Client::from_conf(b.build())
}

/// Which EKS cluster, through which AWS account and region: for the native kube connection and
/// for nodegroup scaling.
#[derive(Debug, Clone, PartialEq)]
pub struct EksEndpoint {
    pub eks_cluster: String,
    pub scope: Scope,
    pub settings: ClientSettings,
}

impl EksEndpoint {
    /// A configured cluster's EKS endpoint, when it names an `eks_cluster`.
    pub fn of(
        config: &crate::config::Config,
        env: &crate::config::EnvironmentConfig,
        c: &crate::config::ClusterConfig,
    ) -> Option<EksEndpoint> {
        Some(EksEndpoint {
            eks_cluster: c.eks_cluster.clone()?,
            scope: Scope {
                profile: c.aws_profile.clone().or_else(|| env.aws_profile.clone()),
                region: c.region.clone(),
            },
            settings: ClientSettings {
                endpoints: config.aws.endpoint_urls.clone(),
                ..ClientSettings::default()
            },
        })
    }

    /// Every configured EKS cluster's endpoint, by cluster id.
    pub fn all(
        config: &crate::config::Config,
    ) -> std::collections::HashMap<crate::domain::ClusterId, EksEndpoint> {
        let mut out = std::collections::HashMap::new();
        for env in &config.environments {
            for c in &env.clusters {
                if let Some(e) = EksEndpoint::of(config, env, c) {
                    out.insert(env.cluster_id(c), e);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sdk_config_names_opsdeck_and_its_version() {
        let scope = Scope {
            profile: None,
            region: "eu-west-1".into(),
        };
        let settings = ClientSettings {
            auth: Auth::Static {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "secret".into(),
            },
            ..ClientSettings::default()
        };
        let config = sdk_config(&scope, &settings).await;
        assert_eq!(
            config.app_name().map(|a| a.as_ref()),
            Some(concat!("opsdeck-", env!("CARGO_PKG_VERSION")))
        );
    }
}
