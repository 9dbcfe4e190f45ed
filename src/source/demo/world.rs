//! The simulated fleet's state and how it is generated from a seed.

use super::catalog::{CLUSTERS, ENVS, NODEGROUPS, NOT_IN_APSE2, REGIONS, SERVICES};
use super::dice::Dice;
use crate::domain::*;
use jiff::ToSpan;
use std::collections::{BTreeMap, BTreeSet};

/// How a version misbehaves in the simulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    CrashLoop,
    ImagePull,
}

/// The whole simulated fleet. Clusters here play the role of the real API servers: the simulator
/// mutates them with Kubernetes semantics and publishes copies to the console.
#[derive(Debug, Clone)]
pub struct DemoWorld {
    pub layout: FleetLayout,
    pub clusters: Vec<ClusterState>,
    /// Alarms by source (`account/region`).
    pub alarms: BTreeMap<String, Vec<Alarm>>,
    pub cost: CostReport,
    /// USD per hour per (env, region), for cost accrual and forecasts.
    pub rates: BTreeMap<CellKey, f64>,
    /// Each service's share of its cell's spend today, by requested CPU.
    pub(super) cost_shares: BTreeMap<CellKey, Vec<(String, f64)>>,
    /// Versions that misbehave in one cluster: (cluster, service, version).
    pub faults: BTreeMap<(String, String, String), Fault>,
    pub(super) dice: Dice,
    pub(super) tick: u64,
    pub now: Timestamp,
    pub(super) dirty_clusters: BTreeSet<usize>,
    pub(super) alarms_dirty: bool,
    pub(super) cost_dirty: bool,
    /// The minute whose metric series were last published (they move once a minute).
    pub(super) metrics_minute: Option<i64>,
}

pub const GATE_SERVICE: &str = "checkout-api";
pub const GATE_CLUSTER: &str = "prod-euw1";

impl DemoWorld {
    /// Build the fleet as it is at `now`. Same seed and time, same fleet.
    pub fn generate(seed: u64, now: Timestamp) -> DemoWorld {
        let mut dice = Dice::new(seed);
        let layout = FleetLayout {
            name: "acme-demo".into(),
            envs: ENVS
                .iter()
                .map(|(name, prod, _)| EnvInfo {
                    name: name.to_string(),
                    production: *prod,
                    read_only: false,
                    waves: Vec::new(),
                })
                .collect(),
            regions: REGIONS.iter().map(|r| r.to_string()).collect(),
        };
        // One release train per service: prod runs `base`, newer versions are on their way.
        let trains: Vec<(u64, u64)> = SERVICES
            .iter()
            .map(|_| (dice.range(8, 40), dice.range(0, 9)))
            .collect();
        let mut clusters = Vec::new();
        for (env, region, name, k8s) in CLUSTERS {
            let info = ClusterInfo {
                id: ClusterId::parse(env, region, name).expect("the demo's names are valid"),
                name: name.to_string(),
                env: env.to_string(),
                region: region.to_string(),
                kubernetes_version: k8s.to_string(),
            };
            let mut cluster = ClusterState::new(info);
            cluster.health = SourceHealth::live(now);
            for (i, (team, ns, svc, prod_replicas, cpu, mem)) in SERVICES.iter().enumerate() {
                if *region == "ap-southeast-2" && NOT_IN_APSE2.contains(svc) {
                    continue;
                }
                let (minor, patch) = trains[i];
                // dev runs ahead, staging one step behind dev, prod behind staging for some.
                let ahead = match *env {
                    "dev" => 1 + (i as u64).is_multiple_of(3) as u64,
                    "staging" => (i as u64 % 3 != 1) as u64,
                    _ => 0,
                };
                let version = format!("1.{}.{}", minor, patch + ahead);
                let replicas = match *env {
                    "prod" => *prod_replicas,
                    "staging" => (*prod_replicas / 2).max(2),
                    _ => 1,
                };
                let w = new_workload(
                    &mut dice, team, ns, svc, &version, replicas, *cpu, *mem, now,
                );
                cluster.workloads.insert(w.key.clone(), w);
            }
            clusters.push(cluster);
        }
        let mut world = DemoWorld {
            layout,
            clusters,
            alarms: BTreeMap::new(),
            cost: CostReport::default(),
            rates: BTreeMap::new(),
            cost_shares: BTreeMap::new(),
            faults: BTreeMap::new(),
            dice,
            tick: 0,
            now,
            dirty_clusters: BTreeSet::new(),
            alarms_dirty: true,
            cost_dirty: true,
            metrics_minute: None,
        };
        world.stage_scenarios();
        for idx in 0..world.clusters.len() {
            world.provision_nodes(idx);
            let keys: Vec<WorkloadKey> = world.clusters[idx].workloads.keys().cloned().collect();
            for key in keys {
                world.spawn_initial_pods(idx, &key);
            }
            world.run_kubelet(idx);
            world.refresh_status(idx);
        }
        world.alarms = super::alarms::initial_alarms(&world);
        world.init_cost();
        world.dirty_clusters = (0..world.clusters.len()).collect();
        world
    }

