//! Pipelines: each service's version at every stage (in the layout's order: environments, then
//! regions), drift between stages, rollouts in progress, gates waiting and stuck rollouts.

use super::{
    ClusterId, FleetState, Health, RolloutState, ServiceRow, Stage, Timestamp, WorkloadKey,
};
use serde::Serialize;

/// A gate as the pipeline shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateState {
    pub version: String,
    pub approvals: u32,
    pub required: u32,
    pub requested_by: String,
    pub since: Timestamp,
}

/// One service at one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageState {
    pub stage: Stage,
    pub cluster: ClusterId,
    /// What the pods run (the stable version while a rollout or gate is under way).
    pub version: String,
    /// Every running version with its pods, e.g. `2.4.0 ×1 · 2.3.1 ×5`.
    pub running: String,
    /// The template's version while it is not yet what runs.
    pub pending_version: Option<String>,
    pub health: Health,
    pub rollout: RolloutState,
    pub updated: u32,
    /// Pods on the current version that are ready (what a rollout has really achieved).
    pub updated_ready: u32,
    pub ready: u32,
    pub desired: u32,
    pub gate: Option<GateState>,
    /// Runs another version than the nearest earlier stage that runs the service.
    pub drift: bool,
    /// When the spec last changed (deploy, scale, pause).
    pub changed_at: Timestamp,
}

impl StageState {
    /// Ready pods on the current version as a share of desired, in percent.
    pub fn progress_pct(&self) -> u32 {
        (self.updated_ready.min(self.desired) * 100)
            .checked_div(self.desired)
            .unwrap_or(100)
    }
    /// A rollout is under way here: rolling, held at a gate, or stuck.
    pub fn in_flight(&self) -> bool {
        self.rollout != RolloutState::Complete
    }
}

/// What a pipeline row most needs attention for; higher is more urgent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attention {
    Settled,
    Drift,
    Rolling,
    Gate,
    Stuck,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineRow {
    pub key: WorkloadKey,
    pub team: Option<String>,
    /// One entry per stage of `stages(fleet)`, None where the service does not run.
    pub stages: Vec<Option<StageState>>,
}

impl PipelineRow {
    pub fn present(&self) -> impl Iterator<Item = &StageState> {
        self.stages.iter().flatten()
    }
    /// Distinct versions along the pipeline.
    pub fn version_count(&self) -> usize {
        let mut v: Vec<&str> = self.present().map(|s| s.version.as_str()).collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    }
    pub fn attention(&self) -> Attention {
        self.present()
            .map(|s| match (&s.rollout, s.drift) {
                (RolloutState::Stuck(_), _) => Attention::Stuck,
                (RolloutState::Paused, _) if s.gate.is_some() => Attention::Gate,
                (RolloutState::Paused | RolloutState::Progressing, _) => Attention::Rolling,
                (RolloutState::Complete, true) => Attention::Drift,
                (RolloutState::Complete, false) => Attention::Settled,
            })
            .max()
            .unwrap_or(Attention::Settled)
    }
    /// The stage the release is about: the first held at a gate, else the first stuck or
    /// rolling, else the first where promotion stopped (drift), else the last. An index into
    /// `present()`.
    pub fn focus(&self) -> usize {
        let present: Vec<&StageState> = self.present().collect();
        let first = |f: &dyn Fn(&StageState) -> bool| present.iter().position(|s| f(s));
        first(&|s| s.gate.is_some())
            .or_else(|| first(&|s| s.in_flight()))
            .or_else(|| first(&|s| s.drift))
            .unwrap_or(present.len().saturating_sub(1))
    }
    /// The version on its way into the `index`-th present stage: the one rolling or held there
    /// (the template's, pending), else the earlier stage's version when promotion stopped
    /// here, else what runs there. Never a downgrade: a pending or earlier-stage version older
    /// than what runs here (a rollback under way, a hotfix made here) is not a next release.
    pub fn candidate(&self, index: usize) -> Option<&str> {
        let present: Vec<&StageState> = self.present().collect();
        let s = present.get(index)?;
        let newer = |v: &str| super::version_order(v, &s.version).is_gt();
        if let Some(pending) = s.pending_version.as_deref().filter(|p| newer(p)) {
            return Some(pending);
        }
        if !s.in_flight() && s.drift && index > 0 && newer(&present[index - 1].version) {
            return Some(&present[index - 1].version);
        }
        Some(&s.version)
    }
}

/// A pipeline row per service, sorted by namespace/name.
pub(crate) fn build_pipeline_rows(fleet: &FleetState) -> Vec<PipelineRow> {
    let stages = fleet.stages();
    fleet
        .service_rows()
        .iter()
        .map(|r| pipeline_row(fleet, r, stages))
        .collect()
}

