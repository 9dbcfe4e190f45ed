//! Actions on the simulated clusters, with the semantics of the real API: the scale subresource,
//! `kubectl rollout undo`, and resuming a paused (gated) rollout once approvals suffice.

use super::world::{DemoWorld, image};
use crate::domain::*;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum OpError {
    #[error("cluster {0} not found")]
    NoCluster(String),
    #[error("deployment {0} not found in cluster {1}")]
    NoWorkload(String, String),
    #[error("no revision {1} of {0} to roll back to")]
    NoRevision(String, u64),
    #[error("{0} has no previous revision to roll back to")]
    NoHistory(String),
    #[error("{0} is not waiting at a gate")]
    NoGate(String),
    /// The shared policy said no (`actions::policy`): its words.
    #[error("{0}")]
    Policy(String),
}

impl DemoWorld {
    /// Set a nodegroup's bounds; its nodes follow `desired` at once (EKS takes minutes).
    /// Returns the bounds before, as `min/desired/max`.
    fn scale_nodegroup(
        &mut self,
        cluster: &str,
        name: &str,
        min: u32,
        desired: u32,
        max: u32,
    ) -> Result<String, crate::actions::ActionError> {
        use crate::actions::ActionError;
        let idx = self
            .cluster_index(cluster)
            .ok_or_else(|| OpError::NoCluster(cluster.into()))?;
        self.dirty_clusters.insert(idx);
        let c = &mut self.clusters[idx];
        let ng = c
            .nodegroups
            .iter_mut()
            .find(|g| g.name == name)
            .ok_or_else(|| ActionError::NotFound(format!("nodegroup {name} in {cluster}")))?;
        let before = format!("{}/{}/{}", ng.min, ng.desired, ng.max);
        (ng.min, ng.desired, ng.max) = (min, desired, max);
        let mut nodes: Vec<String> = c
            .nodes
            .values()
            .filter(|n| n.nodegroup == name)
            .map(|n| n.name.clone())
            .collect();
        nodes.sort();
        let Some(model) = nodes.first().and_then(|n| c.nodes.get(n)).cloned() else {
            return Ok(before);
        };
        for gone in nodes.iter().skip(desired as usize) {
            c.nodes.remove(gone);
        }
        for i in nodes.len()..desired as usize {
            let name = format!(
                "ip-10-99-{i}-{}.{}.compute.internal",
                idx + 1,
                c.info.region
            );
            c.nodes.insert(
                name.clone(),
                crate::domain::Node {
                    name,
                    ..model.clone()
                },
            );
        }
        Ok(before)
    }

    fn workload_mut(
        &mut self,
        cluster: &str,
        key: &WorkloadKey,
    ) -> Result<(usize, &mut Workload), OpError> {
        let idx = self
            .cluster_index(cluster)
            .ok_or_else(|| OpError::NoCluster(cluster.into()))?;
        self.dirty_clusters.insert(idx);
        let w = self.clusters[idx]
            .workloads
            .get_mut(key)
            .ok_or_else(|| OpError::NoWorkload(key.to_string(), cluster.into()))?;
        Ok((idx, w))
    }

    /// `PATCH .../deployments/NAME/scale {"spec":{"replicas":N}}`. Like a real HPA, an HPA on
    /// the workload pulls replicas back within its bounds on its next evaluation.
    pub fn scale(
        &mut self,
        cluster: &str,
        key: &WorkloadKey,
        replicas: u32,
    ) -> Result<u32, OpError> {
        let now = self.now;
        let (_, w) = self.workload_mut(cluster, key)?;
        let before = w.desired;
        w.desired = replicas;
        w.changed_at = now;
        Ok(before)
    }

    /// `kubectl rollout undo [--to-revision=N]`: the target revision's template becomes current
    /// under a new revision number (its old number disappears, as its ReplicaSet is reused).
    /// A paused workload (held at a gate, part-way out) goes back to the revision its
    /// available pods run and resumes, as the Kubernetes executor does; its gate closes.
    pub fn rollback(
        &mut self,
        cluster: &str,
        key: &WorkloadKey,
        to: Option<u64>,
    ) -> Result<Revision, OpError> {
        let now = self.now;
        let (_, w) = self.workload_mut(cluster, key)?;
        let target = match to {
            Some(n) => w
                .history
                .iter()
                .find(|r| r.number == n && n != w.revision)
                .cloned()
                .ok_or(OpError::NoRevision(key.to_string(), n))?,
            None => w
                .rollback_target()
                .cloned()
                .ok_or_else(|| OpError::NoHistory(key.to_string()))?,
        };
        w.paused = false;
        w.gate = None;
        w.history.retain(|r| r.number != target.number);
        let number = w.history.iter().map(|r| r.number).max().unwrap_or(0) + 1;
        let rev = Revision {
            number,
            version: target.version.clone(),
            image: image(&key.name, &target.version),
            created: now,
        };
        w.history.insert(0, rev.clone());
        w.revision = number;
        w.template_version = target.version;
        w.image = rev.image.clone();
        w.rollout = RolloutState::Progressing;
        w.changed_at = now;
        Ok(rev)
    }

