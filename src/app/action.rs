//! User intents. Keys map to actions through the keymap (`config/keymap.toml`); the palette maps
//! names and aliases to the same actions, so help, palette and keys never disagree.

use serde::{Deserialize, Serialize};

/// Where a key is pressed. Bindings in `[global]` apply everywhere unless a more specific context
/// binds the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyContext {
    Global,
    List,
    Overview,
    Services,
    ServiceDetail,
    Pipelines,
    Release,
    Alerts,
    Capacity,
    Cost,
    Timeline,
    Activity,
    Sources,
}

impl KeyContext {
    pub const ALL: [KeyContext; 13] = [
        KeyContext::Global,
        KeyContext::List,
        KeyContext::Overview,
        KeyContext::Services,
        KeyContext::ServiceDetail,
        KeyContext::Pipelines,
        KeyContext::Release,
        KeyContext::Alerts,
        KeyContext::Capacity,
        KeyContext::Cost,
        KeyContext::Timeline,
        KeyContext::Activity,
        KeyContext::Sources,
    ];

    pub fn name(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::List => "list",
            KeyContext::Overview => "overview",
            KeyContext::Services => "services",
            KeyContext::ServiceDetail => "service_detail",
            KeyContext::Pipelines => "pipelines",
            KeyContext::Release => "release",
            KeyContext::Alerts => "alerts",
            KeyContext::Capacity => "capacity",
            KeyContext::Cost => "cost",
            KeyContext::Timeline => "timeline",
            KeyContext::Activity => "activity",
            KeyContext::Sources => "sources",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            KeyContext::Global => "Everywhere",
            KeyContext::List => "Lists and tables",
            KeyContext::Overview => "Overview",
            KeyContext::Services => "Services",
            KeyContext::ServiceDetail => "Service detail",
            KeyContext::Pipelines => "Pipelines",
            KeyContext::Release => "Release detail",
            KeyContext::Alerts => "Alerts",
            KeyContext::Capacity => "Capacity",
            KeyContext::Cost => "Cost",
            KeyContext::Timeline => "Timeline",
            KeyContext::Activity => "Activity",
            KeyContext::Sources => "Sources",
        }
    }
}

/// Every action a user can take. `name()` is the identifier used in keymap files and the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Palette,
    Filter,
    Back,
    NextView,
    PrevView,
    ViewOverview,
    ViewServices,
    ViewPipelines,
    ViewAlerts,
    ViewCapacity,
    ViewCost,
    ViewTimeline,
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Select,
    Sort,
    TimeWindow,
    Refresh,
    ViewActivity,
    ViewSources,
    Approve,
    Reject,
    Rollback,
    RollbackProd,
    Scale,
    ScaleHpa,
    Tick,
}

impl Action {
    pub const ALL: [Action; 35] = [
        Action::Quit,
        Action::Help,
        Action::Palette,
        Action::Filter,
        Action::Back,
        Action::NextView,
        Action::PrevView,
        Action::ViewOverview,
        Action::ViewServices,
        Action::ViewPipelines,
        Action::ViewAlerts,
        Action::ViewCapacity,
        Action::ViewCost,
        Action::ViewTimeline,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::Top,
        Action::Bottom,
        Action::PageUp,
        Action::PageDown,
        Action::Select,
        Action::Sort,
        Action::TimeWindow,
        Action::Refresh,
        Action::ViewActivity,
        Action::ViewSources,
        Action::Approve,
        Action::Reject,
        Action::Rollback,
        Action::RollbackProd,
        Action::Scale,
        Action::ScaleHpa,
        Action::Tick,
    ];

