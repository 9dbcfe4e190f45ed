//! Pods and the controllers that own them: a small Deployment controller, scheduler and kubelet,
//! so the demo's rollouts, crash loops and scaling behave like a real cluster's.

use super::world::{DemoWorld, Fault};
use crate::domain::*;
use jiff::ToSpan;

/// A rollout that has not completed within this long is stuck (Kubernetes' default
/// `progressDeadlineSeconds` is 600; the demo is impatient so the story unfolds quickly).
const PROGRESS_DEADLINE_SECS: i64 = 180;
/// Seconds from creation until a healthy pod reports ready.
const STARTUP_SECS: i64 = 3;

impl DemoWorld {
    pub(super) fn spawn_initial_pods(&mut self, idx: usize, key: &WorkloadKey) {
        let w = self.clusters[idx].workloads[key].clone();
        let previous = w
            .history
            .iter()
            .find(|r| r.number < w.revision)
            .map(|r| r.version.clone());
        // A workload mid-rollout starts with some pods of the new version and the rest old.
        let new_count = match (&w.rollout, &previous) {
            (RolloutState::Progressing, Some(_)) | (_, Some(_)) if w.paused => 1,
            (RolloutState::Progressing, Some(_)) => (w.desired / 3).max(1),
            _ => w.desired,
        };
        for i in 0..w.desired {
            let version = if i < new_count {
                w.template_version.clone()
            } else {
                previous.clone().unwrap_or(w.template_version.clone())
            };
            let age = (self.dice.range(600, 86_400 * 3) as i64).seconds();
            let started = if version == w.template_version && new_count < w.desired {
                self.now - 30.seconds()
            } else {
                self.now - age
            };
            self.create_pod(idx, &w, &version, started);
        }
    }

    pub(super) fn create_pod(
        &mut self,
        idx: usize,
        w: &Workload,
        version: &str,
        started: Timestamp,
    ) {
        let rev = w
            .history
            .iter()
            .find(|r| r.version == version)
            .map(|r| r.number)
            .unwrap_or(w.revision);
        let name = format!(
            "{}-{}-{}",
            w.key.name,
            rs_hash(&w.key.name, rev),
            self.dice.suffix(5)
        );
        let node = self.schedule(idx, w.cpu_request_m);
        let pod = Pod {
            namespace: w.key.namespace.clone(),
            name: name.clone(),
            workload: w.key.name.clone(),
            phase: if node.is_some() {
                PodPhase::Running
            } else {
                PodPhase::Pending
            },
            node,
            ready: false,
            restarts: 0,
            reason: None,
            version: version.to_string(),
            started,
            cpu_request_m: w.cpu_request_m,
            mem_request_mib: w.mem_request_mib,
        };
        self.clusters[idx]
            .pods
            .insert((pod.namespace.clone(), name), pod);
        self.dirty_clusters.insert(idx);
    }

    /// Least-requested ready node with room for the pod; None leaves it Pending.
    fn schedule(&self, idx: usize, cpu_m: u64) -> Option<String> {
        let c = &self.clusters[idx];
        let mut used: std::collections::BTreeMap<&str, u64> =
            c.nodes.keys().map(|n| (n.as_str(), 0)).collect();
        for p in c.pods.values() {
            if let Some(n) = &p.node {
                *used.entry(n.as_str()).or_default() += p.cpu_request_m;
            }
        }
        c.nodes
            .values()
            .filter(|n| n.ready && used[n.name.as_str()] + cpu_m <= n.allocatable_cpu_m)
            .min_by_key(|n| used[n.name.as_str()] * 1000 / n.allocatable_cpu_m.max(1))
            .map(|n| n.name.clone())
    }