    pub fn cluster_index(&self, name: &str) -> Option<usize> {
        self.clusters.iter().position(|c| c.info.name == name)
    }

    /// The fixed storyline every demo shows, whatever the seed: a gate waiting for approval, a
    /// rollout in progress, a crash-looping canary, a stuck rollout and an HPA at its max.
    fn stage_scenarios(&mut self) {
        let now = self.now;
        // A production gate: checkout-api's next version is out in prod/us-east-1 and paused in
        // prod/eu-west-1.
        let next = self.release_next("prod-use1", "payments", GATE_SERVICE, 2.hours());
        self.workload_at("prod-use1", "payments", GATE_SERVICE)
            .rollout = RolloutState::Complete;
        let w = self.workload_at(GATE_CLUSTER, "payments", GATE_SERVICE);
        new_revision(w, &next, now - 25.minutes());
        w.paused = true;
        w.gate = Some(Gate {
            requested_by: "deploy-bot".into(),
            since: now - 25.minutes(),
            required: 2,
            approvals: vec![Approval {
                who: "maria.k".into(),
                at: now - 12.minutes(),
                reason: "us-east-1 healthy for 2h, error rate flat".into(),
            }],
            version: next.clone(),
        });
        // Maria's console recorded her approval on the cluster: other consoles list it.
        let idx = self
            .cluster_index(GATE_CLUSTER)
            .expect("the gate's cluster");
        self.clusters[idx].events.push(crate::domain::ClusterEvent {
            at: now - 12.minutes(),
            kind: crate::domain::EventKind::Normal,
            namespace: "payments".into(),
            object: format!("Deployment/{GATE_SERVICE}"),
            reason: "OpsdeckApprove".into(),
            message: "maria.k: approved 1/2: waiting for 1 more (reason: us-east-1 healthy for 2h, error rate flat)".into(),
        });
        let w = self.workload_at(GATE_CLUSTER, "payments", GATE_SERVICE);
        // Its checklist: everything a person ticks is ticked but "Team notified".
        let ticked_by = ["maria.k", "deploy-bot", "sam.o"];
        w.checklist = Some(ChecklistTicks {
            version: next,
            items: DEFAULT_CHECKLIST
                .iter()
                .filter(|l| !CONSOLE_VERIFIED.contains(l) && **l != "Team notified")
                .enumerate()
                .map(|(i, l)| {
                    let who = ticked_by[i % ticked_by.len()].to_string();
                    let at = now - (40 - i as i64).minutes();
                    let reason = String::new();
                    (l.to_string(), Approval { who, at, reason })
                })
                .collect(),
        });
        // A rollout in progress: catalog-api in prod/us-east-1.
        self.release_next("prod-use1", "catalog", "catalog-api", 40.seconds());
        // A crash-looping canary: recommendations in staging/eu-west-1.
        let next = self.release_next("stg-euw1", "catalog", "recommendations", 90.seconds());
        self.faults.insert(
            ("stg-euw1".into(), "recommendations".into(), next),
            Fault::CrashLoop,
        );
        // A stuck rollout: search-indexer in dev cannot pull its image.
        let next = self.release_next("dev-use1", "catalog", "search-indexer", 15.minutes());
        self.faults.insert(
            ("dev-use1".into(), "search-indexer".into(), next),
            Fault::ImagePull,
        );
        // An HPA at its max: events-ingest in prod/us-east-1.
        let w = self.workload_at("prod-use1", "data", "events-ingest");
        if let Some(h) = w.hpa.as_mut() {
            h.max = w.desired;
            h.current = w.desired;
            h.desired = w.desired;
            h.current_cpu_pct = Some(h.target_cpu_pct + 35);
        }
    }

    /// A service in a cluster of the catalogue (the storyline names only ones that exist).
    fn workload_at(&mut self, cluster: &str, ns: &str, name: &str) -> &mut Workload {
        let idx = self
            .cluster_index(cluster)
            .expect("the catalogue has this cluster");
        let key = WorkloadKey::new(ns, name);
        self.clusters[idx]
            .workloads
            .get_mut(&key)
            .expect("the catalogue runs this service there")
    }

    /// Start a service's next patch version in one cluster, `ago` before now; returns the version.
    fn release_next(&mut self, cluster: &str, ns: &str, name: &str, ago: jiff::Span) -> String {
        let now = self.now;
        let w = self.workload_at(cluster, ns, name);
        let next = bump(&w.template_version);
        new_revision(w, &next, now - ago);
        next
    }

