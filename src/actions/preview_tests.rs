use super::*;
use crate::domain::{ClusterId, WorkloadKey};
use crate::source::demo::{DemoWorld, GATE_CLUSTER, GATE_SERVICE};

fn fleet() -> FleetState {
    DemoWorld::generate(7, "2026-11-21T14:30:00Z".parse().unwrap()).to_fleet_state()
}

fn target(fleet: &FleetState, cluster: &str, ns: &str, name: &str) -> Target {
    let c = fleet
        .clusters()
        .values()
        .find(|c| c.info.name == cluster)
        .unwrap();
    Target {
        cluster: c.info.id.clone(),
        workload: WorkloadKey::new(ns, name),
        kind: TargetKind::Deployment,
    }
}

#[test]
fn approving_the_last_needed_approval_resumes_in_production() {
    let f = fleet();
    let t = target(&f, GATE_CLUSTER, "payments", GATE_SERVICE);
    let p = preview(
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
fn rollback_shows_versions_and_takes_a_held_release_back_to_what_runs() {
    let f = fleet();
    let t = target(&f, "prod-use1", "payments", GATE_SERVICE);
    let p = preview(
        &f,
        &[t],
        &Action::Rollback {
            to_revision: None,
            reason: String::new(),
            from_version: None,
        },
    );
    assert_eq!(p.blocked, None, "{p:?}");
    assert!(
        p.lines[0].contains("(rev") && p.lines[0].contains(" → "),
        "{:?}",
        p.lines
    );
    // Held at its gate with 1 pod updated: back to the version the other pods run, resumed.
    let gated = target(&f, GATE_CLUSTER, "payments", GATE_SERVICE);
    let w = &f.clusters()[&gated.cluster].workloads[&gated.workload];
    let (stable, pending) = (w.running_version().to_string(), w.template_version.clone());
    assert_ne!(stable, pending);
    let p = preview(
        &f,
        &[gated],
        &Action::Rollback {
            to_revision: None,
            reason: String::new(),
            from_version: None,
        },
    );
    assert_eq!(p.blocked, None, "{p:?}");
    let line = &p.lines[0];
    assert!(
        line.contains(&format!("(template {pending}, rev"))
            && line.contains(&format!("→ {stable} (rev"))
            && line.contains("the deployment resumes, the gate closes"),
        "{line}"
    );
    assert!(
        p.lines.last().unwrap().contains(", 1 replica change"),
        "only the updated pod moves: {:?}",
        p.lines
    );
}

/// catalog-api is rolling out a new version in one prod region only: rolling back every prod
/// region touches that one, back to its own previous revision, and names the others unchanged
/// (never a downgrade of a region that did not get the release).
#[test]
fn rollback_in_every_prod_region_touches_only_where_the_version_is_deployed() {
    let f = fleet();
    let key = WorkloadKey::new("catalog", "catalog-api");
    let scope = super::super::scope::prod_rollback(&f, &key, None).unwrap();
    let prod: Vec<_> = f
        .clusters()
        .values()
        .filter(|c| c.info.env == "prod")
        .map(|c| (c, &c.workloads[&key]))
        .collect();
    assert_eq!(prod.len(), 3);
    assert!(
        !scope.targets.is_empty() && scope.targets.len() < 3,
        "the demo rolls a new version out in one region: {scope:?}"
    );
    let p = preview(
        &f,
        &scope.targets,
        &Action::Rollback {
            to_revision: None,
            reason: String::new(),
            from_version: Some(scope.version.clone()),
        },
    );
    assert_eq!(p.blocked, None);
    for (c, w) in prod {
        let line = p
            .lines
            .iter()
            .find(|l| l.starts_with(&format!("{}: ", c.info.name)))
            .unwrap();
        if w.template_version == scope.version {
            let back = w.rollback_target().unwrap();
            assert!(
                line.contains(&format!("→ {} (rev {})", back.version, back.number)),
                "{line}"
            );
        } else {
            assert_eq!(
                *line,
                format!("{}: unchanged (runs {})", c.info.name, w.running_label())
            );
        }
    }
    let n = scope.targets.len();
    assert!(
        p.lines.last().unwrap().contains(&format!(
            "{n} cluster{} in {n} region",
            if n == 1 { "" } else { "s" }
        )),
        "{:?}",
        p.lines
    );
}

#[test]
fn scaling_estimates_the_monthly_cost() {
    let f = fleet();
    let t = target(&f, "prod-use1", "catalog", "catalog-api");
    let w = &f.clusters()[&t.cluster].workloads[&t.workload];
    let up = preview(
        &f,
        std::slice::from_ref(&t),
        &Action::Scale {
            replicas: w.desired + 2,
            reason: String::new(),
            allow: Default::default(),
        },
    );
    let cost = up.lines.last().unwrap();
    assert!(cost.starts_with("estimated cost change: +$"), "{cost}");
    let down = preview(
        &f,
        &[t],
        &Action::Scale {
            replicas: 1,
            reason: String::new(),
            allow: Default::default(),
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
        cluster: ClusterId::parse("prod", "eu-west-1", "nope").unwrap(),
        workload: WorkloadKey::new("a", "b"),
        kind: TargetKind::Deployment,
    };
    assert!(
        preview(
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

#[test]
fn a_nodegroup_plan_shows_sizes_nodes_and_cost() {
    let fleet =
        crate::source::demo::DemoWorld::generate(1, "2026-11-21T14:30:00Z".parse().unwrap())
            .to_fleet_state();
    let c = fleet
        .clusters()
        .values()
        .find(|c| c.nodegroups.iter().any(|g| g.hourly_usd > 0.0))
        .unwrap();
    let ng = &c.nodegroups[0];
    let t = Target::nodegroup(c.info.id.clone(), &ng.name);
    let action = |min, desired, max| Action::ScaleNodegroup {
        min,
        desired,
        max,
        reason: String::new(),
        allow: Default::default(),
    };
    let up = preview(
        &fleet,
        std::slice::from_ref(&t),
        &action(ng.min, ng.desired + 1, ng.max + 1),
    );
    assert_eq!(up.blocked, None);
    assert!(up.lines[0].ends_with(&format!("→ {}/{}/{}", ng.min, ng.desired + 1, ng.max + 1)));
    assert!(up.lines.iter().any(|l| l.ends_with("1 node change")));
    let per_month = ng.hourly_usd * 730.0;
    let cost = up.lines.last().unwrap();
    assert!(cost.contains(&format!("+{}", money(per_month))), "{cost}");
    assert_eq!(
        up.confirm_word.is_some(),
        fleet.layout().is_production(&c.info.env)
    );
    let down = preview(&fleet, std::slice::from_ref(&t), &action(1, 1, ng.max));
    assert!(
        down.lines.iter().any(|l| l.contains("evicted")),
        "{:?}",
        down.lines
    );
    let bad = preview(&fleet, std::slice::from_ref(&t), &action(3, 2, 4));
    assert!(bad.blocked.unwrap().contains("min ≤ desired ≤ max"));
    let gone = Target::nodegroup(c.info.id.clone(), "nope");
    assert!(preview(&fleet, &[gone], &action(1, 1, 1)).blocked.is_some());
}

/// Issue 16: the audit's `before` was the plan's text line at the target's position, so a note
/// (an HPA's) under the first target became the second target's state before.
#[test]
fn each_target_has_its_own_before_and_after_whatever_the_lines_around_it() {
    let f = fleet();
    let (hpa, plain) = f
        .clusters()
        .values()
        .flat_map(|c| c.workloads.iter().map(move |(k, w)| (c, k, w)))
        .filter(|(_, _, w)| w.hpa.is_some())
        .find_map(|(c, k, _)| {
            let other = f.clusters().values().find(|o| {
                o.info.id != c.info.id && o.workloads.get(k).is_some_and(|w| w.hpa.is_none())
            })?;
            let t = |c: &ClusterState| Target {
                cluster: c.info.id.clone(),
                workload: k.clone(),
                kind: TargetKind::Deployment,
            };
            Some((t(c), t(other)))
        })
        .expect("the demo fleet has a service with an HPA in one cluster and none in another");
    let p = preview(
        &f,
        &[hpa.clone(), plain.clone()],
        &Action::Scale {
            replicas: 7,
            reason: String::new(),
            allow: Default::default(),
        },
    );
    assert!(p.lines[1].contains("note: an HPA"), "{:?}", p.lines);
    for t in [&hpa, &plain] {
        let desired = f.clusters()[&t.cluster].workloads[&t.workload].desired;
        assert_eq!(p.before(t), format!("{desired} replicas"), "{}", t.cluster);
    }
    assert_eq!(
        p.changes
            .iter()
            .map(|c| (&c.target, c.after.as_str()))
            .collect::<Vec<_>>(),
        [(&hpa, "7 replicas"), (&plain, "7 replicas")]
    );
    // No change planned (a target that is gone): nothing to record as its state before.
    let gone = Target {
        cluster: ClusterId::parse("prod", "eu-west-1", "nope").unwrap(),
        ..plain
    };
    assert_eq!(p.before(&gone), "");
}