    /// Kubelet: pods become ready after start-up, faulty versions crash-loop or fail to pull.
    pub(super) fn run_kubelet(&mut self, idx: usize) {
        let now = self.now;
        let tick = self.tick;
        let faults = &self.faults;
        let cluster = &mut self.clusters[idx];
        let cluster_name = cluster.info.name.clone();
        let mut events = Vec::new();
        for pod in cluster.pods.values_mut() {
            if pod.node.is_none() {
                continue;
            }
            let fault = faults
                .get(&(
                    cluster_name.clone(),
                    pod.workload.clone(),
                    pod.version.clone(),
                ))
                .copied();
            let before = (pod.ready, pod.restarts, pod.reason.clone(), pod.phase);
            match fault {
                Some(Fault::CrashLoop) => {
                    pod.phase = PodPhase::Running;
                    pod.ready = false;
                    if (now - pod.started).get_seconds() >= STARTUP_SECS {
                        pod.reason = Some(crate::domain::CRASH_LOOP_BACK_OFF.into());
                        // Back-off grows with restarts like the kubelet's, capped.
                        let every = (10u64 << pod.restarts.min(4)).min(60);
                        if tick.is_multiple_of(every) {
                            pod.restarts = pod.restarts.saturating_add(1);
                            events.push(event(
                                now,
                                EventKind::Warning,
                                pod,
                                "BackOff",
                                "Back-off restarting failed container",
                            ));
                        }
                    }
                }
                Some(Fault::ImagePull) => {
                    pod.phase = PodPhase::Pending;
                    pod.ready = false;
                    pod.reason = Some("ImagePullBackOff".into());
                    if tick.is_multiple_of(30) {
                        let msg = format!(
                            "Back-off pulling image \"{}:{}\"",
                            pod.workload, pod.version
                        );
                        events.push(event(now, EventKind::Warning, pod, "Failed", &msg));
                    }
                }
                None => {
                    if !pod.ready && (now - pod.started).get_seconds() >= STARTUP_SECS {
                        pod.ready = true;
                        pod.phase = PodPhase::Running;
                        pod.reason = None;
                    }
                }
            }
            if before != (pod.ready, pod.restarts, pod.reason.clone(), pod.phase) {
                self.dirty_clusters.insert(idx);
            }
        }
        push_events(cluster, events);
    }

    /// Deployment controller for one workload: surge one new pod at a time, remove an old pod
    /// once a new one is ready, honour `paused`, converge on `desired`.
    pub(super) fn reconcile(&mut self, idx: usize, key: &WorkloadKey) {
        let Some(w) = self.clusters[idx].workloads.get(key).cloned() else {
            return;
        };
        let pods: Vec<Pod> = self.clusters[idx].pods_of(key).cloned().collect();
        let new: Vec<&Pod> = pods
            .iter()
            .filter(|p| p.version == w.template_version)
            .collect();
        let old: Vec<&Pod> = pods
            .iter()
            .filter(|p| p.version != w.template_version)
            .collect();
        let total = pods.len() as u32;
        let ready_total = pods.iter().filter(|p| p.ready).count() as u32;
        let mut removed: Option<String> = None;
        if w.paused {
            // Paused deployments still scale, keeping the versions they have.
            if total < w.desired {
                let v = old
                    .first()
                    .map(|p| p.version.clone())
                    .unwrap_or(w.template_version.clone());
                self.create_pod(idx, &w, &v, self.now);
            } else if total > w.desired {
                removed = pick_victim(&old).or_else(|| pick_victim(&new));
            }
        } else if (new.len() as u32) < w.desired && total < w.desired + 1 {
            self.create_pod(idx, &w, &w.template_version.clone(), self.now);
        } else if !old.is_empty() && ready_total > w.desired {
            removed = pick_victim(&old);
        } else if old.is_empty() && total > w.desired {
            removed = pick_victim(&new);
        } else if !old.is_empty() && total > w.desired && old.iter().any(|p| !p.ready) {
            removed = old.iter().find(|p| !p.ready).map(|p| p.name.clone());
        }
        if let Some(name) = removed {
            self.clusters[idx]
                .pods
                .remove(&(key.namespace.clone(), name));
            self.dirty_clusters.insert(idx);
        }
    }

