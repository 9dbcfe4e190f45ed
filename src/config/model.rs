//! The configuration file's shape. Every key is documented with its default in
//! `config/default.toml`; unknown keys are errors (reported with file:line:col).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub fleet: FleetConfig,
    pub ui: UiConfig,
    pub demo: DemoConfig,
    pub logging: LoggingConfig,
    pub aws: AwsConfig,
    /// Column order of the overview matrix. Regions used by clusters must be listed here.
    pub regions: Vec<String>,
    /// Row order of the overview matrix, and the environments' policies and clusters.
    pub environments: Vec<EnvironmentConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// Shown in the header.
    pub name: String,
}

impl Default for FleetConfig {
    fn default() -> Self {
        FleetConfig {
            name: "fleet".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Theme name: a file in `themes/` or in the user's `themes/` config folder.
    pub theme: String,
    /// Upper bound on frames drawn per second (1..=120).
    pub max_fps: u32,
    /// Refuse every mutating action everywhere (same as `--read-only`).
    pub read_only: bool,
    /// A source whose data is older than this many seconds is shown as stale.
    pub stale_after_secs: u64,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            theme: "dark".into(),
            max_fps: 30,
            read_only: false,
            stale_after_secs: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoConfig {
    /// Run the embedded simulated fleet instead of (not beside) real clusters.
    pub enabled: bool,
    /// Seed for a deterministic simulation; random when absent.
    pub seed: Option<u64>,
    /// Simulation step in milliseconds (100..=60000).
    pub tick_ms: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            enabled: false,
            seed: None,
            tick_ms: 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LoggingConfig {
    /// `tracing` filter, e.g. "info" or "opsdeck=debug".
    pub level: String,
    /// Log file; default: `opsdeck.log` in the platform data directory.
    pub file: Option<PathBuf>,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: "info".into(),
            file: None,
        }
    }
}

/// AWS sources: EKS discovery, CloudWatch alarms, Cost Explorer (see docs/aws.md). They run for a
/// configured fleet that names an `aws_profile` or an `eks_cluster` somewhere, never in demo mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    /// Set to false to never call AWS (clusters are then reached through kubeconfig only).
    pub enabled: bool,
    /// CloudWatch alarms are polled this often, in seconds (30..=3600).
    pub alarm_poll_secs: u64,
    /// EKS clusters and nodegroups are described this often, in seconds (60..=86400).
    pub eks_poll_secs: u64,
    /// Cost Explorer answers are cached on disk this long, in hours (1..=168). Every Cost
    /// Explorer request is billed.
    pub cost_ttl_hours: u64,
    /// Profile whose account's Cost Explorer is asked (use the payer account to see every
    /// account); default: the first environment's `aws_profile`.
    pub cost_profile: Option<String>,
    /// Cost-allocation tag whose value is the environment name.
    pub cost_env_tag: String,
    /// Cost-allocation tag whose value is the service name.
    pub cost_service_tag: String,
    /// Endpoints per service, e.g. VPC interface endpoints on a private bastion.
    pub endpoint_urls: EndpointUrls,
    /// How alarms are attributed to environments, clusters and services.
    pub alarms: AlarmRules,
    /// Metric sparklines on the service detail screen (GetMetricData).
    pub metrics: MetricRules,
}

impl Default for AwsConfig {
    fn default() -> Self {
        AwsConfig {
            enabled: true,
            alarm_poll_secs: 60,
            eks_poll_secs: 300,
            cost_ttl_hours: 6,
            cost_profile: None,
            cost_env_tag: "env".into(),
            cost_service_tag: "service".into(),
            endpoint_urls: EndpointUrls::default(),
            alarms: AlarmRules::default(),
            metrics: MetricRules::default(),
        }
    }
}

/// An endpoint URL per AWS service; absent: the public regional endpoint.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EndpointUrls {
    pub eks: Option<String>,
    pub cloudwatch: Option<String>,
    pub ce: Option<String>,
    pub sts: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlarmRules {
    /// Dimensions whose value is an EKS cluster name (gives the environment).
    pub cluster_dimensions: Vec<String>,
    /// Dimensions whose value is a service name.
    pub service_dimensions: Vec<String>,
    /// Dimensions whose value is an environment name.
    pub env_dimensions: Vec<String>,
    /// Alarm-name pattern with `{env}`, `{service}`, `{cluster}` and `*`, e.g. "{env}-{service}-*".
    pub name_pattern: Option<String>,
    /// Alarm tags whose value is an environment name (tags win over dimensions and names).
    pub env_tags: Vec<String>,
    /// Alarm tags whose value is an EKS cluster name (gives the environment).
    pub cluster_tags: Vec<String>,
    /// Alarm tags whose value is a service name.
    pub service_tags: Vec<String>,
    /// Alarm tags are read once per alarm, and again every this many polls (1..=1000).
    pub tag_refresh_polls: u32,
}

impl Default for AlarmRules {
    fn default() -> Self {
        AlarmRules {
            cluster_dimensions: vec!["ClusterName".into()],
            service_dimensions: vec!["Service".into(), "ServiceName".into()],
            env_dimensions: vec!["Environment".into()],
            name_pattern: None,
            env_tags: vec!["opsdeck:env".into(), "Environment".into()],
            cluster_tags: vec!["opsdeck:cluster".into()],
            service_tags: vec!["opsdeck:service".into(), "Service".into()],
            tag_refresh_polls: 30,
        }
    }
}

impl AlarmRules {
    /// Whether any tag key is configured (no keys: alarm tags are never asked for).
    pub fn reads_tags(&self) -> bool {
        !(self.env_tags.is_empty() && self.cluster_tags.is_empty() && self.service_tags.is_empty())
    }
}

/// Which CloudWatch metrics the service detail screen draws as sparklines, per service instance
/// of a cluster with an `eks_cluster`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricRules {
    /// false: no GetMetricData at all.
    pub enabled: bool,
    /// The open service's metrics are fetched this often, in seconds (30..=3600).
    pub poll_secs: u64,
    /// One data point per this many seconds over the last hour (60, 120, 180, 240 or 300).
    pub period_secs: u32,
    /// The sparklines, top to bottom (at most 10).
    pub series: Vec<MetricSpec>,
}

