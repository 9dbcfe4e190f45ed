//! Sources: every source the console reads, what its data is worth, when it is tried again.

use super::{ListScreen, ListUi, Opens, Unsorted};
use crate::app::queries::{SourceRow, source_rows};
use crate::app::state::{State, UiState};

pub struct SourceList;

/// A source across re-derivations: its kind and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceKey {
    pub kind: &'static str,
    pub name: String,
}

impl ListScreen for SourceList {
    type Row<'s> = SourceRow;
    type Key = SourceKey;
    type Sort = Unsorted;
    const FILTERED: bool = false;

    fn list(ui: &UiState) -> &ListUi<SourceKey, Unsorted> {
        &ui.lists.sources
    }
    fn list_mut(ui: &mut UiState) -> &mut ListUi<SourceKey, Unsorted> {
        &mut ui.lists.sources
    }
    fn rows(state: &State) -> Vec<SourceRow> {
        source_rows(state)
    }
    fn key(r: &SourceRow) -> SourceKey {
        SourceKey {
            kind: r.kind,
            name: r.name.clone(),
        }
    }
    fn is(r: &SourceRow, k: &SourceKey) -> bool {
        r.kind == k.kind && r.name == k.name
    }
    fn opens(_: &State, _: &SourceRow) -> Opens {
        Opens::Nothing
    }
}
