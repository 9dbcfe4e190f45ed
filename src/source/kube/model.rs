//! One cluster as the collector knows it: compact records per resource, and what changed
//! since the last batch sent to the console. Pure: fed translated watch events, it produces
//! `ClusterDelta`s. Workloads are assembled here from their Deployment (or Rollout), their
//! ReplicaSets (revision history) and their HPA.

use super::store::{Applied, Dirty, Store};
use super::translate::{HpaRecord, ReplicaSetRecord, WorkloadRecord};
use crate::domain::{
    ClusterDelta, ClusterEvent, ClusterId, Gate, Node, Pod, Revision, RunningVersion, Workload,
    WorkloadKey,
};
use std::collections::{BTreeSet, HashMap};

/// The resource types the collector watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Resource {
    Deployments,
    Rollouts,
    ReplicaSets,
    Pods,
    Nodes,
    Hpas,
    Events,
    /// Events opsdeck consoles record for their actions (`reportingComponent=opsdeck`):
    /// a second, narrow watch beside the Warning events, so other engineers' actions reach
    /// the Activity view.
    ActionEvents,
}

impl Resource {
    /// The name `kubectl` and RBAC messages use.
    pub fn plural(self) -> &'static str {
        match self {
            Resource::Deployments => "deployments",
            Resource::Rollouts => "rollouts",
            Resource::ReplicaSets => "replicasets",
            Resource::Pods => "pods",
            Resource::Nodes => "nodes",
            Resource::Hpas => "horizontalpodautoscalers",
            Resource::Events | Resource::ActionEvents => "events",
        }
    }
}

/// One translated object.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Workload(WorkloadRecord),
    ReplicaSet(ReplicaSetRecord),
    Pod(Pod),
    Node(Node),
    Hpa(HpaRecord),
    Event {
        key: (String, String),
        event: ClusterEvent,
    },
    ActionEvent {
        key: (String, String),
        event: ClusterEvent,
    },
}

/// A watcher's event, translated. `scope` is the namespace the watcher is limited to.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A (re)list starts.
    Begin,
    Apply(Record),
    Delete(Record),
    /// The (re)list is complete: objects it did not list are gone.
    Synced,
    /// The watch is alive (a bookmark, or a watch started again after a failure): nothing
    /// changes in the model; the watch's failure is over.
    Alive,
    /// An object the watch could not read was skipped (`ns/name: why`); the rest is kept.
    Unreadable(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelOptions {
    pub production: bool,
    /// Approvals a gate needs when the object does not say.
    pub required_approvals: u32,
    /// Recent events kept per cluster.
    pub max_events: usize,
    /// Actions on this cluster are refused before any request (global or per environment).
    pub read_only: bool,
    /// The environment's policy: the executor re-checks the scaling guards with it.
    pub policy: crate::actions::policy::Policy,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            production: false,
            required_approvals: 2,
            max_events: 100,
            read_only: false,
            policy: crate::actions::policy::Policy::default_for(false),
        }
    }
}

#[derive(Debug)]
pub struct ClusterModel {
    id: ClusterId,
    opts: ModelOptions,
    deployments: Store<WorkloadRecord>,
    rollouts: Store<WorkloadRecord>,
    replicasets: Store<ReplicaSetRecord>,
    /// ReplicaSet names by the workload that owns them.
    rs_by_owner: HashMap<WorkloadKey, BTreeSet<String>>,
    hpas: Store<HpaRecord>,
    pods: Store<Pod>,
    nodes: Store<Node>,
    events: Store<ClusterEvent>,
    action_events: Store<ClusterEvent>,
    dirty_workloads: Dirty<WorkloadKey>,
    dirty_pods: Dirty<(String, String)>,
    dirty_nodes: Dirty<String>,
    events_dirty: bool,
}

impl ClusterModel {
    pub fn new(id: ClusterId, opts: ModelOptions) -> ClusterModel {
        ClusterModel {
            id,
            opts,
            deployments: Store::default(),
            rollouts: Store::default(),
            replicasets: Store::default(),
            rs_by_owner: HashMap::new(),
            hpas: Store::default(),
            pods: Store::default(),
            nodes: Store::default(),
            events: Store::default(),
            action_events: Store::default(),
            dirty_workloads: Dirty::default(),
            dirty_pods: Dirty::default(),
            dirty_nodes: Dirty::default(),
            events_dirty: false,
        }
    }