    /// Recompute every workload's status from its pods, as the controllers report it.
    pub(super) fn refresh_status(&mut self, idx: usize) {
        let now = self.now;
        let cluster = &mut self.clusters[idx];
        let keys: Vec<WorkloadKey> = cluster.workloads.keys().cloned().collect();
        let mut events = Vec::new();
        for key in keys {
            let (ready, updated, total, running) = {
                let pods: Vec<&Pod> = cluster.pods_of(&key).collect();
                let w = &cluster.workloads[&key];
                (
                    pods.iter().filter(|p| p.ready).count() as u32,
                    pods.iter()
                        .filter(|p| p.version == w.template_version)
                        .count() as u32,
                    pods.len() as u32,
                    running_versions(w, &pods),
                )
            };
            let w = cluster.workloads.get_mut(&key).unwrap();
            let before = (w.ready, w.updated, w.available, w.rollout.clone());
            if w.running != running {
                w.running = running;
                self.dirty_clusters.insert(idx);
            }
            w.ready = ready;
            w.updated = updated;
            w.available = ready;
            let complete = updated >= w.desired && total == w.desired && ready >= w.desired;
            w.rollout = if w.paused {
                RolloutState::Paused
            } else if complete {
                RolloutState::Complete
            } else if matches!(w.rollout, RolloutState::Stuck(_)) {
                w.rollout.clone()
            } else if (now - w.changed_at).get_seconds() > PROGRESS_DEADLINE_SECS {
                RolloutState::Stuck("ProgressDeadlineExceeded".into())
            } else if updated < w.desired || total != w.desired {
                RolloutState::Progressing
            } else {
                RolloutState::Complete
            };
            if let Some(h) = w.hpa.as_mut() {
                h.current = total;
            }
            if before.3 != w.rollout
                && let RolloutState::Stuck(reason) = &w.rollout
            {
                let msg = format!("Deployment \"{}\" has timed out progressing", key.name);
                events.push(ClusterEvent {
                    at: now,
                    kind: EventKind::Warning,
                    namespace: key.namespace.clone(),
                    object: format!("Deployment/{}", key.name),
                    reason: reason.clone(),
                    message: msg,
                });
            }
            if before != (w.ready, w.updated, w.available, w.rollout.clone()) {
                self.dirty_clusters.insert(idx);
            }
        }
        push_events(cluster, events);
    }
}

/// Ready pods per version, as the ReplicaSets' `availableReplicas` report them, newest
/// revision first.
fn running_versions(w: &Workload, pods: &[&Pod]) -> Vec<RunningVersion> {
    let mut out: Vec<RunningVersion> = Vec::new();
    for p in pods.iter().filter(|p| p.ready) {
        match out.iter_mut().find(|r| r.version == p.version) {
            Some(r) => r.pods += 1,
            None => out.push(RunningVersion {
                version: p.version.clone(),
                revision: w
                    .history
                    .iter()
                    .find(|r| r.version == p.version)
                    .map_or(0, |r| r.number),
                pods: 1,
            }),
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.revision));
    out
}

/// Prefer removing pods that are not ready, then the youngest.
fn pick_victim(pods: &[&Pod]) -> Option<String> {
    pods.iter()
        .min_by_key(|p| (p.ready, std::cmp::Reverse(p.started)))
        .map(|p| p.name.clone())
}

fn event(at: Timestamp, kind: EventKind, pod: &Pod, reason: &str, message: &str) -> ClusterEvent {
    ClusterEvent {
        at,
        kind,
        namespace: pod.namespace.clone(),
        object: format!("Pod/{}", pod.name),
        reason: reason.into(),
        message: message.into(),
    }
}

pub(super) fn push_events(cluster: &mut ClusterState, events: Vec<ClusterEvent>) {
    cluster.events.extend(events);
    let excess = cluster.events.len().saturating_sub(200);
    cluster.events.drain(..excess);
}

/// The pod-template hash part of generated pod names, stable per (workload, revision).
fn rs_hash(name: &str, revision: u64) -> String {
    // FNV-1a: tiny, stable across platforms and Rust versions (std's hasher is not).
    let mut h: u64 = 0xcbf29ce484222325;
    for b in name.bytes().chain(revision.to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..9)
        .map(|i| ALPHABET[((h >> (i * 6)) % ALPHABET.len() as u64) as usize] as char)
        .collect()
}
