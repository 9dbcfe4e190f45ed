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
}

impl EnvironmentConfig {
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
