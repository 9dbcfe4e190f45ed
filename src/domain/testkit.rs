//! Small builders for the domain's unit tests: a clock, clusters, workloads and alarms.

use super::*;

/// `secs` seconds after a fixed instant.
pub fn t(secs: i64) -> Timestamp {
    let t0: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
    t0 + jiff::SignedDuration::from_secs(secs)
}

/// A settled workload at `version`, revision 2 (revision 1 ran the version before).
pub fn workload(ns: &str, name: &str, version: &str) -> Workload {
    let rev = |number, version: &str, ago: i64| Revision {
        number,
        version: version.into(),
        image: format!("{name}:{version}"),
        created: t(-ago),
    };
    Workload {
        key: WorkloadKey::new(ns, name),
        kind: WorkloadKind::Deployment,
        team: Some("team".into()),
        desired: 3,
        ready: 3,
        updated: 3,
        available: 3,
        image: format!("{name}:{version}"),
        template_version: version.into(),
        running: vec![RunningVersion {
            version: version.into(),
            revision: 2,
            pods: 3,
        }],
        paused: false,
        rollout: RolloutState::Complete,
        revision: 2,
        history: vec![rev(2, version, 86_400), rev(1, "0.9.0", 172_800)],
        hpa: None,
        gate: None,
        rejected: None,
        checklist: None,
        cpu_request_m: 100,
        mem_request_mib: 128,
        changed_at: t(-86_400),
    }
}

/// Start a new revision at `version`, as a deploy does (the pods still run the old one).
pub fn deploy(w: &mut Workload, version: &str, at: Timestamp) {
    w.revision += 1;
    w.template_version = version.into();
    w.history.insert(
        0,
        Revision {
            number: w.revision,
            version: version.into(),
            image: String::new(),
            created: at,
        },
    );
    w.rollout = RolloutState::Progressing;
    w.changed_at = at;
}

/// A deploy that has finished: every pod runs the template's version.
pub fn rolled_out(w: &mut Workload) {
    w.rollout = RolloutState::Complete;
    w.running = vec![RunningVersion {
        version: w.template_version.clone(),
        revision: w.revision,
        pods: w.desired,
    }];
}

/// A ready pod of `workload` on `node` (None: Pending, unscheduled), 100m CPU and 1000 MiB.
pub fn pod(workload: &str, name: &str, node: Option<&str>) -> Pod {
    Pod {
        namespace: "ns".into(),
        name: name.into(),
        workload: workload.into(),
        node: node.map(str::to_string),
        phase: if node.is_some() {
            PodPhase::Running
        } else {
            PodPhase::Pending
        },
        ready: node.is_some(),
        restarts: 0,
        reason: None,
        version: "1.0.0".into(),
        started: t(0),
        cpu_request_m: 100,
        mem_request_mib: 1000,
    }
}

/// An HPA between 1 and `max` replicas, at `current`, asking for `desired`, target 70 % CPU.
pub fn hpa(current: u32, desired: u32, max: u32) -> Hpa {
    Hpa {
        min: 1,
        max,
        current,
        desired,
        target_cpu_pct: 70,
        current_cpu_pct: None,
    }
}

/// An empty cluster that has not delivered data yet.
pub fn cluster(env: &str, region: &str, name: &str) -> ClusterState {
    ClusterState::new(ClusterInfo {
        id: ClusterId::parse(env, region, name).unwrap(),
        name: name.into(),
        env: env.into(),
        region: region.into(),
        kubernetes_version: "1.33".into(),
    })
}

/// A prod/us-east-1 alarm on service `api`.
pub fn alarm(name: &str, state: AlarmState, since: Timestamp) -> Alarm {
    alarm_on("api", "prod", "us-east-1", name, state, since)
}

pub fn alarm_on(
    service: &str,
    env: &str,
    region: &str,
    name: &str,
    state: AlarmState,
    since: Timestamp,
) -> Alarm {
    Alarm {
        name: name.into(),
        account: "1".into(),
        region: region.into(),
        state,
        reason: "threshold crossed".into(),
        since,
        metric: "m".into(),
        enabled: true,
        env: Some(env.into()),
        service: Some(service.into()),
    }
}

/// A fleet with the layout dev, staging, prod (production) x us-east-1, eu-west-1.
pub fn fleet() -> FleetState {
    let env = |name: &str, production| EnvInfo {
        name: name.into(),
        production,
        read_only: false,
        waves: Vec::new(),
    };
    let mut fleet = FleetState::default();
    fleet.apply(SourceUpdate::Layout(FleetLayout {
        name: "test".into(),
        envs: vec![env("dev", false), env("staging", false), env("prod", true)],
        regions: vec!["us-east-1".into(), "eu-west-1".into()],
    }));
    fleet
}

/// Put a cluster with these workloads into the fleet, live at `t(0)`.
pub fn add_cluster(fleet: &mut FleetState, env: &str, region: &str, workloads: Vec<Workload>) {
    let mut c = cluster(env, region, &format!("{env}-{region}"));
    c.health = SourceHealth::live(t(0));
    for w in workloads {
        c.workloads.insert(w.key.clone(), w);
    }
    fleet.clusters_mut().insert(c.info.id.clone(), c);
}
