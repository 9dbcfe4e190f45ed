//! Node → capacity row.

use super::{clip, label};
use crate::domain::Node;
use crate::source::kube::annotations as ann;
use crate::source::kube::quantity;
use k8s_openapi::api::core::v1::Node as KubeNode;

pub fn node(n: &KubeNode) -> Option<Node> {
    let meta = &n.metadata;
    let name = meta.name.as_deref().filter(|n| !n.is_empty())?;
    let labels = meta.labels.as_ref();
    let first = |keys: &[&str]| keys.iter().find_map(|k| label(labels, k)).map(clip);
    let status = n.status.as_ref();
    let ready = status
        .and_then(|s| s.conditions.as_deref())
        .unwrap_or(&[])
        .iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    let unschedulable = n
        .spec
        .as_ref()
        .and_then(|s| s.unschedulable)
        .unwrap_or(false);
    let alloc = status.and_then(|s| s.allocatable.as_ref());
    let get = |k: &str| alloc.and_then(|a| a.get(k)).map(|q| q.0.as_str());
    Some(Node {
        name: name.to_string(),
        nodegroup: first(&ann::NODEGROUP_LABELS).unwrap_or_default(),
        // A cordoned node takes no new pods: for headroom it counts as not ready.
        ready: ready && !unschedulable,
        instance_type: first(&ann::INSTANCE_TYPE_LABELS).unwrap_or_default(),
        allocatable_cpu_m: get("cpu").map_or(0, quantity::cpu_millis),
        allocatable_mem_mib: get("memory").map_or(0, quantity::mem_mib),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eks_node() {
        let n: KubeNode = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "ip-10-0-1-5.ec2.internal", "labels": {
                "eks.amazonaws.com/nodegroup": "general",
                "node.kubernetes.io/instance-type": "m6i.xlarge"}},
            "status": {"allocatable": {"cpu": "3920m", "memory": "15116080Ki"},
                "conditions": [{"type": "Ready", "status": "True"}]}
        }))
        .unwrap();
        let n = node(&n).unwrap();
        assert_eq!(n.nodegroup, "general");
        assert_eq!(n.instance_type, "m6i.xlarge");
        assert!(n.ready);
        assert_eq!((n.allocatable_cpu_m, n.allocatable_mem_mib), (3920, 14762));
    }

    #[test]
    fn not_ready_or_cordoned() {
        let n: KubeNode = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "a"},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}
        }))
        .unwrap();
        assert!(!node(&n).unwrap().ready);
        let n: KubeNode =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "b"}})).unwrap();
        let n = node(&n).unwrap();
        assert!(!n.ready);
        assert_eq!(n.nodegroup, "");
    }
}