    /// Whether a flush would send anything.
    pub fn has_changes(&self) -> bool {
        !(self.dirty_workloads.is_empty()
            && self.dirty_pods.is_empty()
            && self.dirty_nodes.is_empty()
            && !self.events_dirty)
    }

    pub fn object_counts(&self) -> [(Resource, usize); 8] {
        [
            (Resource::Deployments, self.deployments.len()),
            (Resource::Rollouts, self.rollouts.len()),
            (Resource::ReplicaSets, self.replicasets.len()),
            (Resource::Pods, self.pods.len()),
            (Resource::Nodes, self.nodes.len()),
            (Resource::Hpas, self.hpas.len()),
            (Resource::Events, self.events.len()),
            (Resource::ActionEvents, self.action_events.len()),
        ]
    }

    pub fn apply(&mut self, resource: Resource, scope: &Option<String>, step: Step) {
        match step {
            Step::Begin => self.begin(resource, scope.clone()),
            Step::Synced => self.synced(resource, scope),
            Step::Alive | Step::Unreadable(_) => {}
            Step::Apply(record) => self.upsert(record),
            Step::Delete(record) => self.remove(record),
        }
    }

    fn begin(&mut self, resource: Resource, scope: Option<String>) {
        match resource {
            Resource::Deployments => self.deployments.begin_relist(scope),
            Resource::Rollouts => self.rollouts.begin_relist(scope),
            Resource::ReplicaSets => self.replicasets.begin_relist(scope),
            Resource::Pods => self.pods.begin_relist(scope),
            Resource::Nodes => self.nodes.begin_relist(scope),
            Resource::Hpas => self.hpas.begin_relist(scope),
            Resource::Events => self.events.begin_relist(scope),
            Resource::ActionEvents => self.action_events.begin_relist(scope),
        }
    }

    fn synced(&mut self, resource: Resource, scope: &Option<String>) {
        match resource {
            Resource::Deployments => {
                for (_, w) in self.deployments.end_relist(scope) {
                    self.dirty_workloads.mark(w.key);
                }
            }
            Resource::Rollouts => {
                for (_, w) in self.rollouts.end_relist(scope) {
                    self.dirty_workloads.mark(w.key);
                }
            }
            Resource::ReplicaSets => {
                for (_, rs) in self.replicasets.end_relist(scope) {
                    self.unindex_rs(&rs);
                }
            }
            Resource::Pods => {
                for (k, _) in self.pods.end_relist(scope) {
                    self.dirty_pods.mark(k);
                }
            }
            Resource::Nodes => {
                for ((_, name), _) in self.nodes.end_relist(scope) {
                    self.dirty_nodes.mark(name);
                }
            }
            Resource::Hpas => {
                for (_, h) in self.hpas.end_relist(scope) {
                    self.mark_hpa_target(&h);
                }
            }
            Resource::Events => {
                if !self.events.end_relist(scope).is_empty() {
                    self.events_dirty = true;
                }
            }
            Resource::ActionEvents => {
                if !self.action_events.end_relist(scope).is_empty() {
                    self.events_dirty = true;
                }
            }
        }
    }

    fn upsert(&mut self, record: Record) {
        match record {
            Record::Workload(w) => {
                let key = w.key.clone();
                let store = match w.kind {
                    crate::domain::WorkloadKind::Deployment => &mut self.deployments,
                    crate::domain::WorkloadKind::Rollout => &mut self.rollouts,
                };
                if let Applied::Changed(_) = store.apply(pair(&key), w) {
                    self.dirty_workloads.mark(key);
                }
            }
            Record::ReplicaSet(rs) => {
                let key = (rs.namespace.clone(), rs.name.clone());
                if let Applied::Changed(old) = self.replicasets.apply(key, rs.clone()) {
                    if let Some(old) = old {
                        self.unindex_rs(&old);
                    }
                    if let Some((_, owner)) = &rs.owner {
                        let wk = WorkloadKey::new(rs.namespace.clone(), owner.clone());
                        self.rs_by_owner
                            .entry(wk.clone())
                            .or_default()
                            .insert(rs.name.clone());
                        self.dirty_workloads.mark(wk);
                    }
                }
            }
            Record::Pod(p) => {
                let key = (p.namespace.clone(), p.name.clone());
                if let Applied::Changed(_) = self.pods.apply(key.clone(), p) {
                    self.dirty_pods.mark(key);
                }
            }
            Record::Node(n) => {
                let name = n.name.clone();
                if let Applied::Changed(_) = self.nodes.apply((String::new(), name.clone()), n) {
                    self.dirty_nodes.mark(name);
                }
            }
            Record::Hpa(h) => {
                let key = (h.namespace.clone(), h.name.clone());
                if let Applied::Changed(old) = self.hpas.apply(key, h.clone()) {
                    if let Some(old) = old {
                        self.mark_hpa_target(&old);
                    }
                    self.mark_hpa_target(&h);
                }
            }
            Record::Event { key, event } => {
                if let Applied::Changed(_) = self.events.apply(key, event) {
                    self.events_dirty = true;
                    self.trim_events();
                }
            }
            Record::ActionEvent { key, event } => {
                if let Applied::Changed(_) = self.action_events.apply(key, event) {
                    self.events_dirty = true;
                }
            }
        }
    }

