//! The screens and the registry of list screens.
//!
//! A list screen is a type implementing [`ListScreen`]: its rows (after its `/` filter, in its
//! sort order), the key that identifies a row, and what `enter` on a row opens ([`Opens`]). Its
//! selection, filter and sort live in one [`ListUi`]. The reducer reaches the current screen's
//! list through [`list_screen`] (the one place a view is tied to its list), so moving, paging,
//! filtering, sorting and opening are written once for every list — and the selection follows the
//! row by its key when rows re-sort as data arrives.

mod activity;
mod alerts;
mod capacity;
mod cost;
mod pipelines;
mod services;
mod sources;
mod timeline;

pub use activity::{ActivityKey, ActivityList};
pub use alerts::{AlertKey, AlertSort, Alerts, visible_alerts};
pub use capacity::{
    Capacity, CapacityKey, CapacityLine, CapacitySort, capacity_lines, visible_capacity,
};
pub use cost::{Cost, CostSort, visible_cost_rows};
pub use pipelines::{PipelineSort, Pipelines, visible_pipelines};
pub use services::{ServiceSort, Services, visible_services};
pub use sources::{SourceKey, SourceList};
pub use timeline::{TimeWindow, Timeline, TimelineSort, visible_changes};

use super::state::{SortOrder, State, UiState};
use crate::domain::{Change, CostScope, Stage, WorkloadKey};
use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use std::marker::PhantomData;

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

    /// The keymap table of the screen (`[services]`, …), tried before `[list]` and `[global]`.
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

/// Where a key is pressed: the keymap's tables (`[global]`, `[list]`, one per screen). Bindings
/// in `[global]` apply everywhere unless a more specific context binds the same key.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::VariantArray,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
    /// Every context, in the order help lists them.
    pub const ALL: &'static [KeyContext] = <KeyContext as strum::VariantArray>::VARIANTS;

    /// The keymap table's name.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The heading of its section in help.
    pub fn title(self) -> &'static str {
        match self {
            KeyContext::Global => "Everywhere",
            KeyContext::List => "Lists and tables",
            KeyContext::ServiceDetail => "Service detail",
            KeyContext::Release => "Release detail",
            KeyContext::Overview => "Overview",
            KeyContext::Services => "Services",
            KeyContext::Pipelines => "Pipelines",
            KeyContext::Alerts => "Alerts",
            KeyContext::Capacity => "Capacity",
            KeyContext::Cost => "Cost",
            KeyContext::Timeline => "Timeline",
            KeyContext::Activity => "Activity",
            KeyContext::Sources => "Sources",
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

/// The list of a list screen, for the reducer: `None` for screens without one (the overview's
/// grid, the service and release details, whose selections are not rows of a list).
pub fn list_screen(view: &View) -> Option<&'static dyn ListOps> {
    Some(match view {
        View::Services => &Registered::<Services>(PhantomData),
        View::Pipelines => &Registered::<Pipelines>(PhantomData),
        View::Alerts => &Registered::<Alerts>(PhantomData),
        View::Capacity => &Registered::<Capacity>(PhantomData),
        View::Cost => &Registered::<Cost>(PhantomData),
        View::Timeline => &Registered::<Timeline>(PhantomData),
        View::Activity => &Registered::<ActivityList>(PhantomData),
        View::Sources => &Registered::<SourceList>(PhantomData),
        View::Overview | View::ServiceDetail(_) | View::Release(_) => return None,
    })
}

/// Selection, filter and sort of every list screen (`UiState::lists`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lists {
    pub services: ListUi<WorkloadKey, ServiceSort>,
    pub pipelines: ListUi<WorkloadKey, PipelineSort>,
    pub alerts: ListUi<AlertKey, AlertSort>,
    pub capacity: ListUi<CapacityKey, CapacitySort>,
    pub cost: ListUi<CostScope, CostSort>,
    pub timeline: ListUi<Change, TimelineSort>,
    pub activity: ListUi<ActivityKey, Unsorted>,
    pub sources: ListUi<SourceKey, Unsorted>,
}

/// Selection, `/` filter and sort order of one list screen. The selection is the row's key (it
/// stays on that row when rows re-sort) and its index when chosen (where the cursor stays when
/// that row is gone, clamped to the list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListUi<K, S> {
    pub selected: usize,
    pub selected_key: Option<K>,
    pub filter: String,
    pub sort: S,
}

impl<K, S: Default> Default for ListUi<K, S> {
    fn default() -> Self {
        ListUi {
            selected: 0,
            selected_key: None,
            filter: String::new(),
            sort: S::default(),
        }
    }
}

impl<K, S> ListUi<K, S> {
    /// The selected row's index in `rows`: the row with the selected key, else the stored index
    /// clamped to the list. None for an empty list.
    pub fn index<R>(&self, rows: &[R], is: impl Fn(&R, &K) -> bool) -> Option<usize> {
        if rows.is_empty() {
            return None;
        }
        let by_key = self
            .selected_key
            .as_ref()
            .and_then(|k| rows.iter().position(|r| is(r, k)));
        Some(by_key.unwrap_or(self.selected.min(rows.len() - 1)))
    }

    pub fn select(&mut self, index: usize, key: Option<K>) {
        self.selected = index;
        self.selected_key = key;
    }