    /// Record an approval on a gate; once enough approvals are in, resume the rollout.
    /// Returns whether the rollout was resumed.
    pub fn approve(
        &mut self,
        cluster: &str,
        key: &WorkloadKey,
        who: &str,
        reason: &str,
    ) -> Result<bool, OpError> {
        let now = self.now;
        let (_, w) = self.workload_mut(cluster, key)?;
        let gate = w
            .gate
            .as_mut()
            .ok_or_else(|| OpError::NoGate(key.to_string()))?;
        let approvers: Vec<&str> = gate.approvals.iter().map(|a| a.who.as_str()).collect();
        crate::actions::policy::may_approve(who, Some(&gate.requested_by), &approvers)
            .map_err(OpError::Policy)?;
        gate.approvals.push(Approval {
            who: who.into(),
            at: now,
            reason: reason.into(),
        });
        if gate.approvals.len() as u32 >= gate.required {
            w.gate = None;
            w.paused = false;
            w.rollout = RolloutState::Progressing;
            w.changed_at = now;
            return Ok(true);
        }
        Ok(false)
    }
}

impl DemoWorld {
    /// The scaling guards (`policy::scale_guard`) with the environment's default policy, on
    /// the simulated object as it is now, as the Kubernetes executor re-checks them.
    fn guard_scaling(
        &self,
        cluster: &str,
        req: &crate::actions::ActionRequest,
    ) -> Result<(), crate::actions::ActionError> {
        use crate::actions::policy::{Policy, ScaleFacts, scale_guard};
        let Some(c) = self.clusters.iter().find(|c| c.info.name == cluster) else {
            return Ok(());
        };
        let facts = match &req.action {
            crate::actions::Action::ScaleNodegroup { .. } => c
                .nodegroups
                .iter()
                .find(|g| g.name == req.target.workload.name)
                .map(|g| ScaleFacts::Nodegroup {
                    min: g.min,
                    desired: g.desired,
                    max: g.max,
                }),
            crate::actions::Action::Scale { .. } | crate::actions::Action::ScaleHpa { .. } => c
                .workloads
                .get(&req.target.workload)
                .map(|w| ScaleFacts::Workload {
                    desired: w.desired,
                    hpa: w.hpa.as_ref().map(|h| (h.min, h.max)),
                }),
            _ => None,
        };
        let Some(facts) = facts else { return Ok(()) };
        let policy = Policy::default_for(self.layout.is_production(&c.info.env));
        scale_guard(&policy, &req.action, &facts)
            .map_err(|r| crate::actions::ActionError::Refused(r.to_string()))
    }

