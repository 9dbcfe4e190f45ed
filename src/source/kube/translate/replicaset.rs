//! ReplicaSet → one entry of a workload's revision history.

use super::deployment::revision;
use super::{created, namespace, template_facts};
use crate::domain::{Timestamp, WorkloadKind};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaSetRecord {
    pub namespace: String,
    pub name: String,
    /// The controlling Deployment or Rollout, if any.
    pub owner: Option<(WorkloadKind, String)>,
    pub revision: u64,
    pub image: String,
    pub version: String,
    pub created: Timestamp,
    /// `status.availableReplicas`: the pods of this revision that serve.
    pub available: u32,
}

pub fn replicaset(rs: &ReplicaSet) -> Option<ReplicaSetRecord> {
    let meta = &rs.metadata;
    let name = meta.name.as_deref().filter(|n| !n.is_empty())?;
    let facts = template_facts(rs.spec.as_ref().and_then(|s| s.template.as_ref()));
    Some(ReplicaSetRecord {
        namespace: namespace(meta),
        name: name.to_string(),
        owner: workload_owner(meta),
        revision: revision(meta),
        image: facts.image,
        version: facts.version,
        created: created(meta),
        available: super::count(rs.status.as_ref().and_then(|s| s.available_replicas)),
    })
}

/// The Deployment or Rollout controlling an object, from its ownerReferences.
pub fn workload_owner(meta: &ObjectMeta) -> Option<(WorkloadKind, String)> {
    meta.owner_references
        .as_deref()?
        .iter()
        .filter(|o| o.controller.unwrap_or(true))
        .find_map(|o| match o.kind.as_str() {
            "Deployment" => Some((WorkloadKind::Deployment, o.name.clone())),
            "Rollout" => Some((WorkloadKind::Rollout, o.name.clone())),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_replicaset() {
        let rs: ReplicaSet = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "checkout-api-7d9f", "namespace": "payments",
                "creationTimestamp": "2026-11-20T09:00:00Z",
                "annotations": {"deployment.kubernetes.io/revision": "6"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                    "name": "checkout-api", "uid": "u1", "controller": true}]},
            "spec": {"selector": {}, "template": {"spec": {"containers": [
                {"name": "app", "image": "ecr/checkout-api:1.4.1"}]}}}
        }))
        .unwrap();
        let r = replicaset(&rs).unwrap();
        assert_eq!(
            r.owner,
            Some((WorkloadKind::Deployment, "checkout-api".into()))
        );
        assert_eq!(r.revision, 6);
        assert_eq!(r.version, "1.4.1");
    }

    #[test]
    fn orphan_replicaset() {
        let rs: ReplicaSet =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "x"}})).unwrap();
        let r = replicaset(&rs).unwrap();
        assert_eq!(r.owner, None);
        assert_eq!(r.revision, 0);
    }
}
