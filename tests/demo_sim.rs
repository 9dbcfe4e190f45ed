//! The demo fleet: its shape, its storyline and its dynamics, with Kubernetes semantics.

use jiff::{SignedDuration, Timestamp};
use opsdeck::domain::*;
use opsdeck::source::demo::{DemoWorld, FLAPPING_ALARM, GATE_CLUSTER, GATE_SERVICE, OpError};

fn start() -> Timestamp {
    "2026-11-21T14:30:00Z".parse().unwrap()
}

fn run(world: &mut DemoWorld, secs: i64) {
    let mut t = world.now;
    for _ in 0..secs {
        t += SignedDuration::from_secs(1);
        world.step(t);
    }
}

#[test]
fn the_fleet_has_the_promised_shape() {
    let mut world = DemoWorld::generate(7, start());
    let fleet = world.to_fleet_state();
    let envs: Vec<&str> = fleet
        .layout()
        .envs
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(envs, ["dev", "staging", "prod"]);
    assert!(fleet.layout().regions.len() >= 3);
    let prod_regions: std::collections::BTreeSet<&str> = fleet
        .clusters()
        .values()
        .filter(|c| c.info.env == "prod")
        .map(|c| c.info.region.as_str())
        .collect();
    assert!(prod_regions.len() >= 2, "{prod_regions:?}");
    let rows = fleet.service_rows();
    assert!(rows.len() >= 30, "{} services", rows.len());
    let namespaces: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.key.namespace.as_str()).collect();
    assert!(namespaces.len() >= 5);
    for c in fleet.clusters().values() {
        assert!(
            !c.nodes.is_empty() && !c.nodegroups.is_empty(),
            "{} has nodes",
            c.info.name
        );
        for w in c.workloads.values() {
            assert!(!w.history.is_empty());
            assert_eq!(
                c.pods_of(&w.key).count() as u32,
                w.desired,
                "{} in {}",
                w.key,
                c.info.name
            );
        }
    }
    assert!(fleet.all_alarms().any(|a| a.state == AlarmState::Alarm));
    assert!(
        fleet
            .all_alarms()
            .any(|a| a.state == AlarmState::InsufficientData)
    );
    assert!(fleet.cost().daily.len() >= 30);
    assert!(fleet.cost().forecast_month_end > fleet.cost().mtd_total());
    assert!(
        rows.iter().any(|r| r.versions().len() > 1),
        "versions drift between stages"
    );
    let gated: Vec<_> = rows
        .iter()
        .filter(|r| r.instances.iter().any(|i| i.gated))
        .collect();
    assert_eq!(gated.len(), 1);
    assert_eq!(gated[0].key.name, GATE_SERVICE);
}

#[test]
fn same_seed_same_fleet_and_different_seed_differs() {
    let mut a = DemoWorld::generate(42, start());
    let mut b = DemoWorld::generate(42, start());
    run(&mut a, 100);
    run(&mut b, 100);
    assert_eq!(a.to_fleet_state(), b.to_fleet_state());
    let mut c = DemoWorld::generate(43, start());
    run(&mut c, 100);
    assert_ne!(a.to_fleet_state(), c.to_fleet_state());
}