/// One sparkline: a CloudWatch metric and statistic, with placeholders in dimension values:
/// `{eks_cluster}`, `{cluster}`, `{env}`, `{region}`, `{namespace}`, `{service}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    /// Shown before the sparkline, e.g. "CPU".
    pub label: String,
    pub namespace: String,
    pub metric: String,
    /// `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount` or a percentile such as `p95`.
    pub stat: String,
    /// Shown after the latest value, e.g. "%"; `s` values are shown in ms.
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub dimensions: std::collections::BTreeMap<String, String>,
}

impl MetricSpec {
    fn new(
        label: &str,
        namespace: &str,
        metric: &str,
        stat: &str,
        unit: &str,
        dims: &[(&str, &str)],
    ) -> MetricSpec {
        MetricSpec {
            label: label.into(),
            namespace: namespace.into(),
            metric: metric.into(),
            stat: stat.into(),
            unit: unit.into(),
            dimensions: dims
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }
}

impl Default for MetricRules {
    fn default() -> Self {
        // Container Insights for CPU; the service's ALB target group (named by the AWS Load
        // Balancer Controller's `TargetGroupBinding`, or by you) for errors and latency.
        let tg = "targetgroup/{eks_cluster}-{namespace}-{service}";
        MetricRules {
            enabled: true,
            poll_secs: 60,
            period_secs: 60,
            series: vec![
                MetricSpec::new(
                    "CPU",
                    "ContainerInsights",
                    "pod_cpu_utilization",
                    "Average",
                    "%",
                    &[
                        ("ClusterName", "{eks_cluster}"),
                        ("Namespace", "{namespace}"),
                        ("Service", "{service}"),
                    ],
                ),
                MetricSpec::new(
                    "5xx",
                    "AWS/ApplicationELB",
                    "HTTPCode_Target_5XX_Count",
                    "Sum",
                    "",
                    &[("TargetGroup", tg)],
                ),
                MetricSpec::new(
                    "p95",
                    "AWS/ApplicationELB",
                    "TargetResponseTime",
                    "p95",
                    "s",
                    &[("TargetGroup", tg)],
                ),
            ],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub name: String,
    /// Production is drawn as production (colour and label) and requires typed confirmations.
    #[serde(default)]
    pub production: bool,
    /// Refuse mutating actions in this environment.
    #[serde(default)]
    pub read_only: bool,
    /// Default AWS profile for this environment's clusters.
    #[serde(default)]
    pub aws_profile: Option<String>,
    /// Release policy: approvals, reasons, checklist, change window.
    #[serde(default)]
    pub policy: PolicyConfig,
    /// The order a release goes through this environment's regions, e.g.
    /// `[["us-east-1"], ["eu-west-1", "ap-southeast-2"]]`: a region of an earlier wave is an
    /// earlier stage of the later ones (the checklist's post-deployment validation). Empty: the
    /// regions are parallel.
    #[serde(default)]
    pub waves: Vec<Vec<String>>,
    #[serde(default)]
    pub clusters: Vec<ClusterConfig>,
}

/// `[environments.policy]`: every key optional; the defaults depend on `production`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Approvals a gate needs (production 2, others 1).
    #[serde(default)]
    pub approvals: Option<u32>,
    /// Every action needs a reason (production: yes).
    #[serde(default)]
    pub reason_required: Option<bool>,
    /// A gate cannot be approved before the checklist is complete (production: yes).
    #[serde(default)]
    pub checklist_required: Option<bool>,
    /// Changes only inside this window, in UTC, e.g. "Mon-Fri 09:00-17:00".
    #[serde(default)]
    pub window: Option<String>,
    /// Scaling a workload (or an HPA's min) below this needs `--allow-scale-to-zero` or the
    /// word typed in the dialog (production 1: scaling to 0; others 0).
    #[serde(default)]
    pub min_replicas: Option<u32>,
    /// Scaling replicas, HPA max or nodes by more than this factor, up or down, needs
    /// `--allow-large-scale` (production 5; others none). 0 turns the check off.
    #[serde(default)]
    pub max_scale_factor: Option<u32>,
}

impl Config {
    /// Names of the environments that refuse mutating actions.
    pub fn read_only_envs(&self) -> std::collections::HashSet<crate::domain::EnvName> {
        self.environments
            .iter()
            .filter(|e| e.read_only)
            .map(EnvironmentConfig::env_name)
            .collect()
    }
}

impl EnvironmentConfig {
    /// The id of one of this environment's clusters. `config::parse` refuses a config whose
    /// names cannot make one (`config::validate`), and every `Config` the console and the
    /// CLI run with comes from it.
    pub fn cluster_id(&self, c: &ClusterConfig) -> crate::domain::ClusterId {
        crate::domain::ClusterId::parse(&self.name, &c.region, &c.name)
            .expect("config::parse refuses environment, region and cluster names that are not")
    }