    fn remove(&mut self, record: Record) {
        match record {
            Record::Workload(w) => {
                let store = match w.kind {
                    crate::domain::WorkloadKind::Deployment => &mut self.deployments,
                    crate::domain::WorkloadKind::Rollout => &mut self.rollouts,
                };
                if store.delete(&pair(&w.key)).is_some() {
                    self.dirty_workloads.mark(w.key);
                }
            }
            Record::ReplicaSet(rs) => {
                if let Some(old) = self.replicasets.delete(&(rs.namespace, rs.name)) {
                    self.unindex_rs(&old);
                }
            }
            Record::Pod(p) => {
                let key = (p.namespace, p.name);
                if self.pods.delete(&key).is_some() {
                    self.dirty_pods.mark(key);
                }
            }
            Record::Node(n) => {
                if self
                    .nodes
                    .delete(&(String::new(), n.name.clone()))
                    .is_some()
                {
                    self.dirty_nodes.mark(n.name);
                }
            }
            Record::Hpa(h) => {
                if let Some(old) = self.hpas.delete(&(h.namespace, h.name)) {
                    self.mark_hpa_target(&old);
                }
            }
            Record::Event { key, .. } => {
                if self.events.delete(&key).is_some() {
                    self.events_dirty = true;
                }
            }
            Record::ActionEvent { key, .. } => {
                if self.action_events.delete(&key).is_some() {
                    self.events_dirty = true;
                }
            }
        }
    }

    fn unindex_rs(&mut self, rs: &ReplicaSetRecord) {
        if let Some((_, owner)) = &rs.owner {
            let wk = WorkloadKey::new(rs.namespace.clone(), owner.clone());
            if let Some(set) = self.rs_by_owner.get_mut(&wk) {
                set.remove(&rs.name);
                if set.is_empty() {
                    self.rs_by_owner.remove(&wk);
                }
            }
            self.dirty_workloads.mark(wk);
        }
    }

    fn mark_hpa_target(&mut self, h: &HpaRecord) {
        if let Some(t) = &h.target {
            self.dirty_workloads
                .mark(WorkloadKey::new(h.namespace.clone(), t.clone()));
        }
    }

    /// Keep the event store bounded: old events go first.
    fn trim_events(&mut self) {
        let cap = self.opts.max_events.max(1) * 2;
        if self.events.len() <= cap {
            return;
        }
        let excess = self.events.len() - self.opts.max_events;
        for (_, key) in self.events_keys_by_age().into_iter().take(excess) {
            self.events.delete(&key);
        }
    }

    fn events_keys_by_age(&self) -> Vec<(crate::domain::Timestamp, (String, String))> {
        let mut v: Vec<_> = self
            .events
            .keyed()
            .map(|(k, e)| (e.at, k.clone()))
            .collect();
        v.sort();
        v
    }

