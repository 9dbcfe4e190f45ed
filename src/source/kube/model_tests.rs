use super::*;
use crate::domain::{EventKind, Hpa, PodPhase, RolloutState, Timestamp, WorkloadKind};
use crate::source::kube::translate::GateRecord;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn dep(name: &str, version: &str, revision: u64) -> WorkloadRecord {
    WorkloadRecord {
        key: WorkloadKey::new("payments", name),
        kind: WorkloadKind::Deployment,
        team: None,
        desired: 3,
        ready: 3,
        updated: 3,
        available: 3,
        image: format!("ecr/{name}:{version}"),
        version: version.into(),
        paused: false,
        rollout: RolloutState::Complete,
        revision,
        cpu_request_m: 100,
        mem_request_mib: 128,
        changed_at: t("2026-11-21T10:00:00Z"),
        gate: GateRecord::default(),
        rejected: None,
        checklist: None,
    }
}

fn rs(owner: &str, hash: &str, revision: u64, version: &str) -> ReplicaSetRecord {
    ReplicaSetRecord {
        namespace: "payments".into(),
        name: format!("{owner}-{hash}"),
        owner: Some((WorkloadKind::Deployment, owner.into())),
        revision,
        image: format!("ecr/{owner}:{version}"),
        version: version.into(),
        created: t("2026-11-20T10:00:00Z") + jiff::SignedDuration::from_hours(revision as i64),
        available: 0,
    }
}

fn pod(name: &str) -> Pod {
    Pod {
        namespace: "payments".into(),
        name: name.into(),
        workload: "checkout-api".into(),
        node: Some("n1".into()),
        phase: PodPhase::Running,
        ready: true,
        restarts: 0,
        reason: None,
        version: "1.4.2".into(),
        started: t("2026-11-21T10:00:00Z"),
        cpu_request_m: 100,
        mem_request_mib: 128,
    }
}

fn model(production: bool) -> ClusterModel {
    ClusterModel::new(
        ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap(),
        ModelOptions {
            production,
            ..ModelOptions::default()
        },
    )
}

const ALL: Option<String> = None;

#[test]
fn workload_assembled_from_deployment_replicasets_and_hpa() {
    let mut m = model(false);
    m.apply(
        Resource::ReplicaSets,
        &ALL,
        Step::Apply(Record::ReplicaSet(rs("checkout-api", "aaa", 6, "1.4.1"))),
    );
    m.apply(
        Resource::ReplicaSets,
        &ALL,
        Step::Apply(Record::ReplicaSet(rs("checkout-api", "bbb", 7, "1.4.2"))),
    );
    m.apply(
        Resource::Deployments,
        &ALL,
        Step::Apply(Record::Workload(dep("checkout-api", "1.4.2", 7))),
    );
    m.apply(
        Resource::Hpas,
        &ALL,
        Step::Apply(Record::Hpa(HpaRecord {
            namespace: "payments".into(),
            name: "checkout-api".into(),
            target: Some("checkout-api".into()),
            hpa: Hpa {
                min: 2,
                max: 3,
                current: 3,
                desired: 3,
                target_cpu_pct: 70,
                current_cpu_pct: Some(90),
            },
        })),
    );
    let delta = m.flush();
    assert_eq!(delta.workloads.len(), 1);
    let w = delta.workloads[0].1.as_ref().unwrap();
    assert_eq!(
        w.history.iter().map(|r| r.number).collect::<Vec<_>>(),
        vec![7, 6]
    );
    assert_eq!(w.rollback_target().unwrap().version, "1.4.1");
    assert!(w.hpa.as_ref().unwrap().at_max());
    assert!(w.gate.is_none());
    assert!(!m.has_changes(), "flush takes everything");
    assert!(m.flush().is_empty());
}

#[test]
fn unchanged_objects_produce_no_delta() {
    let mut m = model(false);
    m.apply(
        Resource::Deployments,
        &ALL,
        Step::Apply(Record::Workload(dep("a", "1", 1))),
    );
    m.flush();
    m.apply(
        Resource::Deployments,
        &ALL,
        Step::Apply(Record::Workload(dep("a", "1", 1))),
    );
    assert!(!m.has_changes());
}

