//! The console's whole state: the fleet as last reported by the sources, plus UI state.
//! Owned by the UI task alone; `update` changes it, `view` reads it.

use crate::app::KeyContext;
use crate::domain::{FleetState, Timestamp, WorkloadKey};
use crate::keymap::Keymap;

/// A screen. The view stack's top is what is shown; `esc` pops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    Overview,
    Services,
    ServiceDetail(WorkloadKey),
    Pipelines,
    /// One service's release: stages, gate, approvals, history, checklist.
    Release(WorkloadKey),
    Alerts,
    Capacity,
    Cost,
    Timeline,
    /// Our own actions: pending, done, failed, and incomplete ones from the audit log.
    Activity,
    /// Every source (clusters, EKS, metrics, alarms, cost): state, data age, error, next retry.
    Sources,
}

impl View {
    pub fn title(&self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Services => "Services",
            View::ServiceDetail(_) => "Service",
            View::Pipelines => "Pipelines",
            View::Release(_) => "Release",
            View::Alerts => "Alerts",
            View::Capacity => "Capacity",
            View::Cost => "Cost",
            View::Timeline => "Timeline",
            View::Activity => "Activity",
            View::Sources => "Sources",
        }
    }
    pub fn key_context(&self) -> KeyContext {
        match self {
            View::Overview => KeyContext::Overview,
            View::Services => KeyContext::Services,
            View::ServiceDetail(_) => KeyContext::ServiceDetail,
            View::Pipelines => KeyContext::Pipelines,
            View::Release(_) => KeyContext::Release,
            View::Alerts => KeyContext::Alerts,
            View::Capacity => KeyContext::Capacity,
            View::Cost => KeyContext::Cost,
            View::Timeline => KeyContext::Timeline,
            View::Activity => KeyContext::Activity,
            View::Sources => KeyContext::Sources,
        }
    }
}

/// Top-level views reachable with `tab` and the number keys, in order.
pub const TOP_VIEWS: [View; 8] = [
    View::Overview,
    View::Services,
    View::Pipelines,
    View::Alerts,
    View::Capacity,
    View::Cost,
    View::Timeline,
    View::Activity,
];

