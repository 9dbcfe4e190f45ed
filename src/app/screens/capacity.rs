//! Capacity: each cluster's CPU, memory, pods and nodes, then its nodegroups.

use super::{ListScreen, ListUi, Opens};
use crate::app::filter::{Fields, ListFilter};
use crate::app::state::{SortOrder, State, UiState};
use crate::domain::{ClusterCapacity, ClusterId};

pub struct Capacity;

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

/// A line of the screen: a cluster, or one of its nodegroups (an index into its nodegroups).
#[derive(Debug, Clone, Copy)]
pub struct CapacityLine<'s> {
    pub cluster: &'s ClusterCapacity,
    pub nodegroup: Option<usize>,
}

/// A line across re-derivations: the cluster, and the nodegroup by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapacityKey {
    pub cluster: ClusterId,
    pub nodegroup: Option<String>,
}

impl ListScreen for Capacity {
    type Row<'s> = CapacityLine<'s>;
    type Key = CapacityKey;
    type Sort = CapacitySort;

    fn list(ui: &UiState) -> &ListUi<CapacityKey, CapacitySort> {
        &ui.lists.capacity
    }
    fn list_mut(ui: &mut UiState) -> &mut ListUi<CapacityKey, CapacitySort> {
        &mut ui.lists.capacity
    }
    /// The clusters after the filter, in the chosen order, each followed by its nodegroups (the
    /// filter and the sort apply to clusters).
    fn rows(state: &State) -> Vec<CapacityLine<'_>> {
        capacity_lines(&visible_capacity(state))
    }
    fn key(line: &CapacityLine<'_>) -> CapacityKey {
        CapacityKey {
            cluster: line.cluster.cluster.clone(),
            nodegroup: line
                .nodegroup
                .map(|g| line.cluster.nodegroups[g].name.clone()),
        }
    }
    fn is(line: &CapacityLine<'_>, key: &CapacityKey) -> bool {
        line.cluster.cluster == key.cluster
            && line.nodegroup.map(|g| &line.cluster.nodegroups[g].name) == key.nodegroup.as_ref()
    }
    fn opens(_: &State, line: &CapacityLine<'_>) -> Opens {
        Opens::Stage(line.cluster.stage.clone())
    }
}

/// Clusters' capacity after the filter (cluster, env/region, nodegroups), in the chosen order.
pub fn visible_capacity(state: &State) -> Vec<&ClusterCapacity> {
    let ui = &state.ui.lists.capacity;
    let mut rows: Vec<&ClusterCapacity> = state.fleet.cluster_capacities().iter().collect();
    ListFilter::new(&ui.filter).retain(&mut rows, |c| {
        let groups: Vec<String> = c
            .nodegroups
            .iter()
            .map(|g| format!("{} {}", g.name, g.instance_type))
            .collect();
        Fields {
            env: Some(&c.stage.env),
            region: Some(&c.stage.region),
            service: None,
            text: format!("{} {} {}", c.name, c.stage, groups.join(" ")),
        }
    });
    match ui.sort {
        CapacitySort::Stage => {}
        CapacitySort::Fullest => rows.sort_by_key(|c| std::cmp::Reverse(c.used_pct())),
        CapacitySort::Pending => rows.sort_by_key(|c| std::cmp::Reverse(c.pending_pods)),
    }
    rows
}

/// The capacity screen's lines for `clusters` (`visible_capacity`): each cluster, then its
/// nodegroups; the selection moves over these.
pub fn capacity_lines<'s>(clusters: &[&'s ClusterCapacity]) -> Vec<CapacityLine<'s>> {
    clusters
        .iter()
        .flat_map(|&cluster| {
            let groups = (0..cluster.nodegroups.len()).map(Some);
            std::iter::once(None)
                .chain(groups)
                .map(move |nodegroup| CapacityLine { cluster, nodegroup })
        })
        .collect()
}