#[test]
fn relist_removes_what_disappeared_without_duplicates() {
    let mut m = model(false);
    m.apply(Resource::Pods, &ALL, Step::Begin);
    for p in ["p1", "p2", "p3"] {
        m.apply(Resource::Pods, &ALL, Step::Apply(Record::Pod(pod(p))));
    }
    m.apply(Resource::Pods, &ALL, Step::Synced);
    assert_eq!(m.flush().pods.len(), 3);
    // Watch expired; the relist no longer has p2 and has a new p4.
    m.apply(Resource::Pods, &ALL, Step::Begin);
    for p in ["p1", "p3", "p4"] {
        m.apply(Resource::Pods, &ALL, Step::Apply(Record::Pod(pod(p))));
    }
    m.apply(Resource::Pods, &ALL, Step::Synced);
    let d = m.flush();
    let names: Vec<(&str, bool)> = d
        .pods
        .iter()
        .map(|((_, n), p)| (n.as_str(), p.is_some()))
        .collect();
    assert_eq!(names, vec![("p2", false), ("p4", true)]);
}

#[test]
fn deleted_deployment_is_removed() {
    let mut m = model(false);
    m.apply(
        Resource::Deployments,
        &ALL,
        Step::Apply(Record::Workload(dep("a", "1", 1))),
    );
    m.flush();
    m.apply(
        Resource::Deployments,
        &ALL,
        Step::Delete(Record::Workload(dep("a", "1", 1))),
    );
    let d = m.flush();
    assert_eq!(d.workloads, vec![(WorkloadKey::new("payments", "a"), None)]);
}

#[test]
fn replicaset_change_updates_its_workloads_history() {
    let mut m = model(false);
    m.apply(
        Resource::Deployments,
        &ALL,
        Step::Apply(Record::Workload(dep("a", "2", 2))),
    );
    m.apply(
        Resource::ReplicaSets,
        &ALL,
        Step::Apply(Record::ReplicaSet(rs("a", "x", 2, "2"))),
    );
    m.flush();
    m.apply(
        Resource::ReplicaSets,
        &ALL,
        Step::Apply(Record::ReplicaSet(rs("a", "y", 1, "1"))),
    );
    let d = m.flush();
    assert_eq!(d.workloads[0].1.as_ref().unwrap().history.len(), 2);
    m.apply(
        Resource::ReplicaSets,
        &ALL,
        Step::Delete(Record::ReplicaSet(rs("a", "y", 1, "1"))),
    );
    let d = m.flush();
    assert_eq!(d.workloads[0].1.as_ref().unwrap().history.len(), 1);
}

#[test]
fn paused_production_deployment_is_a_gate() {
    let mut d = dep("checkout-api", "1.5.0", 7);
    d.paused = true;
    d.rollout = RolloutState::Paused;
    let mut prod = model(true);
    prod.apply(
        Resource::Deployments,
        &ALL,
        Step::Apply(Record::Workload(d.clone())),
    );
    let w = prod.flush().workloads.remove(0).1.unwrap();
    let gate = w.gate.unwrap();
    assert_eq!((gate.required, gate.version.as_str()), (2, "1.5.0"));
    // Outside production a plain pause is just a pause...
    let mut dev = model(false);
    dev.apply(
        Resource::Deployments,
        &ALL,
        Step::Apply(Record::Workload(d.clone())),
    );
    assert!(dev.flush().workloads[0].1.as_ref().unwrap().gate.is_none());
    // ...unless someone asked for a gate.
    d.gate.requested_by = Some("deploy-bot".into());
    d.gate.required = Some(1);
    dev.apply(
        Resource::Deployments,
        &ALL,
        Step::Apply(Record::Workload(d)),
    );
    let gate = dev.flush().workloads[0].1.clone().unwrap().gate.unwrap();
    assert_eq!(
        (gate.required, gate.requested_by.as_str()),
        (1, "deploy-bot")
    );
}

#[test]
fn events_are_bounded_newest_kept() {
    let mut m = ClusterModel::new(
        ClusterId::parse("dev", "us-east-1", "dev").unwrap(),
        ModelOptions {
            max_events: 3,
            ..ModelOptions::default()
        },
    );
    for i in 0..10 {
        m.apply(
            Resource::Events,
            &ALL,
            Step::Apply(Record::Event {
                key: ("ns".into(), format!("e{i}")),
                event: ClusterEvent {
                    at: t("2026-11-21T10:00:00Z") + jiff::SignedDuration::from_secs(i),
                    kind: EventKind::Warning,
                    namespace: "ns".into(),
                    object: format!("Pod/p{i}"),
                    reason: "BackOff".into(),
                    message: String::new(),
                },
            }),
        );
    }
    let events = m.flush().events.unwrap();
    assert_eq!(
        events.iter().map(|e| e.object.as_str()).collect::<Vec<_>>(),
        vec!["Pod/p7", "Pod/p8", "Pod/p9"]
    );
    assert!(m.object_counts()[6].1 <= 6, "store bounded too");
}