#[test]
fn the_fleet_is_alive() {
    let mut world = DemoWorld::generate(1, start());
    let before = world.to_fleet_state();
    let key = WorkloadKey::new("catalog", "catalog-api");
    let use1 = ClusterId::parse("prod", "us-east-1", "prod-use1").unwrap();
    assert_eq!(
        before.clusters()[&use1].workloads[&key].rollout,
        RolloutState::Progressing
    );
    let flapping = |f: &FleetState| {
        f.all_alarms()
            .find(|a| {
                a.name == FLAPPING_ALARM
                    && a.env.as_deref() == Some("prod")
                    && a.region == "eu-west-1"
            })
            .unwrap()
            .state
    };
    let crash = |f: &FleetState| {
        let stg = ClusterId::parse("staging", "eu-west-1", "stg-euw1").unwrap();
        f.clusters()[&stg]
            .pods
            .values()
            .filter(|p| p.is_crashlooping())
            .map(|p| p.restarts)
            .max()
    };
    run(&mut world, 50);
    let mid = world.to_fleet_state();
    assert_ne!(
        flapping(&before),
        flapping(&mid),
        "the flapping alarm flipped"
    );
    run(&mut world, 70);
    let after = world.to_fleet_state();
    // The rollout in progress completed, pod by pod.
    let w = &after.clusters()[&use1].workloads[&key];
    assert_eq!(w.rollout, RolloutState::Complete, "{w:?}");
    assert!(
        after.clusters()[&use1]
            .pods_of(&key)
            .all(|p| p.version == w.template_version)
    );
    // A canary crash-loops, restarting again and again.
    assert!(crash(&after).unwrap() > crash(&before).unwrap_or(0));
    // Cost accrued.
    assert!(after.cost().mtd_total() > before.cost().mtd_total());
    // The gate holds: a paused deployment does not progress.
    let euw1 = ClusterId::parse("prod", "eu-west-1", GATE_CLUSTER).unwrap();
    let g = &after.clusters()[&euw1].workloads[&WorkloadKey::new("payments", GATE_SERVICE)];
    assert!(g.paused && g.gate.is_some());
    assert_eq!(g.updated, 1);
    // The crash-looping rollout becomes stuck after its progress deadline.
    run(&mut world, 200);
    let later = world.to_fleet_state();
    let stg = ClusterId::parse("staging", "eu-west-1", "stg-euw1").unwrap();
    let r = &later.clusters()[&stg].workloads[&WorkloadKey::new("catalog", "recommendations")];
    assert!(
        matches!(r.rollout, RolloutState::Stuck(_)),
        "{:?}",
        r.rollout
    );
}

#[test]
fn scaling_converges_pods_like_a_deployment() {
    let mut world = DemoWorld::generate(3, start());
    let key = WorkloadKey::new("payments", "refunds-worker");
    assert_eq!(world.scale("prod-apse2", &key, 5).unwrap(), 2);
    run(&mut world, 20);
    let fleet = world.to_fleet_state();
    let c = &fleet.clusters()[&ClusterId::parse("prod", "ap-southeast-2", "prod-apse2").unwrap()];
    assert_eq!(c.pods_of(&key).count(), 5);
    assert_eq!(c.workloads[&key].ready, 5);
    assert_eq!(
        world.scale("prod-apse2", &WorkloadKey::new("x", "y"), 1),
        Err(OpError::NoWorkload("x/y".into(), "prod-apse2".into()))
    );
}

#[test]
fn rollback_behaves_like_rollout_undo() {
    let mut world = DemoWorld::generate(3, start());
    let key = WorkloadKey::new("identity", "auth");
    let before = world.clusters[world.cluster_index("prod-use1").unwrap()].workloads[&key].clone();
    let target = before.rollback_target().unwrap().clone();
    let rev = world.rollback("prod-use1", &key, None).unwrap();
    assert_eq!(rev.version, target.version);
    assert_eq!(rev.number, before.revision + 1);
    let after = &world.clusters[world.cluster_index("prod-use1").unwrap()].workloads[&key];
    assert!(
        !after.history.iter().any(|r| r.number == target.number),
        "old number reused"
    );
    run(&mut world, 40);
    let w = &world.clusters[world.cluster_index("prod-use1").unwrap()].workloads[&key];
    assert_eq!(w.rollout, RolloutState::Complete);
    assert_eq!(w.template_version, target.version);
    assert_eq!(w.running_version(), target.version);
}

