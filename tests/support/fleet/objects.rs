//! The Kubernetes objects of one generated cluster, shaped like a real API server's (with
//! managedFields, ownerReferences and the labels EKS sets), so LIST and watch payloads are
//! realistically sized.

use super::{ClusterSpec, ENVS, FleetSize, REGIONS, SEED, mix};
use serde_json::{Value, json};

const PREFIXES: [&str; 20] = [
    "checkout",
    "payments",
    "ledger",
    "catalog",
    "search",
    "cart",
    "orders",
    "billing",
    "identity",
    "inventory",
    "shipping",
    "pricing",
    "reviews",
    "notify",
    "media",
    "profile",
    "fraud",
    "reports",
    "gateway",
    "loyalty",
];
const SUFFIXES: [&str; 15] = [
    "api",
    "worker",
    "web",
    "sync",
    "consumer",
    "scheduler",
    "cache",
    "proxy",
    "indexer",
    "exporter",
    "batch",
    "stream",
    "admin",
    "edge",
    "jobs",
];
/// Pods per node (an m6i.xlarge-sized node at ~60 % of its requests).
const PODS_PER_NODE: usize = 25;
const CREATED: &str = "2026-11-02T06:40:11Z";
const STARTED: &str = "2026-11-21T10:00:01Z";

/// One service of the fleet: a Deployment name that may run in many clusters.
struct Service {
    index: usize,
    name: String,
    namespace: &'static str,
}

fn service(index: usize) -> Service {
    assert!(
        index < PREFIXES.len() * SUFFIXES.len(),
        "the fleet generator has names for {} services",
        PREFIXES.len() * SUFFIXES.len()
    );
    let prefix = PREFIXES[index % PREFIXES.len()];
    Service {
        index,
        name: format!("{prefix}-{}", SUFFIXES[index / PREFIXES.len()]),
        namespace: prefix,
    }
}

/// The services cluster `c` runs: the first half of its deployments are fleet-wide services
/// (the same in every cluster), the rest belong to its region (in all three environments), so
/// pipelines have stages and the services list has rows of every width.
fn services_of(size: &FleetSize, c: &ClusterSpec) -> Vec<Service> {
    let per = size.deployments_per_cluster();
    let global = per / 2;
    let region = REGIONS.iter().position(|r| *r == c.region).unwrap_or(0);
    (0..per)
        .map(|k| {
            if k < global {
                service(k)
            } else {
                service(global + region * (per - global) + (k - global))
            }
        })
        .collect()
}

/// The version a service runs in an environment: usually the same everywhere, sometimes ahead
/// in dev and staging (drift along the pipeline).
fn version(svc: &Service, env: &str, previous: bool) -> String {
    let h = mix(&[SEED, svc.index as u64]);
    let minor = 10 + h % 30;
    let stage = ENVS.iter().position(|e| *e == env).unwrap_or(0) as u64;
    let ahead = if h.is_multiple_of(4) { 2 - stage } else { 0 };
    let patch = 3 + ahead - u64::from(previous);
    format!("1.{minor}.{patch}")
}