    /// The identifier used in `keymap.toml` and typed in the palette.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Palette => "palette",
            Action::Filter => "filter",
            Action::Back => "back",
            Action::NextView => "next_view",
            Action::PrevView => "prev_view",
            Action::ViewOverview => "overview",
            Action::ViewServices => "services",
            Action::ViewPipelines => "pipelines",
            Action::ViewAlerts => "alerts",
            Action::ViewCapacity => "capacity",
            Action::ViewCost => "cost",
            Action::ViewTimeline => "timeline",
            Action::Up => "up",
            Action::Down => "down",
            Action::Left => "left",
            Action::Right => "right",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::Select => "select",
            Action::Sort => "sort",
            Action::TimeWindow => "window",
            Action::Refresh => "refresh",
            Action::ViewActivity => "activity",
            Action::ViewSources => "sources",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Rollback => "rollback",
            Action::RollbackProd => "rollback_prod",
            Action::Scale => "scale",
            Action::ScaleHpa => "scale_hpa",
            Action::Tick => "tick",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// One line for the help screen and the palette.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "Quit opsdeck",
            Action::Help => "Show this help",
            Action::Palette => "Open the command palette",
            Action::Filter => "Filter the current list",
            Action::Back => "Back / close / clear filter",
            Action::NextView => "Next view",
            Action::PrevView => "Previous view",
            Action::ViewOverview => "Fleet overview (env x region)",
            Action::ViewServices => "All services across the fleet",
            Action::ViewPipelines => "Versions by stage, rollouts, gates",
            Action::ViewAlerts => "Firing alarms and cluster alerts",
            Action::ViewCapacity => "Capacity per cluster and nodegroup",
            Action::ViewCost => "Spend, forecast, movers, anomalies",
            Action::ViewTimeline => "Changes: deploys, scaling, alarms",
            Action::Up => "Move up",
            Action::Down => "Move down",
            Action::Left => "Move left",
            Action::Right => "Move right",
            Action::Top => "Go to top",
            Action::Bottom => "Go to bottom",
            Action::PageUp => "Page up",
            Action::PageDown => "Page down",
            Action::Select => "Open / drill in",
            Action::Sort => "Cycle sort order",
            Action::TimeWindow => "Timeline window: 1h/6h/24h/all",
            Action::Refresh => "Ask every source to refresh now",
            Action::ViewActivity => "Our actions: audit log, results",
            Action::ViewSources => "Every source: state, data age, error, retry",
            Action::Approve => "Approve the gate (resumes at N of M)",
            Action::Reject => "Reject the gate",
            Action::Rollback => "Roll back this instance",
            Action::RollbackProd => "Roll back in every prod region",
            Action::Scale => "Scale replicas",
            Action::ScaleHpa => "Change HPA min/max",
            Action::Tick => "Tick a checklist item",
        }
    }

    /// Extra names the palette accepts.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Action::Quit => &["q", "exit"],
            Action::Help => &["?", "keys"],
            Action::ViewOverview => &["ov", "fleet", "matrix", "home"],
            Action::ViewServices => &["svc", "deploy", "deployments", "workloads"],
            Action::ViewPipelines => &["pipe", "releases", "promotions", "versions"],
            Action::ViewAlerts => &["alarms", "firing", "incidents"],
            Action::ViewCapacity => &["cap", "nodes", "headroom"],
            Action::ViewCost => &["spend", "billing", "money"],
            Action::ViewTimeline => &["changes", "what-changed", "history", "events"],
            Action::TimeWindow => &["since", "range"],
            Action::Refresh => &["reload", "r"],
            Action::Sort => &["order"],
            Action::ViewActivity => &["audit", "actions", "log"],
            Action::ViewSources => &["health", "status", "connections"],
            Action::Approve => &["lgtm", "promote", "ok"],
            Action::Reject => &["deny", "abort"],
            Action::Rollback => &["undo", "revert"],
            Action::RollbackProd => &["undo-all", "rollback-all"],
            Action::Scale => &["replicas"],
            Action::ScaleHpa => &["hpa", "autoscale"],
            Action::Tick => &["checklist", "check"],
            _ => &[],
        }
    }

    /// Whether the palette lists this action (movement keys are noise there).
    pub fn in_palette(self) -> bool {
        !matches!(
            self,
            Action::Up
                | Action::Down
                | Action::Left
                | Action::Right
                | Action::Top
                | Action::Bottom
                | Action::PageUp
                | Action::PageDown
                | Action::Select
                | Action::Back
                | Action::Palette
        )
    }
}