    /// Back to the first row (a new filter, a new time window).
    pub fn reset_selection(&mut self) {
        self.select(0, None);
    }
}

/// A list screen: where its state lives, its rows, how a row is known, what `enter` opens.
pub trait ListScreen: 'static {
    /// A row as the screen derives it (borrowing from the state where it can).
    type Row<'s>;
    /// What identifies a row across re-derivations (a workload, an alert, a cost scope).
    type Key: Clone + PartialEq + Debug;
    /// The list's sort orders (`Unsorted` for a list with one fixed order).
    type Sort: SortOrder;
    /// Whether `/` filters this list; `/` on a list without a filter filters the services.
    const FILTERED: bool = true;

    fn list(ui: &UiState) -> &ListUi<Self::Key, Self::Sort>;
    fn list_mut(ui: &mut UiState) -> &mut ListUi<Self::Key, Self::Sort>;
    /// The rows shown: after the filter, in the chosen order.
    fn rows(state: &State) -> Vec<Self::Row<'_>>;
    fn key(row: &Self::Row<'_>) -> Self::Key;
    /// Whether `row` is the one `key` names (override to compare without building a key).
    fn is(row: &Self::Row<'_>, key: &Self::Key) -> bool {
        Self::key(row) == *key
    }
    /// What `enter` on the row opens.
    fn opens(state: &State, row: &Self::Row<'_>) -> Opens;
}

/// The selected row's index among `rows` (which `S::rows` derived).
pub fn selected_row<S: ListScreen>(state: &State, rows: &[S::Row<'_>]) -> Option<usize> {
    S::list(&state.ui).index(rows, |r, k| S::is(r, k))
}

/// What `enter` on a row opens; carried out by the reducer.
#[derive(Debug, Clone, PartialEq)]
pub enum Opens {
    /// The services of one stage (environment and region).
    Stage(Stage),
    /// A service's detail at its instance in `stage` (the first one without a stage).
    Service {
        namespace: Option<String>,
        name: String,
        stage: Option<Stage>,
    },
    /// A workload's service detail, at its first instance.
    Detail(WorkloadKey),
    /// A service's release screen.
    Release(WorkloadKey),
    /// Nothing to open; say why.
    Notice(String),
    Nothing,
}

/// One fixed order, for lists that do not sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unsorted {
    #[default]
    Fixed,
}

impl SortOrder for Unsorted {
    const ALL: &'static [Self] = &[Self::Fixed];
    fn label(self) -> &'static str {
        ""
    }
}

/// The current list, without its row types: what the reducer does to any list.
pub trait ListOps: Sync {
    /// Move the selection by `delta` rows (clamped to the list), onto that row's key.
    fn move_by(&self, state: &mut State, delta: i64);
    fn reset_selection(&self, ui: &mut UiState);
    /// The `/` filter, for lists that have one.
    fn filter<'u>(&self, ui: &'u UiState) -> Option<&'u str>;
    fn filter_mut<'u>(&self, ui: &'u mut UiState) -> Option<&'u mut String>;
    /// Clear a non-empty filter and go back to the first row; false when there was none.
    fn clear_filter(&self, ui: &mut UiState) -> bool;
    /// The next sort order's label, None for a list with one order.
    fn cycle_sort(&self, ui: &mut UiState) -> Option<&'static str>;
    /// What `enter` opens on the selected row; None for an empty list.
    fn opens(&self, state: &State) -> Option<Opens>;
}

struct Registered<S>(PhantomData<fn() -> S>);

impl<S: ListScreen> ListOps for Registered<S> {
    fn move_by(&self, state: &mut State, delta: i64) {
        let (index, key) = {
            let rows = S::rows(state);
            let Some(current) = selected_row::<S>(state, &rows) else {
                return;
            };
            let last = rows.len() as i64 - 1;
            let index = (current as i64).saturating_add(delta).clamp(0, last) as usize;
            (index, S::key(&rows[index]))
        };
        S::list_mut(&mut state.ui).select(index, Some(key));
    }

    fn reset_selection(&self, ui: &mut UiState) {
        S::list_mut(ui).reset_selection();
    }

    fn filter<'u>(&self, ui: &'u UiState) -> Option<&'u str> {
        S::FILTERED.then(|| S::list(ui).filter.as_str())
    }

    fn filter_mut<'u>(&self, ui: &'u mut UiState) -> Option<&'u mut String> {
        S::FILTERED.then(|| &mut S::list_mut(ui).filter)
    }

    fn clear_filter(&self, ui: &mut UiState) -> bool {
        let list = S::list_mut(ui);
        if !S::FILTERED || list.filter.is_empty() {
            return false;
        }
        list.filter.clear();
        list.reset_selection();
        true
    }

    fn cycle_sort(&self, ui: &mut UiState) -> Option<&'static str> {
        if S::Sort::ALL.len() < 2 {
            return None;
        }
        let list = S::list_mut(ui);
        list.sort = list.sort.next();
        Some(list.sort.label())
    }

    fn opens(&self, state: &State) -> Option<Opens> {
        let rows = S::rows(state);
        let i = selected_row::<S>(state, &rows)?;
        Some(S::opens(state, &rows[i]))
    }
}

/// The current view's `/` filter, for lists that have one.
pub fn list_filter(state: &State) -> Option<&str> {
    list_screen(state.view())?.filter(&state.ui)
}