fn hash_suffix(parts: &[u64], len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = mix(parts);
    (0..len)
        .map(|_| {
            let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
            h /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum PodFate {
    Running,
    CrashLooping,
    Pending,
}

fn fate(cluster: usize, pod: usize) -> PodFate {
    match mix(&[SEED, cluster as u64, pod as u64, 7]) % 200 {
        0..3 => PodFate::CrashLooping,
        3..5 => PodFate::Pending,
        _ => PodFate::Running,
    }
}

/// Every object of cluster `index` of a fleet: Namespaces, Nodes, then per service a Deployment, its two
/// ReplicaSets (current and previous revision), an HPA for every third one, then the Pods.
pub fn cluster_objects(size: &FleetSize, index: usize) -> Vec<Value> {
    let c = size.cluster(index);
    let services = services_of(size, &c);
    let pods = size.pods_in(index);
    let nodes = pods.div_ceil(PODS_PER_NODE).max(1);
    let mut out = Vec::with_capacity(nodes + services.len() * 4 + pods);
    let mut namespaces: Vec<&str> = services.iter().map(|s| s.namespace).collect();
    namespaces.sort_unstable();
    namespaces.dedup();
    for ns in namespaces {
        out.push(namespace(ns));
    }
    for n in 0..nodes {
        out.push(node(&c, n));
    }
    // Pod j belongs to service j % services.len().
    let per = services.len();
    let mut pod_objects = Vec::with_capacity(pods);
    for (k, svc) in services.iter().enumerate() {
        let ours: Vec<usize> = (k..pods).step_by(per).collect();
        let ready = ours
            .iter()
            .filter(|j| fate(index, **j) == PodFate::Running)
            .count();
        let revision = 2 + mix(&[SEED, svc.index as u64, 3]) % 8;
        let hash = hash_suffix(&[SEED, svc.index as u64, revision], 10);
        let old_hash = hash_suffix(&[SEED, svc.index as u64, revision - 1], 10);
        out.push(deployment(&c, svc, ours.len(), ready, revision));
        out.push(replicaset(&c, svc, &hash, revision, ours.len(), false));
        out.push(replicaset(&c, svc, &old_hash, revision - 1, 0, true));
        if k.is_multiple_of(3) {
            out.push(hpa(svc, ours.len()));
        }
        for j in ours {
            let node = format!(
                "ip-10-{}-{}-{}.{}.compute.internal",
                index,
                j % nodes / 250,
                j % nodes % 250,
                c.region
            );
            pod_objects.push(pod(&c, svc, &hash, j, fate(index, j), &node));
        }
    }
    out.extend(pod_objects);
    out
}

fn namespace(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "creationTimestamp": "2026-03-02T09:12:44Z",
            "labels": {"kubernetes.io/metadata.name": name, "team": name}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    })
}

fn node(c: &ClusterSpec, n: usize) -> Value {
    let name = format!(
        "ip-10-{}-{}-{}.{}.compute.internal",
        c.index,
        n / 250,
        n % 250,
        c.region
    );
    let group = if n % 3 == 2 { "compute" } else { "general" };
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": name, "creationTimestamp": CREATED,
            "labels": {
                "eks.amazonaws.com/nodegroup": group,
                "eks.amazonaws.com/capacityType": "ON_DEMAND",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": "m6i.xlarge",
                "topology.kubernetes.io/region": c.region,
                "topology.kubernetes.io/zone": format!("{}{}", c.region, ["a", "b", "c"][n % 3]),
            },
        },
        "spec": {"providerID": format!("aws:///{}a/i-{:017x}", c.region, mix(&[SEED, c.index as u64, n as u64]) >> 4)},
        "status": {
            "allocatable": {"cpu": "3920m", "memory": "15136480Ki", "pods": "58"},
            "capacity": {"cpu": "4", "memory": "16023264Ki", "pods": "58"},
            "conditions": [
                {"type": "MemoryPressure", "status": "False", "reason": "KubeletHasSufficientMemory",
                    "lastHeartbeatTime": "2026-11-21T14:28:51Z", "lastTransitionTime": CREATED},
                {"type": "Ready", "status": "True", "reason": "KubeletReady",
                    "message": "kubelet is posting ready status",
                    "lastHeartbeatTime": "2026-11-21T14:28:51Z", "lastTransitionTime": CREATED},
            ],
            "nodeInfo": {"kubeletVersion": "v1.33.0-eks-802817d", "osImage": "Amazon Linux 2023",
                "containerRuntimeVersion": "containerd://1.7.27"},
        }
    })
}

fn image(c: &ClusterSpec, svc: &Service, version: &str) -> String {
    format!(
        "123456789012.dkr.ecr.{}.amazonaws.com/{}:{version}",
        c.region, svc.name
    )
}

fn template(c: &ClusterSpec, svc: &Service, hash: Option<&str>, previous: bool) -> Value {
    let version = version(svc, c.env, previous);
    let mut labels =
        json!({"app": svc.name, "team": svc.namespace, "app.kubernetes.io/version": version});
    if let Some(h) = hash {
        labels["pod-template-hash"] = json!(h);
    }
    json!({
        "metadata": {"labels": labels},
        "spec": {"containers": [{
            "name": "app",
            "image": image(c, svc, &version),
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                "limits": {"cpu": "1", "memory": "512Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
        }]}
    })
}

fn deployment(
    c: &ClusterSpec,
    svc: &Service,
    replicas: usize,
    ready: usize,
    revision: u64,
) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {
            "name": svc.name, "namespace": svc.namespace, "generation": revision,
            "creationTimestamp": CREATED,
            "labels": {"app": svc.name, "team": svc.namespace},
            "annotations": {"deployment.kubernetes.io/revision": revision.to_string()},
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": svc.name}},
            "strategy": {"type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": template(c, svc, None, false),
        },
        "status": {
            "observedGeneration": revision,
            "replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": ready, "availableReplicas": ready,
            "conditions": [
                {"type": "Available", "status": if ready == replicas { "True" } else { "False" },
                    "reason": "MinimumReplicasAvailable",
                    "lastUpdateTime": "2026-11-21T10:00:05Z", "lastTransitionTime": "2026-11-21T10:00:05Z"},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                    "lastUpdateTime": "2026-11-21T10:00:05Z", "lastTransitionTime": CREATED},
            ],
        }
    })
}

