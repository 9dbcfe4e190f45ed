//! Services: every workload across the fleet, one row per service with an instance per stage.

use super::{ListScreen, ListUi, Opens};
use crate::app::filter::{Fields, ListFilter};
use crate::app::state::{SortOrder, State, UiState};
use crate::domain::{ServiceRow, WorkloadKey};

pub struct Services;

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

impl ListScreen for Services {
    type Row<'s> = &'s ServiceRow;
    type Key = WorkloadKey;
    type Sort = ServiceSort;

    fn list(ui: &UiState) -> &ListUi<WorkloadKey, ServiceSort> {
        &ui.lists.services
    }
    fn list_mut(ui: &mut UiState) -> &mut ListUi<WorkloadKey, ServiceSort> {
        &mut ui.lists.services
    }
    fn rows(state: &State) -> Vec<&ServiceRow> {
        visible_services(state)
    }
    fn key(row: &&ServiceRow) -> WorkloadKey {
        row.key.clone()
    }
    fn is(row: &&ServiceRow, key: &WorkloadKey) -> bool {
        row.key == *key
    }
    fn opens(_: &State, row: &&ServiceRow) -> Opens {
        Opens::Detail(row.key.clone())
    }
}

/// Services after the `/` filter (fuzzy, over namespace/name and team), in the chosen order;
/// only those running in the stage drilled into from the overview, when there is one.
pub fn visible_services(state: &State) -> Vec<&ServiceRow> {
    let ui = &state.ui.lists.services;
    let mut rows: Vec<&ServiceRow> = state.fleet.service_rows().iter().collect();
    if let Some(stage) = &state.ui.services_stage {
        rows.retain(|r| r.instance_at(stage).is_some());
    }
    ListFilter::new(&ui.filter).retain(&mut rows, |r| Fields {
        service: Some(&r.key.name),
        text: format!("{} {}", r.key, r.team.as_deref().unwrap_or("")),
        ..Fields::default()
    });
    match ui.sort {
        ServiceSort::Name => {}
        ServiceSort::Health => {
            rows.sort_by(|a, b| b.worst.cmp(&a.worst).then_with(|| a.key.cmp(&b.key)))
        }
        ServiceSort::Team => {
            rows.sort_by(|a, b| a.team.cmp(&b.team).then_with(|| a.key.cmp(&b.key)))
        }
        ServiceSort::Restarts => {
            rows.sort_by(|a, b| b.restarts.cmp(&a.restarts).then_with(|| a.key.cmp(&b.key)))
        }
    }
    rows
}
