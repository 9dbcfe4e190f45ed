//! `kubectl rollout undo` as a pure function (kubectl's `polymorphichelpers/rollback.go`): among
//! the ReplicaSets the workload controls, the one asked for, else the one the available pods run
//! while the template points elsewhere (a rollout part-way out or held at a gate), else the
//! previous revision (the second highest, kubectl's choice); then one JSON patch replacing
//! `/spec/template` (the ReplicaSet's, without its pod-template-hash label) and
//! `/metadata/annotations`. Argo Rollouts are undone the same way (`kubectl argo rollouts
//! undo`) with their own revision annotation and hash label.
//!
//! Where kubectl refuses a paused Deployment, this resumes it in the same patch
//! (`/spec/paused: false`) behind a resourceVersion precondition: a gate's reject and a
//! rollback of a held release end with the pods on the revision they ran and nothing paused.
//! opsdeck's own annotations (`opsdeck.dev/…`) come from the workload, never from the
//! ReplicaSet's stale copy, and an open gate's record is removed.

use super::requests::{Call, JSON_PATCH, Rejection, WorkloadRef};
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

fn available(rs: &Value) -> u64 {
    rs["status"]["availableReplicas"].as_u64().unwrap_or(0)
}

fn owned<'a>(w: &WorkloadRef, workload: &Value, replicasets: &'a [Value]) -> Vec<(u64, &'a Value)> {
    replicasets
        .iter()
        .filter(|rs| controlled_by(rs, workload))
        .filter_map(|rs| Some((revision_of(rs, w.kind)?, rs)))
        .collect()
}

/// The revision the available pods run while the template points elsewhere (a rollout
/// part-way out or held at a gate): the owned ReplicaSet with the most available pods whose
/// template is not the workload's. None when the template's pods are all that serve.
pub fn stable_revision(w: &WorkloadRef, workload: &Value, replicasets: &[Value]) -> Option<u64> {
    let current = without_hash(&workload["spec"]["template"], w.kind);
    owned(w, workload, replicasets)
        .into_iter()
        .filter(|(_, rs)| available(rs) > 0)
        .filter(|(_, rs)| without_hash(&rs["spec"]["template"], w.kind) != current)
        .max_by_key(|(r, rs)| (available(rs), *r))
        .map(|(r, _)| r)
}

/// Whether any pod the workload owns is available (on any revision).
pub fn any_available(w: &WorkloadRef, workload: &Value, replicasets: &[Value]) -> bool {
    owned(w, workload, replicasets)
        .iter()
        .any(|(_, rs)| available(rs) > 0)
}

