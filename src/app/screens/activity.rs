//! Activity: our own actions (pending, done, failed, incomplete) and other consoles' from the
//! clusters' Events, newest first.

use super::{ListScreen, ListUi, Opens, Unsorted};
use crate::app::activity::{ActivityRow, activity_rows};
use crate::app::state::{State, UiState};
use crate::domain::{ClusterId, Stage, Timestamp, WorkloadKey};

pub struct ActivityList;

/// An action across re-derivations: when, what, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityKey {
    pub at: Timestamp,
    pub action: String,
    pub cluster: ClusterId,
    pub service: WorkloadKey,
}

impl ListScreen for ActivityList {
    type Row<'s> = ActivityRow;
    type Key = ActivityKey;
    type Sort = Unsorted;
    const FILTERED: bool = false;

    fn list(ui: &UiState) -> &ListUi<ActivityKey, Unsorted> {
        &ui.lists.activity
    }
    fn list_mut(ui: &mut UiState) -> &mut ListUi<ActivityKey, Unsorted> {
        &mut ui.lists.activity
    }
    fn rows(state: &State) -> Vec<ActivityRow> {
        activity_rows(state)
    }
    fn key(r: &ActivityRow) -> ActivityKey {
        ActivityKey {
            at: r.at,
            action: r.action.clone(),
            cluster: r.cluster.clone(),
            service: r.service.clone(),
        }
    }
    fn is(r: &ActivityRow, k: &ActivityKey) -> bool {
        r.at == k.at && r.action == k.action && r.cluster == k.cluster && r.service == k.service
    }
    fn opens(state: &State, r: &ActivityRow) -> Opens {
        let stage = state.fleet.clusters().get(&r.cluster).map(|c| Stage {
            env: c.info.env.clone(),
            region: c.info.region.clone(),
        });
        Opens::Service {
            namespace: Some(r.service.namespace.clone()),
            name: r.service.name.clone(),
            stage,
        }
    }
}