    /// Everything that changed since the previous flush.
    pub fn flush(&mut self) -> ClusterDelta {
        let mut delta = ClusterDelta::new(self.id.clone());
        let mut keys = self.dirty_workloads.take();
        keys.sort();
        delta.workloads = keys
            .into_iter()
            .map(|k| {
                let w = self.workload(&k);
                (k, w)
            })
            .collect();
        let mut pods = self.dirty_pods.take();
        pods.sort();
        delta.pods = pods
            .into_iter()
            .map(|k| {
                let p = self.pods.get(&k).cloned();
                (k, p)
            })
            .collect();
        let mut nodes = self.dirty_nodes.take();
        nodes.sort();
        delta.nodes = nodes
            .into_iter()
            .map(|n| {
                let v = self.nodes.get(&(String::new(), n.clone())).cloned();
                (n, v)
            })
            .collect();
        if std::mem::take(&mut self.events_dirty) {
            let mut events: Vec<ClusterEvent> = self.events.values().cloned().collect();
            events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.object.cmp(&b.object)));
            let skip = events.len().saturating_sub(self.opts.max_events);
            let mut events = events.split_off(skip);
            // Actions are few (and expire with the cluster's event TTL): the newest 100.
            let mut actions: Vec<ClusterEvent> = self.action_events.values().cloned().collect();
            actions.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.object.cmp(&b.object)));
            events.extend(actions.split_off(actions.len().saturating_sub(100)));
            events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.object.cmp(&b.object)));
            delta.events = Some(events);
        }
        delta
    }

    /// The workload as the console shows it, from its records. None when it no longer exists.
    pub fn workload(&self, key: &WorkloadKey) -> Option<Workload> {
        let rec = self
            .deployments
            .get(&pair(key))
            .or_else(|| self.rollouts.get(&pair(key)))?;
        let owned: Vec<&ReplicaSetRecord> = self
            .rs_by_owner
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|name| self.replicasets.get(&(key.namespace.clone(), name.clone())))
            .filter(|rs| rs.owner.as_ref().is_some_and(|(kind, _)| *kind == rec.kind))
            .collect();
        let running = running_versions(&owned);
        let mut history: Vec<Revision> = owned
            .iter()
            .map(|rs| Revision {
                number: rs.revision,
                version: rs.version.clone(),
                image: rs.image.clone(),
                created: rs.created,
            })
            .collect();
        history.sort_by(|a, b| b.number.cmp(&a.number).then(b.created.cmp(&a.created)));
        history.dedup_by_key(|r| r.number);
        let hpa = self
            .hpas
            .values()
            .find(|h| h.namespace == key.namespace && h.target.as_deref() == Some(&key.name))
            .map(|h| h.hpa.clone());
        let gate = (rec.paused && (self.opts.production || !rec.gate.is_empty())).then(|| Gate {
            requested_by: rec
                .gate
                .requested_by
                .clone()
                .unwrap_or_else(|| "unknown".into()),
            since: rec.gate.requested_at.unwrap_or(rec.changed_at),
            required: rec.gate.required.unwrap_or(self.opts.required_approvals),
            approvals: rec.gate.approvals.clone(),
            version: rec.version.clone(),
        });
        Some(Workload {
            key: key.clone(),
            kind: rec.kind,
            team: rec.team.clone(),
            desired: rec.desired,
            ready: rec.ready,
            updated: rec.updated,
            available: rec.available,
            image: rec.image.clone(),
            template_version: rec.version.clone(),
            running,
            paused: rec.paused,
            rollout: rec.rollout.clone(),
            revision: rec.revision,
            history,
            hpa,
            gate,
            rejected: rec.rejected.as_deref().cloned(),
            checklist: rec.checklist.clone(),
            cpu_request_m: rec.cpu_request_m,
            mem_request_mib: rec.mem_request_mib,
            changed_at: rec.changed_at,
        })
    }
}

/// Available pods per version, from the ReplicaSets that own them, newest revision first
/// (ReplicaSets of one version, e.g. a rollback's new revision beside the old, add up).
fn running_versions(owned: &[&ReplicaSetRecord]) -> Vec<RunningVersion> {
    let mut by_revision: Vec<&&ReplicaSetRecord> =
        owned.iter().filter(|rs| rs.available > 0).collect();
    by_revision.sort_by(|a, b| b.revision.cmp(&a.revision).then(b.created.cmp(&a.created)));
    let mut out: Vec<RunningVersion> = Vec::new();
    for rs in by_revision {
        match out.iter_mut().find(|r| r.version == rs.version) {
            Some(r) => r.pods += rs.available,
            None => out.push(RunningVersion {
                version: rs.version.clone(),
                revision: rs.revision,
                pods: rs.available,
            }),
        }
    }
    out
}

fn pair(key: &WorkloadKey) -> (String, String) {
    (key.namespace.clone(), key.name.clone())
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