/// Plan `kubectl rollout undo [--to-revision=N]` for `workload` given the ReplicaSets in its
/// namespace; `rejection` is recorded when it closes a gate. Err: a message for the person
/// (nothing to roll back to, or already there).
pub fn plan(
    w: &WorkloadRef,
    workload: &Value,
    replicasets: &[Value],
    to_revision: Option<u64>,
    rejection: Option<&Rejection>,
) -> Result<Plan, String> {
    let owned = owned(w, workload, replicasets);
    let current = without_hash(&workload["spec"]["template"], w.kind);
    let stable = stable_revision(w, workload, replicasets);
    let target = match to_revision.filter(|n| *n > 0).or(stable) {
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
    if template == current {
        return Err(format!(
            "skipped rollback: the current template already matches revision {rev}"
        ));
    }
    let skip = skipped(w.kind);
    let mut annotations = Map::new();
    let current_ann = &workload["metadata"]["annotations"];
    for k in skip {
        if let Some(v) = current_ann.get(*k) {
            annotations.insert(k.to_string(), v.clone());
        }
    }
    let ours = |k: &str| k.starts_with(ann::OPSDECK_PREFIX);
    if let Some(rs_ann) = rs["metadata"]["annotations"].as_object() {
        for (k, v) in rs_ann {
            if !skip.contains(&k.as_str()) && !ours(k) {
                annotations.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(cur) = current_ann.as_object() {
        for (k, v) in cur {
            if ours(k) && !ann::GATE_OPEN.contains(&k.as_str()) {
                annotations.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some(r) = rejection {
        annotations.insert(ann::GATE_REJECTED.into(), json!(r.text()));
    }
    let paused = workload["spec"]["paused"] == true;
    let mut ops = Vec::new();
    if paused {
        // Resuming is a decision about the object as read: a 409 if anyone wrote since.
        let rv = &workload["metadata"]["resourceVersion"];
        ops.push(json!({"op": "replace", "path": "/metadata/resourceVersion", "value": rv}));
    }
    ops.push(json!({"op": "replace", "path": "/spec/template", "value": template}));
    ops.push(json!({"op": "replace", "path": "/metadata/annotations", "value": annotations}));
    if paused {
        ops.push(json!({"op": "add", "path": "/spec/paused", "value": false}));
    }
    let body = Value::Array(ops);
    let new_revision = owned.iter().map(|(r, _)| *r).max().unwrap_or(0) + 1;
    Ok(Plan {
        call: Call {
            method: http::Method::PATCH,
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
        let p = plan(&w(), &deploy(), &history(), None, None).unwrap();
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
        let p = plan(&w(), &deploy(), &history(), Some(2), None).unwrap();
        assert_eq!(p.replicaset, "rs2");
        assert_eq!(
            plan(&w(), &deploy(), &history(), Some(7), None).unwrap_err(),
            "unable to find specified revision 7 in history"
        );
        assert!(
            plan(&w(), &deploy(), &history(), Some(4), None)
                .unwrap_err()
                .contains("already matches revision 4")
        );
        assert!(
            plan(&w(), &deploy(), &history()[1..2], None, None)
                .unwrap_err()
                .contains("no rollout history")
        );
    }

    /// `kubectl rollout pause` + `set image` (template 5), 1 of 6 pods updated: the revision
    /// the available pods run (4) comes back, resumed, behind the resourceVersion; the gate's
    /// record removed, the rejection recorded, opsdeck's other annotations kept from the
    /// workload (not the ReplicaSet's stale copy), kubectl's skip-set from the workload.
    #[test]
    fn a_held_release_goes_back_to_what_the_available_pods_run_and_resumes() {
        let mut d = deploy();
        d["metadata"]["resourceVersion"] = json!("77");
        d["spec"]["paused"] = json!(true);
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("api:5");
        d["metadata"]["annotations"] = json!({
            "deployment.kubernetes.io/revision": "5",
            "opsdeck.dev/gate-requested-by": "ci-bot",
            "opsdeck.dev/gate-requested-at": "2026-11-23T09:00:00Z",
            "opsdeck.dev/approvals": r#"[{"who":"ana","at":"2026-11-23T09:05:00Z"}]"#,
            "opsdeck.dev/checklist": r#"{"version":"5","items":{}}"#,
        });
        let avail = |mut rs: Value, n: u64| {
            rs["status"] = json!({"availableReplicas": n});
            rs
        };
        let mut stale = rs("rs4", 4, "api:4", "d-1");
        stale["metadata"]["annotations"]["opsdeck.dev/gate-requested-by"] = json!("old-bot");
        let rses = vec![
            avail(rs("rs3", 3, "api:3", "d-1"), 0),
            avail(stale, 5),
            avail(rs("rs5", 5, "api:5", "d-1"), 1),
        ];
        assert_eq!(stable_revision(&w(), &d, &rses), Some(4));
        let rejection = Rejection {
            mark: super::super::requests::Mark::new(
                "lee",
                "2026-11-23T10:00:00Z".parse().unwrap(),
                "p95 up",
            ),
            version: "5".into(),
        };
        let p = plan(&w(), &d, &rses, None, Some(&rejection)).unwrap();
        assert_eq!((p.to_revision, p.new_revision), (4, 6));
        assert_eq!(
            p.call.body,
            json!([
                {"op": "replace", "path": "/metadata/resourceVersion", "value": "77"},
                {"op": "replace", "path": "/spec/template", "value": {
                    "metadata": {"labels": {"app": "api"}},
                    "spec": {"containers": [{"name": "api", "image": "api:4"}]}}},
                {"op": "replace", "path": "/metadata/annotations", "value": {
                    "deployment.kubernetes.io/revision": "5",
                    "kubernetes.io/change-cause": "deploy api:4",
                    "opsdeck.dev/checklist": r#"{"version":"5","items":{}}"#,
                    "opsdeck.dev/gate-rejected":
                        r#"{"who":"lee","at":"2026-11-23T10:00:00Z","reason":"p95 up","version":"5"}"#}},
                {"op": "add", "path": "/spec/paused", "value": false},
            ])
        );
        // Nothing available on an older revision: kubectl's previous revision.
        let none: Vec<Value> = rses.iter().map(|r| avail(r.clone(), 0)).collect();
        assert_eq!(stable_revision(&w(), &d, &none), None);
        assert!(!any_available(&w(), &d, &none));
        assert_eq!(plan(&w(), &d, &none, None, None).unwrap().to_revision, 4);
    }

    #[test]
    fn selector_and_ownership() {
        assert_eq!(selector(&deploy()), "app=api");
        assert!(controlled_by(&history()[0], &deploy()));
        assert!(!controlled_by(&history()[3], &deploy()));
        assert!(!controlled_by(&history()[0], &json!({"metadata": {}})));
    }
}
