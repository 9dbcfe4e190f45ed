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
}

impl View {
    pub fn title(&self) -> &'static str {
        match self {
            View::Overview => "Overview",
            View::Services => "Services",
            View::ServiceDetail(_) => "Service",
        }
    }
    pub fn key_context(&self) -> KeyContext {
        match self {
            View::Overview => KeyContext::Overview,
            View::Services => KeyContext::Services,
            View::ServiceDetail(_) => KeyContext::ServiceDetail,
        }
    }
}

/// Top-level views reachable with `tab` and the number keys, in order.
pub const TOP_VIEWS: [View; 2] = [View::Overview, View::Services];

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

impl ServiceSort {
    pub fn next(self) -> ServiceSort {
        match self {
            ServiceSort::Name => ServiceSort::Health,
            ServiceSort::Health => ServiceSort::Team,
            ServiceSort::Team => ServiceSort::Restarts,
            ServiceSort::Restarts => ServiceSort::Name,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ServiceSort::Name => "name",
            ServiceSort::Health => "health",
            ServiceSort::Team => "team",
            ServiceSort::Restarts => "restarts",
        }
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

#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    /// A one-line notice in the footer (e.g. "refresh requested"), with when it was set.
    pub notice: Option<(String, Timestamp)>,
    /// Rows that fit in the main list area at the last resize (for PgUp/PgDn).
    pub page_rows: usize,
    pub width: u16,
    pub height: u16,
}

/// Settings fixed at start-up.
#[derive(Debug, Clone)]
pub struct Settings {
    pub read_only: bool,
    pub stale_after_secs: u64,
    pub demo: bool,
}

#[derive(Debug, Clone)]
pub struct State {
    pub fleet: FleetState,
    pub ui: UiState,
    pub settings: Settings,
    pub keymap: Keymap,
    pub now: Timestamp,
    pub should_quit: bool,
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
