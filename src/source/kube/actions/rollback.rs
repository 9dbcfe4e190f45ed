//! `kubectl rollout undo` as a pure function (kubectl's `polymorphichelpers/rollback.go`): among
//! the ReplicaSets the workload controls, the previous revision (the second highest) or the one
//! asked for; then one JSON patch replacing `/spec/template` (the ReplicaSet's, without its
//! pod-template-hash label) and `/metadata/annotations`. Argo Rollouts are undone the same way
//! (`kubectl argo rollouts undo`) with their own revision annotation and hash label.

use super::requests::{Call, JSON_PATCH, WorkloadRef};
use crate::domain::WorkloadKind;
use crate::source::kube::annotations as ann;
use serde_json::{Map, Value, json};

/// Annotations a rollback keeps from the workload instead of taking them from the ReplicaSet
/// (kubectl's `annotationsToSkip`).
pub const DEPLOYMENT_SKIPPED: [&str; 6] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
];
pub const ROLLOUT_SKIPPED: [&str; 4] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "rollout.argoproj.io/revision",
    "rollout.argoproj.io/revision-history",
    "rollout.argoproj.io/desired-replicas",
];

/// What a rollback will do.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub call: Call,
    /// The ReplicaSet whose template comes back, and its revision.
    pub replicaset: String,
    pub to_revision: u64,
    /// The revision number the controller will give it (one above the highest).
    pub new_revision: u64,
    pub template: Value,
}

fn skipped(kind: WorkloadKind) -> &'static [&'static str] {
    match kind {
        WorkloadKind::Deployment => &DEPLOYMENT_SKIPPED,
        WorkloadKind::Rollout => &ROLLOUT_SKIPPED,
    }
}

fn hash_label(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => ann::POD_TEMPLATE_HASH,
        WorkloadKind::Rollout => ann::ROLLOUT_POD_TEMPLATE_HASH,
    }
}

fn revision_of(obj: &Value, kind: WorkloadKind) -> Option<u64> {
    let key = match kind {
        WorkloadKind::Deployment => ann::DEPLOYMENT_REVISION,
        WorkloadKind::Rollout => ann::ROLLOUT_REVISION,
    };
    obj["metadata"]["annotations"][key]
        .as_str()
        .and_then(|r| r.trim().parse().ok())
}

