//! The console's whole state: the fleet as last reported by the sources, plus UI state.
//! Owned by the UI task alone; `update` changes it, `view` reads it.

use crate::app::KeyContext;
pub use crate::app::screens::{Lists, TOP_VIEWS, TimeWindow, View};
use crate::domain::{FleetState, Timestamp};
use crate::keymap::Keymap;

/// A list's sort orders, cycled by the `sort` action in this order.
pub trait SortOrder: Copy + PartialEq + 'static {
    const ALL: &'static [Self];
    fn label(self) -> &'static str;
    fn next(self) -> Self {
        let i = Self::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }
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
    /// Selection, filter and sort of every list screen.
    pub lists: Lists,
    pub input: Input,
    pub help_open: bool,
    pub help_scroll: usize,
    /// Overview selection: (environment row, region column).
    pub cell: (usize, usize),
    /// Set when drilling in from an overview cell: only services running in that stage.
    pub services_stage: Option<crate::domain::Stage>,
    pub detail_selected: usize,
    /// The stage selected in the release detail (None: the stage the release is about).
    pub release_selected: Option<usize>,
    pub timeline_window: TimeWindow,
    /// The confirmation dialog of an action, when one is open (it has the keyboard).
    pub dialog: Option<Dialog>,
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