fn replicaset(
    c: &ClusterSpec,
    svc: &Service,
    hash: &str,
    revision: u64,
    replicas: usize,
    previous: bool,
) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {
            "name": format!("{}-{hash}", svc.name), "namespace": svc.namespace,
            "creationTimestamp": if previous { CREATED } else { "2026-11-21T10:00:00Z" },
            "labels": {"app": svc.name, "pod-template-hash": hash},
            "annotations": {"deployment.kubernetes.io/revision": revision.to_string()},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": svc.name,
                "uid": format!("{:016x}", mix(&[SEED, svc.index as u64])), "controller": true}],
        },
        "spec": {"replicas": replicas, "template": template(c, svc, Some(hash), previous)},
        "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas},
    })
}

fn hpa(svc: &Service, replicas: usize) -> Value {
    // Every ninth service runs at its HPA's maximum.
    let at_max = svc.index.is_multiple_of(9);
    let max = if at_max { replicas } else { replicas * 2 + 2 };
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": svc.name, "namespace": svc.namespace, "creationTimestamp": CREATED},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": svc.name},
            "minReplicas": replicas.clamp(1, 2), "maxReplicas": max.max(1),
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
        "status": {
            "currentReplicas": replicas, "desiredReplicas": replicas,
            "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
                "current": {"averageUtilization": if at_max { 91 } else { 42 }}}}],
        },
    })
}

fn pod(c: &ClusterSpec, svc: &Service, hash: &str, j: usize, fate: PodFate, node: &str) -> Value {
    let name = format!(
        "{}-{hash}-{}",
        svc.name,
        hash_suffix(&[SEED, c.index as u64, j as u64], 5)
    );
    let mut p = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": svc.namespace,
            "uid": format!("{:016x}-{j}", mix(&[SEED, c.index as u64, j as u64, 1])),
            "creationTimestamp": "2026-11-21T10:00:00Z",
            "labels": {"app": svc.name, "pod-template-hash": hash},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "name": format!("{}-{hash}", svc.name), "uid": "x", "controller": true}],
            "managedFields": [{"manager": "kubelet", "operation": "Update", "apiVersion": "v1",
                "time": "2026-11-21T10:00:05Z", "fieldsType": "FieldsV1",
                "fieldsV1": {"f:status": {"f:conditions": {}, "f:containerStatuses": {},
                    "f:hostIP": {}, "f:phase": {}, "f:podIP": {}, "f:startTime": {}}}}],
        },
        "spec": template(c, svc, Some(hash), false)["spec"].clone(),
    });
    p["metadata"]["labels"]["app.kubernetes.io/version"] = json!(version(svc, c.env, false));
    let ip = format!("10.{}.{}.{}", c.index, j / 250 % 250, j % 250);
    p["status"] = match fate {
        PodFate::Pending => json!({
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/12 nodes are available: 12 Insufficient cpu."}],
        }),
        PodFate::Running | PodFate::CrashLooping => {
            p["spec"]["nodeName"] = json!(node);
            let crashing = fate == PodFate::CrashLooping;
            let state = if crashing {
                json!({"waiting": {"reason": "CrashLoopBackOff",
                    "message": "back-off 5m0s restarting failed container"}})
            } else {
                json!({"running": {"startedAt": "2026-11-21T10:00:03Z"}})
            };
            json!({
                "phase": "Running", "hostIP": ip, "podIP": ip, "startTime": STARTED,
                "conditions": [{"type": "Ready", "status": if crashing { "False" } else { "True" },
                    "lastTransitionTime": "2026-11-21T10:00:05Z"}],
                "containerStatuses": [{"name": "app", "ready": !crashing,
                    "restartCount": if crashing { 3 + j % 40 } else { 0 },
                    "image": image(c, svc, &version(svc, c.env, false)), "imageID": "sha256:0",
                    "started": !crashing, "state": state}],
            })
        }
    };
    p
}
