//! HorizontalPodAutoscaler (autoscaling/v2) → the HPA shown with its workload.

use super::{count, namespace};
use crate::domain::Hpa;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;

#[derive(Debug, Clone, PartialEq)]
pub struct HpaRecord {
    pub namespace: String,
    pub name: String,
    /// The Deployment or Rollout it scales (None for other targets).
    pub target: Option<String>,
    pub hpa: Hpa,
}

pub fn hpa(h: &HorizontalPodAutoscaler) -> Option<HpaRecord> {
    let meta = &h.metadata;
    let name = meta.name.as_deref().filter(|n| !n.is_empty())?;
    let spec = h.spec.as_ref();
    let status = h.status.as_ref();
    let target = spec
        .map(|s| &s.scale_target_ref)
        .filter(|t| t.kind == "Deployment" || t.kind == "Rollout")
        .map(|t| t.name.clone());
    let target_cpu_pct = spec
        .and_then(|s| s.metrics.as_deref())
        .unwrap_or(&[])
        .iter()
        .filter_map(|m| m.resource.as_ref())
        .find(|r| r.name == "cpu")
        .and_then(|r| r.target.average_utilization);
    let current_cpu_pct = status
        .and_then(|s| s.current_metrics.as_deref())
        .unwrap_or(&[])
        .iter()
        .filter_map(|m| m.resource.as_ref())
        .find(|r| r.name == "cpu")
        .and_then(|r| r.current.average_utilization);
    Some(HpaRecord {
        namespace: namespace(meta),
        name: name.to_string(),
        target,
        hpa: Hpa {
            min: count(Some(spec.and_then(|s| s.min_replicas).unwrap_or(1))),
            max: count(spec.map(|s| s.max_replicas)),
            current: count(status.and_then(|s| s.current_replicas)),
            desired: count(status.map(|s| s.desired_replicas)),
            target_cpu_pct: count(target_cpu_pct),
            current_cpu_pct: current_cpu_pct.map(|p| count(Some(p))),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hpa_at_max() {
        let h: HorizontalPodAutoscaler = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "events-ingest", "namespace": "data"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                    "name": "events-ingest"},
                "minReplicas": 3, "maxReplicas": 12,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                    "target": {"type": "Utilization", "averageUtilization": 70}}}]},
            "status": {"currentReplicas": 12, "desiredReplicas": 12,
                "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu",
                    "current": {"averageUtilization": 105}}}]}
        }))
        .unwrap();
        let r = hpa(&h).unwrap();
        assert_eq!(r.target.as_deref(), Some("events-ingest"));
        assert_eq!((r.hpa.min, r.hpa.max, r.hpa.current), (3, 12, 12));
        assert_eq!(r.hpa.target_cpu_pct, 70);
        assert_eq!(r.hpa.current_cpu_pct, Some(105));
        assert!(r.hpa.at_max());
    }

    #[test]
    fn statefulset_target_is_not_a_workload() {
        let h: HorizontalPodAutoscaler = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "db"},
            "spec": {"scaleTargetRef": {"kind": "StatefulSet", "name": "db"}, "maxReplicas": 3}
        }))
        .unwrap();
        let r = hpa(&h).unwrap();
        assert_eq!(r.target, None);
        assert_eq!(r.hpa.min, 1);
        assert_eq!(r.hpa.current_cpu_pct, None);
    }
}