/// A paused deployment held at a gate, 1 of its pods on the new version: a rollback goes back
/// to the version the available pods run (never "no earlier revision"), resumes, closes the
/// gate, and the updated pod rolls back.
#[test]
fn rollback_of_a_held_release_goes_back_to_what_runs_and_resumes() {
    let mut world = DemoWorld::generate(3, start());
    run(&mut world, 10);
    let gate = WorkloadKey::new("payments", GATE_SERVICE);
    let idx = world.cluster_index(GATE_CLUSTER).unwrap();
    let held = world.clusters[idx].workloads[&gate].clone();
    let pending = held.gate.as_ref().unwrap().version.clone();
    let stable = held.running_version().to_string();
    assert_ne!(stable, pending, "{:?}", held.running);
    assert_eq!(held.pending_version(), Some(pending.as_str()));
    assert_eq!(held.rollback_target().unwrap().version, stable);
    let rev = world.rollback(GATE_CLUSTER, &gate, None).unwrap();
    assert_eq!(rev.version, stable);
    run(&mut world, 40);
    let w = &world.clusters[idx].workloads[&gate];
    assert!(!w.paused && w.gate.is_none(), "{w:?}");
    assert_eq!(w.rollout, RolloutState::Complete, "{w:?}");
    assert!(
        world.clusters[idx]
            .pods_of(&gate)
            .all(|p| p.version == stable)
    );
    assert_eq!(w.running_label(), stable);
}

#[test]
fn approvals_resume_the_gate_once_enough() {
    let mut world = DemoWorld::generate(3, start());
    let key = WorkloadKey::new("payments", GATE_SERVICE);
    assert!(matches!(
        world.approve(GATE_CLUSTER, &key, "deploy-bot", "mine"),
        Err(OpError::Policy(why)) if why.contains("cannot approve")
    ));
    assert!(matches!(
        world.approve(GATE_CLUSTER, &key, "maria.k", "again"),
        Err(OpError::Policy(why)) if why.contains("already approved")
    ));
    assert_eq!(
        world.approve(GATE_CLUSTER, &key, "sam.o", "dashboards green"),
        Ok(true)
    );
    run(&mut world, 60);
    let w = &world.clusters[world.cluster_index(GATE_CLUSTER).unwrap()].workloads[&key];
    assert!(!w.paused);
    assert_eq!(w.rollout, RolloutState::Complete);
    assert_eq!(w.updated, w.desired);
}

/// Rejecting the demo's gate ends in a stable state, as on a real cluster: back to what the
/// pods ran, resumed, the gate closed and the rejection recorded; the updated pod rolls back.
#[test]
fn a_rejected_gate_goes_back_to_what_runs_and_resumes() {
    use opsdeck::actions::{Action, ActionRequest, Target, TargetKind};
    let mut world = DemoWorld::generate(3, start());
    run(&mut world, 5);
    let key = WorkloadKey::new("payments", GATE_SERVICE);
    let idx = world.cluster_index(GATE_CLUSTER).unwrap();
    let held = world.clusters[idx].workloads[&key].clone();
    let (stable, pending) = (
        held.running_version().to_string(),
        held.template_version.clone(),
    );
    let req = ActionRequest {
        target: Target {
            cluster: world.clusters[idx].info.id.clone(),
            workload: key.clone(),
            kind: TargetKind::Deployment,
        },
        action: Action::Reject {
            reason: "p95 up".into(),
        },
        who: "sam.o".into(),
        local_user: String::new(),
    };
    let out = world.perform(&req).unwrap();
    assert!(
        out.summary
            .starts_with(&format!("rejected {pending}: {stable}")),
        "{out:?}"
    );
    run(&mut world, 40);
    let w = &world.clusters[idx].workloads[&key];
    assert!(!w.paused && w.gate.is_none(), "{w:?}");
    let r = w.rejected.as_ref().unwrap();
    assert_eq!(
        (r.who.as_str(), r.version.as_str(), r.reason.as_str()),
        ("sam.o", pending.as_str(), "p95 up")
    );
    assert_eq!(w.rollout, RolloutState::Complete);
    assert_eq!(
        (w.running_label(), w.pending_version()),
        (stable.clone(), None)
    );
    assert!(
        world.clusters[idx]
            .pods_of(&key)
            .all(|p| p.version == stable)
    );
}
