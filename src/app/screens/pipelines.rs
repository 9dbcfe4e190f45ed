//! Pipelines: each service's versions along its stages, gates and drift.

use super::{ListScreen, ListUi, Opens};
use crate::app::filter::{Fields, ListFilter};
use crate::app::state::{SortOrder, State, UiState};
use crate::domain::{PipelineRow, WorkloadKey};

pub struct Pipelines;

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

impl ListScreen for Pipelines {
    type Row<'s> = &'s PipelineRow;
    type Key = WorkloadKey;
    type Sort = PipelineSort;

    fn list(ui: &UiState) -> &ListUi<WorkloadKey, PipelineSort> {
        &ui.lists.pipelines
    }
    fn list_mut(ui: &mut UiState) -> &mut ListUi<WorkloadKey, PipelineSort> {
        &mut ui.lists.pipelines
    }
    fn rows(state: &State) -> Vec<&PipelineRow> {
        visible_pipelines(state)
    }
    fn key(row: &&PipelineRow) -> WorkloadKey {
        row.key.clone()
    }
    fn is(row: &&PipelineRow, key: &WorkloadKey) -> bool {
        row.key == *key
    }
    fn opens(_: &State, row: &&PipelineRow) -> Opens {
        Opens::Release(row.key.clone())
    }
}

/// Pipelines after the filter (service, namespace, team, versions), in the chosen order.
pub fn visible_pipelines(state: &State) -> Vec<&PipelineRow> {
    let ui = &state.ui.lists.pipelines;
    let mut rows: Vec<&PipelineRow> = state.fleet.pipeline_rows().iter().collect();
    ListFilter::new(&ui.filter).retain(&mut rows, |r| {
        let versions: Vec<&str> = r.present().map(|s| s.version.as_str()).collect();
        Fields {
            service: Some(&r.key.name),
            text: format!(
                "{} {} {}",
                r.key,
                r.team.as_deref().unwrap_or(""),
                versions.join(" ")
            ),
            ..Fields::default()
        }
    });
    match ui.sort {
        PipelineSort::Name => {}
        PipelineSort::Attention => rows.sort_by(|a, b| {
            b.attention()
                .cmp(&a.attention())
                .then_with(|| a.key.cmp(&b.key))
        }),
        PipelineSort::Drift => rows.sort_by(|a, b| {
            b.version_count()
                .cmp(&a.version_count())
                .then_with(|| a.key.cmp(&b.key))
        }),
        PipelineSort::Team => {
            rows.sort_by(|a, b| a.team.cmp(&b.team).then_with(|| a.key.cmp(&b.key)))
        }
    }
    rows
}