    /// The environment's name as a name (see `cluster_id`: checked when the file was read).
    pub fn env_name(&self) -> crate::domain::EnvName {
        crate::domain::EnvName::new(self.name.as_str())
            .expect("config::parse refuses environment names that are not")
    }

    /// The effective policy (defaults filled in). A malformed window was reported by
    /// `check-config`; here it is treated as "no window" only if validation was skipped.
    pub fn policy(&self) -> crate::actions::policy::Policy {
        let mut p = crate::actions::policy::Policy::default_for(self.production);
        if let Some(n) = self.policy.approvals {
            p.approvals = n;
        }
        if let Some(b) = self.policy.reason_required {
            p.reason_required = b;
        }
        if let Some(b) = self.policy.checklist_required {
            p.checklist_required = b;
        }
        if let Some(n) = self.policy.min_replicas {
            p.min_replicas = n;
        }
        if let Some(f) = self.policy.max_scale_factor {
            p.max_scale_factor = (f > 0).then_some(f);
        }
        p.window = self
            .policy
            .window
            .as_deref()
            .and_then(|w| crate::actions::policy::ChangeWindow::parse(w).ok());
        p
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterConfig {
    /// Display name, unique within the environment.
    pub name: String,
    /// Must be one of the top-level `regions`.
    pub region: String,
    /// kubeconfig context; defaults to the current context.
    #[serde(default)]
    pub context: Option<String>,
    /// kubeconfig file; defaults to `$KUBECONFIG` or `~/.kube/config`.
    #[serde(default)]
    pub kubeconfig: Option<PathBuf>,
    /// Namespaces to watch; empty means all.
    #[serde(default)]
    pub namespaces: Vec<String>,
    /// EKS cluster name, for native EKS authentication.
    #[serde(default)]
    pub eks_cluster: Option<String>,
    /// AWS profile for this cluster, overriding the environment's.
    #[serde(default)]
    pub aws_profile: Option<String>,
}