    /// Carry out a confirmed action, as the Kubernetes executor would on a real cluster.
    pub fn perform(
        &mut self,
        req: &crate::actions::ActionRequest,
    ) -> Result<crate::actions::Outcome, crate::actions::ActionError> {
        use crate::actions::{Action, ActionError, Outcome};
        let cluster = self
            .clusters
            .iter()
            .find(|c| c.info.id == req.target.cluster)
            .map(|c| c.info.name.clone())
            .ok_or_else(|| ActionError::NotFound(req.target.cluster.to_string()))?;
        let key = &req.target.workload;
        let now = self.now;
        self.guard_scaling(&cluster, req)?;
        let outcome = |summary: String, before: String, after: String| Outcome {
            summary,
            before,
            after,
        };
        let result = match &req.action {
            Action::Approve { reason } => {
                let (_, w) = self.workload_mut(&cluster, key)?;
                let required = w.gate.as_ref().map_or(0, |g| g.required);
                let before = w.gate.as_ref().map_or(0, |g| g.approvals.len());
                let resumed = self.approve(&cluster, key, &req.who, reason)?;
                let n = before + 1;
                let summary = if resumed {
                    format!("approved {n}/{required}: rollout resumed")
                } else {
                    format!(
                        "approved {n}/{required}: waiting for {} more",
                        required as usize - n
                    )
                };
                outcome(
                    summary,
                    format!("{before}/{required} approvals"),
                    format!("{n}/{required} approvals"),
                )
            }
            Action::Reject { reason } => {
                let (_, w) = self.workload_mut(&cluster, key)?;
                let gate = w
                    .gate
                    .take()
                    .ok_or_else(|| OpError::NoGate(key.to_string()))?;
                w.rejected = Some(Rejection {
                    who: req.who.clone(),
                    at: now,
                    reason: reason.clone(),
                    version: gate.version.clone(),
                });
                w.changed_at = now;
                let before = format!("gate for {} ({})", gate.version, w.running_label());
                // Back to what the available pods run, resumed: nothing new rolls out.
                let after = match self.rollback(&cluster, key, None) {
                    Ok(rev) => format!("{} (rev {}), resumed", rev.version, rev.number),
                    Err(_) => "paused: no earlier revision to go back to".into(),
                };
                outcome(format!("rejected {}: {after}", gate.version), before, after)
            }
            Action::Rollback {
                to_revision,
                reason,
                from_version,
            } => {
                let (_, w) = self.workload_mut(&cluster, key)?;
                if let Err(why) =
                    crate::actions::scope::still_on(from_version.as_deref(), &w.template_version)
                {
                    return Err(ActionError::Refused(why));
                }
                let before = format!("{} (rev {})", w.running_label(), w.revision);
                let held = w.gate.as_ref().map(|g| g.version.clone());
                let rev = self.rollback(&cluster, key, *to_revision)?;
                if let Some(version) = held {
                    // Rolling back a held release closes its gate, as a rejection does.
                    let (_, w) = self.workload_mut(&cluster, key)?;
                    w.rejected = Some(Rejection {
                        who: req.who.clone(),
                        at: now,
                        reason: format!("rolled back: {reason}"),
                        version,
                    });
                }
                let after = format!("{} (rev {})", rev.version, rev.number);
                outcome(format!("rolled back: {before} → {after}"), before, after)
            }
            Action::Scale { replicas, .. } => {
                let before = self.scale(&cluster, key, *replicas)?;
                outcome(
                    format!("scaled {before} → {replicas} replicas"),
                    format!("{before} replicas"),
                    format!("{replicas} replicas"),
                )
            }
            Action::ScaleHpa { min, max, .. } => {
                let (_, w) = self.workload_mut(&cluster, key)?;
                let h = w
                    .hpa
                    .as_mut()
                    .ok_or_else(|| ActionError::Refused(format!("{key} has no HPA")))?;
                let before = format!("HPA {}..{}", h.min, h.max);
                h.min = *min;
                h.max = *max;
                w.changed_at = now;
                let after = format!("HPA {min}..{max}");
                outcome(format!("{before} → {after}"), before, after)
            }
            Action::ScaleNodegroup {
                min, desired, max, ..
            } => {
                let before = self.scale_nodegroup(&cluster, &key.name, *min, *desired, *max)?;
                let after = format!("{min}/{desired}/{max}");
                outcome(
                    format!("nodegroup {}: min/desired/max {before} → {after}", key.name),
                    before,
                    after,
                )
            }
            Action::TickChecklist {
                item,
                version,
                reason,
            } => {
                let (_, w) = self.workload_mut(&cluster, key)?;
                let ticks = w.checklist.get_or_insert_with(Default::default);
                if ticks.version != *version {
                    *ticks = ChecklistTicks {
                        version: version.clone(),
                        items: Default::default(),
                    };
                }
                ticks.items.insert(
                    item.clone(),
                    Approval {
                        who: req.who.clone(),
                        at: now,
                        reason: reason.clone(),
                    },
                );
                outcome(
                    format!("ticked \"{item}\" for {version}"),
                    "open".into(),
                    "ticked".into(),
                )
            }
        };
        self.record_event(&cluster, req, &result.summary);
        Ok(result)
    }

    /// The Event a console records on the object, as the Kubernetes executor does: other
    /// consoles list it in their Activity view.
    fn record_event(&mut self, cluster: &str, req: &crate::actions::ActionRequest, summary: &str) {
        let Some(reason) = crate::actions::EventReason::of(&req.action) else {
            return;
        };
        let Some(idx) = self.cluster_index(cluster) else {
            return;
        };
        let mut message = format!("{}: {summary}", req.who);
        if !req.action.reason().trim().is_empty() {
            message.push_str(&format!(" (reason: {})", req.action.reason()));
        }
        self.dirty_clusters.insert(idx);
        self.clusters[idx].events.push(crate::domain::ClusterEvent {
            at: self.now,
            kind: crate::domain::EventKind::Normal,
            namespace: req.target.workload.namespace.clone(),
            object: format!("Deployment/{}", req.target.workload.name),
            reason: reason.as_str().to_string(),
            message,
        });
    }
}

impl From<OpError> for crate::actions::ActionError {
    fn from(e: OpError) -> Self {
        use crate::actions::ActionError;
        match e {
            OpError::NoCluster(_) | OpError::NoWorkload(..) => ActionError::NotFound(e.to_string()),
            _ => ActionError::Refused(e.to_string()),
        }
    }
}