/// A list's sort orders, cycled by the `sort` action in this order.
pub trait SortOrder: Copy + PartialEq + 'static {
    const ALL: &'static [Self];
    fn label(self) -> &'static str;
    fn next(self) -> Self {
        let i = Self::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ServiceSort {
    #[default]
    Name,
    /// Worst health first.
    Health,
    Team,
    /// Most restarts first.
    Restarts,
}

impl SortOrder for ServiceSort {
    const ALL: &'static [Self] = &[Self::Name, Self::Health, Self::Team, Self::Restarts];
    fn label(self) -> &'static str {
        match self {
            ServiceSort::Name => "name",
            ServiceSort::Health => "health",
            ServiceSort::Team => "team",
            ServiceSort::Restarts => "restarts",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PipelineSort {
    #[default]
    Name,
    /// Stuck, then gates, then rolling, then drift.
    Attention,
    /// Most distinct versions along the pipeline first.
    Drift,
    Team,
}

impl SortOrder for PipelineSort {
    const ALL: &'static [Self] = &[Self::Name, Self::Attention, Self::Drift, Self::Team];
    fn label(self) -> &'static str {
        match self {
            PipelineSort::Name => "name",
            PipelineSort::Attention => "attention",
            PipelineSort::Drift => "drift",
            PipelineSort::Team => "team",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertSort {
    /// Severity, production first, newest first.
    #[default]
    Severity,
    Newest,
    /// Grouped by environment and region, then service.
    Stage,
    /// Grouped by service, then stage.
    Service,
}

impl SortOrder for AlertSort {
    const ALL: &'static [Self] = &[Self::Severity, Self::Newest, Self::Stage, Self::Service];
    fn label(self) -> &'static str {
        match self {
            AlertSort::Severity => "severity",
            AlertSort::Newest => "newest",
            AlertSort::Stage => "env/region",
            AlertSort::Service => "service",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CapacitySort {
    /// The layout's order.
    #[default]
    Stage,
    /// Fullest (CPU or memory) first.
    Fullest,
    /// Most pending pods first.
    Pending,
}

impl SortOrder for CapacitySort {
    const ALL: &'static [Self] = &[Self::Stage, Self::Fullest, Self::Pending];
    fn label(self) -> &'static str {
        match self {
            CapacitySort::Stage => "env/region",
            CapacitySort::Fullest => "fullest",
            CapacitySort::Pending => "pending",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CostSort {
    /// Environments with their regions, then services by name.
    #[default]
    Scope,
    /// Month to date, highest first.
    Spend,
    Forecast,
    /// Largest 7-day change first (either way).
    Change,
}

impl SortOrder for CostSort {
    const ALL: &'static [Self] = &[Self::Scope, Self::Spend, Self::Forecast, Self::Change];
    fn label(self) -> &'static str {
        match self {
            CostSort::Scope => "env/region",
            CostSort::Spend => "mtd",
            CostSort::Forecast => "forecast",
            CostSort::Change => "7d change",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimelineSort {
    #[default]
    Newest,
    Oldest,
    /// Grouped by service, newest first within.
    Service,
    /// Grouped by kind of change, newest first within.
    Kind,
}

impl SortOrder for TimelineSort {
    const ALL: &'static [Self] = &[Self::Newest, Self::Oldest, Self::Service, Self::Kind];
    fn label(self) -> &'static str {
        match self {
            TimelineSort::Newest => "newest",
            TimelineSort::Oldest => "oldest",
            TimelineSort::Service => "service",
            TimelineSort::Kind => "kind",
        }
    }
}

/// How far back the timeline looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeWindow {
    #[default]
    Hour,
    SixHours,
    Day,
    All,
}

impl SortOrder for TimeWindow {
    const ALL: &'static [Self] = &[Self::Hour, Self::SixHours, Self::Day, Self::All];
    fn label(self) -> &'static str {
        match self {
            TimeWindow::Hour => "last 1h",
            TimeWindow::SixHours => "last 6h",
            TimeWindow::Day => "last 24h",
            TimeWindow::All => "everything kept",
        }
    }
}

impl TimeWindow {
    pub fn secs(self) -> Option<i64> {
        match self {
            TimeWindow::Hour => Some(3600),
            TimeWindow::SixHours => Some(6 * 3600),
            TimeWindow::Day => Some(86_400),
            TimeWindow::All => None,
        }
    }
}

/// Selection, `/` filter and sort order of one list screen.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListUi<S> {
    pub selected: usize,
    pub filter: String,
    pub sort: S,
}

/// Which line-editing prompt, if any, has the keyboard.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Input {
    #[default]
    None,
    Filter,
    Palette {
        query: String,
        selected: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct UiState {
    pub stack: Vec<View>,
    pub input: Input,
    pub help_open: bool,
    pub help_scroll: usize,
    /// Overview selection: (environment row, region column).
    pub cell: (usize, usize),
    pub services_selected: usize,
    pub services_filter: String,
    /// Set when drilling in from an overview cell: only services running in that stage.
    pub services_stage: Option<crate::domain::Stage>,
    pub services_sort: ServiceSort,
    pub detail_selected: usize,
    pub pipelines: ListUi<PipelineSort>,
    /// The stage selected in the release detail (None: the stage the release is about).
    pub release_selected: Option<usize>,
    pub alerts: ListUi<AlertSort>,
    pub capacity: ListUi<CapacitySort>,
    pub cost: ListUi<CostSort>,
    pub timeline: ListUi<TimelineSort>,
    pub timeline_window: TimeWindow,
    /// The confirmation dialog of an action, when one is open (it has the keyboard).
    pub dialog: Option<Dialog>,
    pub activity_selected: usize,
    /// The Sources view's selected row.
    pub sources_selected: usize,
    /// A one-line notice in the footer (e.g. "refresh requested"), with when it was set.
    pub notice: Option<(String, Timestamp)>,
    /// Rows that fit in the main list area at the last resize (for PgUp/PgDn).
    pub page_rows: usize,
    pub width: u16,
    pub height: u16,
}

/// A field of the action dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogField {
    /// Which checklist item to tick.
    Item,
    Replicas,
    /// HPA bounds, `min..max`.
    Bounds,
    /// A nodegroup's `min/desired/max`.
    Sizes,
    Reason,
    /// Production: the service name, typed.
    Confirm,
    /// A scaling limit of the environment gone past: the person types the override's word
    /// (`scale-to-zero`, `large-scale`). Present only while the numbers need it.
    Acknowledge,
}

/// An action waiting for the person's reason and confirmation.
#[derive(Debug, Clone, PartialEq)]
pub struct Dialog {
    pub action: crate::actions::Action,
    pub plan: crate::actions::preview::Preview,
    pub fields: Vec<DialogField>,
    pub field: usize,
    pub reason: String,
    pub typed: String,
    pub number: String,
    /// What was typed in the `Acknowledge` field, and the limits that need it (the words).
    pub ack: String,
    pub ack_needed: Vec<crate::actions::policy::Override>,
    /// Checklist items to choose from (tick) and the chosen one.
    pub items: Vec<String>,
    pub item: usize,
    /// Why the last confirm was refused (policy, typed word), shown in the dialog.
    pub error: Option<String>,
    /// The cluster's RBAC answer, when asked (real clusters): Some(Err) blocks confirming.
    pub access: Option<Result<(), String>>,
}

impl Dialog {
    pub fn current(&self) -> DialogField {
        self.fields[self.field.min(self.fields.len() - 1)]
    }
}

/// One of our actions as the Activity view lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityEntry {
    pub at: Timestamp,
    pub request: crate::actions::ActionRequest,
    pub status: ActivityStatus,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ActivityStatus {
    /// Sent, no answer yet.
    Pending,
    Done(crate::actions::Outcome),
    Failed(crate::actions::ActionError),
    /// In the audit log without a completion: the console stopped mid-action.
    Incomplete,
}

/// Settings fixed at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    pub read_only: bool,
    pub stale_after_secs: u64,
    pub demo: bool,
    /// Who the person at the keyboard is, for policy checks before anything is sent (the
    /// cluster's own answer, SelfSubjectReview, is what the executor records).
    pub user: String,
    /// Release policy per environment name; environments not listed get the defaults.
    pub policies: std::collections::BTreeMap<String, crate::actions::policy::Policy>,
}

impl Settings {
    pub fn policy_for(&self, env: &str, production: bool) -> crate::actions::policy::Policy {
        self.policies
            .get(env)
            .cloned()
            .unwrap_or_else(|| crate::actions::policy::Policy::default_for(production))
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub fleet: FleetState,
    pub ui: UiState,
    pub settings: Settings,
    pub keymap: Keymap,
    pub now: Timestamp,
    pub should_quit: bool,
    /// Our actions, oldest first (this session's and the audit log's), bounded.
    pub activity: Vec<ActivityEntry>,
    /// Set by `update` when something visible may have changed; cleared after drawing.
    pub dirty: bool,
}

impl State {
    pub fn new(keymap: Keymap, settings: Settings, now: Timestamp) -> State {
        State {
            fleet: FleetState::default(),
            ui: UiState {
                stack: vec![View::Overview],
                page_rows: 10,
                width: 80,
                height: 24,
                ..UiState::default()
            },
            settings,
            keymap,
            now,
            should_quit: false,
            activity: Vec::new(),
            dirty: true,
        }
    }

    pub fn view(&self) -> &View {
        self.ui.stack.last().unwrap_or(&View::Overview)
    }

    /// Key contexts for the current screen, most specific first.
    pub fn key_contexts(&self) -> Vec<KeyContext> {
        vec![
            self.view().key_context(),
            KeyContext::List,
            KeyContext::Global,
        ]
    }
}