fn pipeline_row(fleet: &FleetState, row: &ServiceRow, stages: &[Stage]) -> PipelineRow {
    let mut previous: Option<String> = None;
    let cells = stages
        .iter()
        .map(|stage| {
            // With several clusters in a stage, the least healthy instance speaks for it.
            let inst = row
                .instances
                .iter()
                .filter(|i| &i.stage == stage)
                .max_by_key(|i| i.health)?;
            let cluster = fleet.clusters().get(&inst.cluster)?;
            let w = cluster.workloads.get(&row.key)?;
            let updated_ready = fleet
                .cluster_derived(cluster)
                .pods_of(cluster, &row.key)
                .updated_ready;
            let version = w.running_version().to_string();
            let drift = previous.as_ref().is_some_and(|p| *p != version);
            previous = Some(version.clone());
            Some(StageState {
                stage: stage.clone(),
                cluster: inst.cluster.clone(),
                version,
                running: w.running_label(),
                pending_version: w.pending_version().map(str::to_string),
                health: inst.health,
                rollout: w.rollout.clone(),
                updated: w.updated,
                updated_ready,
                ready: w.ready,
                desired: w.desired,
                gate: w.gate.as_ref().map(|g| GateState {
                    version: g.version.clone(),
                    approvals: g.approvals.len() as u32,
                    required: g.required,
                    requested_by: g.requested_by.clone(),
                    since: g.since,
                }),
                drift,
                changed_at: w.changed_at,
            })
        })
        .collect();
    PipelineRow {
        key: row.key.clone(),
        team: row.team.clone(),
        stages: cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::*;
    use crate::domain::{Approval, Gate};

    /// api at 1.1 in dev, 1.1 gated in staging/us-east-1, 1.0 everywhere after.
    fn pipeline() -> FleetState {
        let mut fleet = fleet();
        let api = |v: &str| workload("ns", "api", v);
        add_cluster(&mut fleet, "dev", "us-east-1", vec![api("1.1")]);
        let mut gated = api("1.0");
        deploy(&mut gated, "1.1", t(-60));
        gated.rollout = RolloutState::Paused;
        gated.paused = true;
        gated.gate = Some(Gate {
            requested_by: "bot".into(),
            since: t(-60),
            required: 2,
            version: "1.1".into(),
            approvals: vec![Approval {
                who: "ana".into(),
                at: t(-30),
                reason: "ok".into(),
            }],
        });
        add_cluster(&mut fleet, "staging", "us-east-1", vec![gated]);
        add_cluster(&mut fleet, "prod", "us-east-1", vec![api("1.0")]);
        add_cluster(&mut fleet, "prod", "eu-west-1", vec![api("1.0")]);
        fleet
    }

    #[test]
    fn versions_by_stage_in_layout_order_with_drift_and_gates() {
        let fleet = pipeline();
        let rows = fleet.pipeline_rows();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        let cells: Vec<(String, bool)> = r
            .present()
            .map(|s| (format!("{} {}", s.stage, s.version), s.drift))
            .collect();
        let cell = |s: &str, d| (s.to_string(), d);
        assert_eq!(
            cells,
            [
                cell("dev/us-east-1 1.1", false),
                // Held at its gate: the pods run 1.0, 1.1 is pending.
                cell("staging/us-east-1 1.0", true),
                cell("prod/us-east-1 1.0", false),
                cell("prod/eu-west-1 1.0", false),
            ]
        );
        let gate = r.present().nth(1).unwrap().gate.as_ref().unwrap();
        assert_eq!((gate.approvals, gate.required), (1, 2));
        assert_eq!(r.version_count(), 2);
        assert_eq!(r.attention(), Attention::Gate);
        assert_eq!(r.focus(), 1, "the gate is what the release waits for");
        assert_eq!(r.candidate(1), Some("1.1"), "the gate's pending version");
        assert_eq!(
            r.present().nth(1).unwrap().pending_version.as_deref(),
            Some("1.1")
        );
        assert_eq!(
            r.candidate(2),
            Some("1.0"),
            "staging runs 1.0 until its gate passes: nothing newer is on its way to prod"
        );
        assert_eq!(r.candidate(3), Some("1.0"));
    }

    /// A stage rolling back (its template older than what runs) and a stage with a hotfix newer
    /// than the stage before it: neither shows a downgrade as its next release.
    #[test]
    fn a_release_title_never_shows_a_downgrade() {
        let mut fleet = fleet();
        let api = |v: &str| workload("ns", "api", v);
        add_cluster(&mut fleet, "dev", "us-east-1", vec![api("1.1")]);
        let mut back = api("1.2");
        deploy(&mut back, "1.1", t(-60));
        add_cluster(&mut fleet, "staging", "us-east-1", vec![back]);
        add_cluster(&mut fleet, "prod", "us-east-1", vec![api("1.2.1")]);
        let r = &fleet.pipeline_rows()[0];
        let s = r.present().nth(1).unwrap();
        assert_eq!(
            (s.version.as_str(), s.pending_version.as_deref()),
            ("1.2", Some("1.1"))
        );
        assert_eq!(r.candidate(1), Some("1.2"), "rolling back is not a release");
        assert!(r.present().nth(2).unwrap().drift);
        assert_eq!(
            r.candidate(2),
            Some("1.2.1"),
            "prod's hotfix is newer than staging's 1.2"
        );
    }

    #[test]
    fn attention_ranks_stuck_over_gates_over_rolling_over_drift() {
        let mut fleet = pipeline();
        let id = ClusterId::parse("prod", "eu-west-1", "prod-eu-west-1").unwrap();
        let w = fleet
            .clusters_mut()
            .get_mut(&id)
            .unwrap()
            .workloads
            .get_mut(&WorkloadKey::new("ns", "api"))
            .unwrap();
        w.rollout = RolloutState::Stuck("ProgressDeadlineExceeded".into());
        let r = &fleet.pipeline_rows()[0];
        assert_eq!(r.attention(), Attention::Stuck);
        assert_eq!(r.focus(), 1, "a gate still comes first for the release");
        let mut settled = fleet.clone();
        for c in settled.clusters_mut().values_mut() {
            for w in c.workloads.values_mut() {
                rolled_out(w);
                w.gate = None;
            }
        }
        let r = &settled.pipeline_rows()[0];
        assert_eq!(r.attention(), Attention::Drift);
        assert_eq!(r.focus(), 2, "where promotion stopped");
        let progress = StageState {
            updated: 4,
            updated_ready: 2,
            desired: 6,
            ..r.present().next().unwrap().clone()
        };
        assert_eq!(progress.progress_pct(), 33);
    }
}
