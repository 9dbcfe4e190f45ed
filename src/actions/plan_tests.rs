use super::*;
use crate::domain::{ClusterId, WorkloadKey, WorkloadKind};
use crate::source::demo::{DemoWorld, GATE_CLUSTER, GATE_SERVICE};

fn fleet() -> FleetState {
    DemoWorld::generate(7, "2026-11-21T14:30:00Z".parse().unwrap()).to_fleet_state()
}

fn target(fleet: &FleetState, cluster: &str, ns: &str, name: &str) -> Target {
    let c = fleet
        .clusters
        .values()
        .find(|c| c.info.name == cluster)
        .unwrap();
    Target {
        cluster: c.info.id.clone(),
        workload: WorkloadKey::new(ns, name),
        kind: WorkloadKind::Deployment,
    }
}

#[test]
fn approving_the_last_needed_approval_resumes_in_production() {
    let f = fleet();
    let t = target(&f, GATE_CLUSTER, "payments", GATE_SERVICE);
    let p = plan(
        &f,
        &[t],
        &Action::Approve {
            reason: String::new(),
        },
    );
    assert!(p.production);
    assert_eq!(p.confirm_word.as_deref(), Some(GATE_SERVICE));
    assert_eq!(p.blocked, None);
    assert!(
        p.lines[0].contains("approvals 1/2 → 2/2: the rollout resumes"),
        "{:?}",
        p.lines
    );
    assert!(
        p.lines
            .last()
            .unwrap()
            .starts_with("blast radius: 1 cluster in 1 region")
    );
}

#[test]
fn rollback_shows_versions_and_refuses_a_paused_deployment() {
    let f = fleet();
    let t = target(&f, "prod-use1", "payments", GATE_SERVICE);
    let p = plan(
        &f,
        &[t],
        &Action::Rollback {
            to_revision: None,
            reason: String::new(),
        },
    );
    assert_eq!(p.blocked, None, "{p:?}");
    assert!(
        p.lines[0].contains("(rev") && p.lines[0].contains(" → "),
        "{:?}",
        p.lines
    );
    let gated = target(&f, GATE_CLUSTER, "payments", GATE_SERVICE);
    let p = plan(
        &f,
        &[gated],
        &Action::Rollback {
            to_revision: None,
            reason: String::new(),
        },
    );
    assert!(p.blocked.unwrap().contains("paused"));
}

#[test]
fn rollback_in_every_prod_region_is_one_plan() {
    let f = fleet();
    let targets: Vec<Target> = f
        .clusters
        .values()
        .filter(|c| c.info.env == "prod")
        .map(|c| Target {
            cluster: c.info.id.clone(),
            workload: WorkloadKey::new("catalog", "catalog-api"),
            kind: WorkloadKind::Deployment,
        })
        .collect();
    let p = plan(
        &f,
        &targets,
        &Action::Rollback {
            to_revision: None,
            reason: String::new(),
        },
    );
    assert_eq!(p.targets.len(), 3);
    assert!(
        p.lines.last().unwrap().contains("3 clusters in 3 regions"),
        "{:?}",
        p.lines
    );
}

#[test]
fn scaling_estimates_the_monthly_cost() {
    let f = fleet();
    let t = target(&f, "prod-use1", "catalog", "catalog-api");
    let w = &f.clusters[&t.cluster].workloads[&t.workload];
    let up = plan(
        &f,
        std::slice::from_ref(&t),
        &Action::Scale {
            replicas: w.desired + 2,
            reason: String::new(),
        },
    );
    let cost = up.lines.last().unwrap();
    assert!(cost.starts_with("estimated cost change: +$"), "{cost}");
    let down = plan(
        &f,
        &[t],
        &Action::Scale {
            replicas: 1,
            reason: String::new(),
        },
    );
    assert!(
        down.lines.last().unwrap().contains(": -$"),
        "{:?}",
        down.lines
    );
}

#[test]
fn a_vanished_target_blocks_the_plan() {
    let f = fleet();
    let t = Target {
        cluster: ClusterId::new("prod", "eu-west-1", "nope"),
        workload: WorkloadKey::new("a", "b"),
        kind: WorkloadKind::Deployment,
    };
    assert!(
        plan(
            &f,
            &[t],
            &Action::Reject {
                reason: String::new()
            }
        )
        .blocked
        .is_some()
    );
}