/// Whether `rs` is controlled by `workload` (its controller ownerReference has the workload's
/// uid), as `metav1.IsControlledBy` decides.
pub fn controlled_by(rs: &Value, workload: &Value) -> bool {
    let uid = &workload["metadata"]["uid"];
    rs["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|o| o["controller"] == true && &o["uid"] == uid && !uid.is_null())
}

/// The label selector kubectl lists the ReplicaSets with (`matchLabels`; expressions are left
/// to the ownership check).
pub fn selector(workload: &Value) -> String {
    workload["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn without_hash(template: &Value, kind: WorkloadKind) -> Value {
    let mut t = template.clone();
    if let Some(labels) = t["metadata"]["labels"].as_object_mut() {
        labels.remove(hash_label(kind));
    }
    t
}

/// Plan `kubectl rollout undo [--to-revision=N]` for `workload` given the ReplicaSets in its
/// namespace. Err: a message for the person (nothing to roll back to, or already there).
pub fn plan(
    w: &WorkloadRef,
    workload: &Value,
    replicasets: &[Value],
    to_revision: Option<u64>,
) -> Result<Plan, String> {
    let owned: Vec<(u64, &Value)> = replicasets
        .iter()
        .filter(|rs| controlled_by(rs, workload))
        .filter_map(|rs| Some((revision_of(rs, w.kind)?, rs)))
        .collect();
    let target = match to_revision.filter(|n| *n > 0) {
        Some(n) => owned
            .iter()
            .find(|(r, _)| *r == n)
            .ok_or_else(|| format!("unable to find specified revision {n} in history"))?,
        None => {
            let mut revs: Vec<&(u64, &Value)> = owned.iter().collect();
            revs.sort_by_key(|(r, _)| std::cmp::Reverse(*r));
            revs.get(1).copied().ok_or_else(|| {
                format!("no rollout history found for {} {:?}", w.plural(), w.name)
            })?
        }
    };
    let (rev, rs) = *target;
    let template = without_hash(&rs["spec"]["template"], w.kind);
    if template == without_hash(&workload["spec"]["template"], w.kind) {
        return Err(format!(
            "skipped rollback: the current template already matches revision {rev}"
        ));
    }
    let skip = skipped(w.kind);
    let mut annotations = Map::new();
    let current = &workload["metadata"]["annotations"];
    for k in skip {
        if let Some(v) = current.get(*k) {
            annotations.insert(k.to_string(), v.clone());
        }
    }
    if let Some(rs_ann) = rs["metadata"]["annotations"].as_object() {
        for (k, v) in rs_ann {
            if !skip.contains(&k.as_str()) {
                annotations.insert(k.clone(), v.clone());
            }
        }
    }
    let body = json!([
        {"op": "replace", "path": "/spec/template", "value": template},
        {"op": "replace", "path": "/metadata/annotations", "value": annotations},
    ]);
    let new_revision = owned.iter().map(|(r, _)| *r).max().unwrap_or(0) + 1;
    Ok(Plan {
        call: Call {
            method: "PATCH",
            path: w.path(None),
            content_type: JSON_PATCH,
            body,
        },
        replicaset: rs["metadata"]["name"].as_str().unwrap_or("").to_string(),
        to_revision: rev,
        new_revision,
        template,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w() -> WorkloadRef {
        WorkloadRef {
            kind: WorkloadKind::Deployment,
            namespace: "payments".into(),
            name: "api".into(),
        }
    }

    fn rs(name: &str, rev: u64, image: &str, owner: &str) -> Value {
        json!({
            "metadata": {"name": name, "annotations": {
                "deployment.kubernetes.io/revision": rev.to_string(),
                "deployment.kubernetes.io/desired-replicas": "2",
                "kubernetes.io/change-cause": format!("deploy {image}"),
            }, "ownerReferences": [{"kind": "Deployment", "name": "api", "uid": owner,
                "controller": true}]},
            "spec": {"template": {"metadata": {"labels": {"app": "api", "pod-template-hash": name}},
                "spec": {"containers": [{"name": "api", "image": image}]}}}
        })
    }

    fn deploy() -> Value {
        json!({
            "metadata": {"name": "api", "uid": "d-1", "annotations": {
                "deployment.kubernetes.io/revision": "4",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "opsdeck.dev/approvals": "[]",
            }},
            "spec": {"selector": {"matchLabels": {"app": "api"}},
                "template": {"metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": "api:4"}]}}}
        })
    }

    fn history() -> Vec<Value> {
        vec![
            rs("rs2", 2, "api:2", "d-1"),
            rs("rs4", 4, "api:4", "d-1"),
            rs("rs3", 3, "api:3", "d-1"),
            rs("other", 9, "api:9", "someone-else"),
        ]
    }

    #[test]
    fn previous_revision_as_kubectl_picks_it() {
        let p = plan(&w(), &deploy(), &history(), None).unwrap();
        assert_eq!((p.replicaset.as_str(), p.to_revision), ("rs3", 3));
        assert_eq!(
            p.new_revision, 5,
            "the foreign ReplicaSet's 9 does not count"
        );
        assert_eq!(p.call.content_type, JSON_PATCH);
        assert_eq!(
            p.call.body,
            json!([
                {"op": "replace", "path": "/spec/template", "value": {
                    "metadata": {"labels": {"app": "api"}},
                    "spec": {"containers": [{"name": "api", "image": "api:3"}]}}},
                {"op": "replace", "path": "/metadata/annotations", "value": {
                    "deployment.kubernetes.io/revision": "4",
                    "kubectl.kubernetes.io/last-applied-configuration": "{}",
                    "kubernetes.io/change-cause": "deploy api:3"}},
            ])
        );
    }

    #[test]
    fn to_revision_and_its_errors() {
        let p = plan(&w(), &deploy(), &history(), Some(2)).unwrap();
        assert_eq!(p.replicaset, "rs2");
        assert_eq!(
            plan(&w(), &deploy(), &history(), Some(7)).unwrap_err(),
            "unable to find specified revision 7 in history"
        );
        assert!(
            plan(&w(), &deploy(), &history(), Some(4))
                .unwrap_err()
                .contains("already matches revision 4")
        );
        assert!(
            plan(&w(), &deploy(), &history()[1..2], None)
                .unwrap_err()
                .contains("no rollout history")
        );
    }

    #[test]
    fn selector_and_ownership() {
        assert_eq!(selector(&deploy()), "app=api");
        assert!(controlled_by(&history()[0], &deploy()));
        assert!(!controlled_by(&history()[3], &deploy()));
        assert!(!controlled_by(&history()[0], &json!({"metadata": {}})));
    }
}
