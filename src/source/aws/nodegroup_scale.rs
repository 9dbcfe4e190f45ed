//! Scaling an EKS managed nodegroup (UpdateNodegroupConfig) for the executor, which has already
//! checked read-only and written the audit entry. EKS has no dry run; IAM decides at the request.

use super::clients::{self, EksEndpoint};
use super::health::{Failure, classify};
use crate::actions::{Action, ActionError, ActionRequest, Outcome, TargetKind};
use aws_sdk_eks::types::NodegroupScalingConfig;

/// The request, as data: which nodegroup of which EKS cluster gets which sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalingRequest {
    pub eks_cluster: String,
    pub nodegroup: String,
    pub min: i32,
    pub desired: i32,
    pub max: i32,
}

/// Translate an action request into the EKS request. Pure.
pub fn request(eks_cluster: &str, req: &ActionRequest) -> Result<ScalingRequest, ActionError> {
    let Action::ScaleNodegroup {
        min, desired, max, ..
    } = req.action
    else {
        return Err(ActionError::Refused(format!(
            "{} is not a nodegroup action",
            req.action.name()
        )));
    };
    if req.target.kind != TargetKind::Nodegroup {
        return Err(ActionError::Refused(format!(
            "{} is not a nodegroup",
            req.target
        )));
    }
    if !(min <= desired && desired <= max) || max == 0 {
        return Err(ActionError::Refused(format!(
            "nodegroup sizes must be min ≤ desired ≤ max (max ≥ 1), not {min}/{desired}/{max}"
        )));
    }
    let size = |n: u32| {
        i32::try_from(n).map_err(|_| ActionError::Refused(format!("{n} nodes is too many")))
    };
    Ok(ScalingRequest {
        eks_cluster: eks_cluster.to_string(),
        nodegroup: req.target.workload.name.clone(),
        min: size(min)?,
        desired: size(desired)?,
        max: size(max)?,
    })
}

/// Send it: read the sizes before, update, and say what EKS accepted.
pub async fn scale(endpoint: &EksEndpoint, req: &ActionRequest) -> Result<Outcome, ActionError> {
    let r = request(&endpoint.eks_cluster, req)?;
    let sdk = clients::sdk_config(&endpoint.scope, &endpoint.settings).await;
    let client = clients::eks(&sdk, &endpoint.settings);
    let before = super::eks::describe_nodegroup(&client, &r.eks_cluster, &r.nodegroup)
        .await
        .map_err(|f| action_error(f, &r))?
        .map_or_else(
            || "unknown".to_string(),
            |n| format!("{}/{}/{}", n.min, n.desired, n.max),
        );
    let update = client
        .update_nodegroup_config()
        .cluster_name(&r.eks_cluster)
        .nodegroup_name(&r.nodegroup)
        .scaling_config(
            NodegroupScalingConfig::builder()
                .min_size(r.min)
                .desired_size(r.desired)
                .max_size(r.max)
                .build(),
        )
        .send()
        .await
        .map_err(|e| action_error(classify(&e, "eks:UpdateNodegroupConfig"), &r))?;
    let after = format!("{}/{}/{}", r.min, r.desired, r.max);
    let status = update
        .update()
        .and_then(|u| u.status())
        .map_or("accepted".to_string(), |s| s.as_str().to_lowercase());
    Ok(Outcome {
        summary: format!(
            "nodegroup {}: min/desired/max {before} → {after} (EKS update {status})",
            r.nodegroup
        ),
        before,
        after,
    })
}

fn action_error(f: Failure, r: &ScalingRequest) -> ActionError {
    let what = format!("nodegroup {} of EKS cluster {}", r.nodegroup, r.eks_cluster);
    match f {
        Failure::AccessDenied(why) => ActionError::Forbidden(format!("{what}: {why}")),
        Failure::NotFound(why) => ActionError::NotFound(format!("{what}: {why}")),
        Failure::Other(why) if why.contains("ResourceNotFound") => {
            ActionError::NotFound(format!("{what}: {why}"))
        }
        Failure::Other(why) if why.contains("InvalidParameter") => {
            ActionError::Refused(format!("{what}: {why}"))
        }
        f => ActionError::Failed(super::health::describe(&f, &what, None, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::Target;
    use crate::domain::{ClusterId, WorkloadKey, WorkloadKind};

    fn req(action: Action, target: Target) -> ActionRequest {
        ActionRequest {
            target,
            action,
            who: "lee".into(),
            local_user: String::new(),
        }
    }

    fn id() -> ClusterId {
        ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap()
    }

    fn scale(min: u32, desired: u32, max: u32) -> Action {
        Action::ScaleNodegroup {
            min,
            desired,
            max,
            reason: "traffic".into(),
            allow: Default::default(),
        }
    }

    #[test]
    fn the_request_names_the_eks_cluster_and_the_sizes() {
        let r = request(
            "acme-prod-euw1",
            &req(scale(2, 5, 8), Target::nodegroup(id(), "general")),
        )
        .unwrap();
        assert_eq!(
            r,
            ScalingRequest {
                eks_cluster: "acme-prod-euw1".into(),
                nodegroup: "general".into(),
                min: 2,
                desired: 5,
                max: 8
            }
        );
    }

    #[test]
    fn impossible_sizes_and_workloads_are_refused_before_sending() {
        let ng = Target::nodegroup(id(), "general");
        for bad in [scale(3, 2, 8), scale(2, 9, 8), scale(0, 0, 0)] {
            assert!(matches!(
                request("c", &req(bad, ng.clone())),
                Err(ActionError::Refused(_))
            ));
        }
        let huge = scale(1, 1, u32::MAX);
        assert!(request("c", &req(huge, ng)).is_err());
        let deploy = Target::workload(
            id(),
            WorkloadKey::new("shop", "api"),
            WorkloadKind::Deployment,
        );
        assert!(request("c", &req(scale(1, 2, 3), deploy)).is_err());
    }
}
