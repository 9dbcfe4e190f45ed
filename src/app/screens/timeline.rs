//! Timeline: what changed across the fleet (revisions, scaling, approvals, alarms), in a window.

use super::{ListScreen, ListUi, Opens};
use crate::app::filter::{Fields, ListFilter};
use crate::app::state::{SortOrder, State, UiState};
use crate::domain::{Change, Stage};

pub struct Timeline;

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

impl ListScreen for Timeline {
    type Row<'s> = &'s Change;
    /// A change is known by all it says (changes have no id of their own).
    type Key = Change;
    type Sort = TimelineSort;

    fn list(ui: &UiState) -> &ListUi<Change, TimelineSort> {
        &ui.lists.timeline
    }
    fn list_mut(ui: &mut UiState) -> &mut ListUi<Change, TimelineSort> {
        &mut ui.lists.timeline
    }
    fn rows(state: &State) -> Vec<&Change> {
        visible_changes(state)
    }
    fn key(row: &&Change) -> Change {
        (*row).clone()
    }
    fn is(row: &&Change, key: &Change) -> bool {
        *row == key
    }
    fn opens(_: &State, c: &&Change) -> Opens {
        let stage = c
            .env
            .clone()
            .zip(c.region.clone())
            .map(|(env, region)| Stage { env, region });
        match &c.service {
            Some(name) => Opens::Service {
                namespace: c.namespace.clone(),
                name: name.clone(),
                stage,
            },
            None => Opens::Nothing,
        }
    }
}

/// The timeline: changes within the time window, after the filter, in the chosen order.
pub fn visible_changes(state: &State) -> Vec<&Change> {
    let ui = &state.ui.lists.timeline;
    let window = state.ui.timeline_window.secs();
    let mut rows: Vec<&Change> = state
        .fleet
        .changes
        .iter()
        .filter(|c| window.is_none_or(|w| (state.now - c.at).get_seconds() <= w))
        .collect();
    ListFilter::new(&ui.filter).retain(&mut rows, |c| Fields {
        env: c.env.as_deref(),
        region: c.region.as_deref(),
        service: c.service.as_deref(),
        text: format!(
            "{} {} {} {} {}",
            c.env.as_deref().unwrap_or(""),
            c.region.as_deref().unwrap_or(""),
            c.service.as_deref().unwrap_or(""),
            c.kind.label(),
            c.kind.describe()
        ),
    });
    // Newest first is the base order; a stable sort keeps it within groups.
    rows.sort_by_key(|c| std::cmp::Reverse(c.at));
    match ui.sort {
        TimelineSort::Newest => {}
        TimelineSort::Oldest => rows.reverse(),
        TimelineSort::Service => rows.sort_by(|a, b| a.service.cmp(&b.service)),
        TimelineSort::Kind => rows.sort_by_key(|c| c.kind.label()),
    }
    rows
}