    /// Size node groups so the cluster runs at a realistic 55-75 % of its CPU.
    fn provision_nodes(&mut self, idx: usize) {
        let cluster = &mut self.clusters[idx];
        let cpu: u64 = cluster
            .workloads
            .values()
            .map(|w| w.cpu_request_m * w.desired as u64)
            .sum();
        let target_use = 0.55 + self.dice.unit() * 0.2;
        let prod = self.layout.is_production(&cluster.info.env);
        for (ng, itype, ncpu, nmem, price) in NODEGROUPS {
            let share = if *ng == "general" { 0.7 } else { 0.3 };
            let count = ((cpu as f64 * share / target_use) / *ncpu as f64)
                .ceil()
                .max(1.0) as u32;
            let count = if prod { count + 1 } else { count };
            cluster.nodegroups.push(Nodegroup {
                name: ng.to_string(),
                instance_type: itype.to_string(),
                min: count.saturating_sub(1).max(1),
                desired: count,
                max: count * 3,
                hourly_usd: *price,
            });
            for n in 0..count {
                let name = format!(
                    "ip-10-{}-{}-{}.{}.compute.internal",
                    idx,
                    n + 10,
                    self.dice.range(2, 250),
                    cluster.info.region
                );
                cluster.nodes.insert(
                    name.clone(),
                    Node {
                        name,
                        nodegroup: ng.to_string(),
                        ready: true,
                        instance_type: itype.to_string(),
                        allocatable_cpu_m: ncpu - 200,
                        allocatable_mem_mib: nmem - 1536,
                    },
                );
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn new_workload(
    dice: &mut Dice,
    team: &str,
    ns: &str,
    name: &str,
    version: &str,
    replicas: u32,
    cpu: u64,
    mem: u64,
    now: Timestamp,
) -> Workload {
    // A few older revisions, newest first, each days apart.
    let depth = dice.range(2, 6);
    let mut history = Vec::new();
    let mut v = version.to_string();
    let mut at = now - (dice.range(2, 72) as i64).hours();
    for n in (1..=depth).rev() {
        history.push(Revision {
            number: n,
            version: v.clone(),
            image: image(name, &v),
            created: at,
        });
        v = unbump(&v);
        at -= (dice.range(20, 200) as i64).hours();
    }
    let hpa = (replicas >= 3).then(|| Hpa {
        min: replicas.div_ceil(2),
        max: replicas * 2,
        current: replicas,
        desired: replicas,
        target_cpu_pct: 70,
        current_cpu_pct: Some(dice.range(35, 68) as u32),
    });
    Workload {
        key: WorkloadKey::new(ns, name),
        kind: WorkloadKind::Deployment,
        team: Some(team.to_string()),
        desired: replicas,
        ready: 0,
        updated: 0,
        available: 0,
        image: image(name, version),
        template_version: version.to_string(),
        // The pods report what runs (`refresh_status`).
        running: Vec::new(),
        paused: false,
        rollout: RolloutState::Complete,
        revision: depth,
        changed_at: history[0].created,
        history,
        hpa,
        gate: None,
        rejected: None,
        checklist: None,
        cpu_request_m: cpu,
        mem_request_mib: mem,
    }
}

pub fn image(service: &str, version: &str) -> String {
    format!("123456789012.dkr.ecr.us-east-1.amazonaws.com/{service}:{version}")
}

/// Start a new revision of a workload (what a `kubectl set image` does).
pub fn new_revision(w: &mut Workload, version: &str, at: Timestamp) {
    w.revision = w.history.iter().map(|r| r.number).max().unwrap_or(0) + 1;
    w.template_version = version.to_string();
    w.image = image(&w.key.name, version);
    w.history.insert(
        0,
        Revision {
            number: w.revision,
            version: version.into(),
            image: w.image.clone(),
            created: at,
        },
    );
    w.history.truncate(10);
    w.rollout = RolloutState::Progressing;
    w.changed_at = at;
}

/// Next patch version: `1.4.2` -> `1.4.3`.
pub fn bump(v: &str) -> String {
    let mut parts: Vec<u64> = v.split('.').filter_map(|p| p.parse().ok()).collect();
    if let Some(last) = parts.last_mut() {
        *last += 1;
    }
    parts
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

/// Previous version, stepping back a minor when the patch is 0.
fn unbump(v: &str) -> String {
    let parts: Vec<u64> = v.split('.').filter_map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [major, minor, 0] => format!("{major}.{}.{}", minor.saturating_sub(1), 4),
        [major, minor, patch] => format!("{major}.{minor}.{}", patch - 1),
        _ => v.to_string(),
    }
}
