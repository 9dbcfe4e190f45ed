//! Who the cluster says we are (SelfSubjectReview) and what it lets us do
//! (SelfSubjectAccessReview), checked before an action is offered.

use super::requests::{Call, JSON};
use super::send::{api_error, send};
use crate::actions::{Action, ActionError};
use crate::domain::WorkloadKind;
use http::Method;
use serde_json::json;

/// The answer of a SelfSubjectAccessReview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The authorizer's words (may be empty).
    pub reason: String,
}

/// One permission an action needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    pub subresource: &'static str,
}

impl std::fmt::Display for Need {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb, self.resource)?;
        if !self.subresource.is_empty() {
            write!(f, "/{}", self.subresource)?;
        }
        if !self.group.is_empty() {
            write!(f, " ({})", self.group)?;
        }
        Ok(())
    }
}

const fn need(
    verb: &'static str,
    group: &'static str,
    resource: &'static str,
    subresource: &'static str,
) -> Need {
    Need {
        verb,
        group,
        resource,
        subresource,
    }
}

/// The permissions `perform` uses for `action` on a workload of `kind` (the Event it also
/// creates is best effort and not required).
pub fn needs(action: &Action, kind: WorkloadKind) -> Vec<Need> {
    let (group, resource) = match kind {
        WorkloadKind::Deployment => ("apps", "deployments"),
        WorkloadKind::Rollout => ("argoproj.io", "rollouts"),
    };
    let get = need("get", group, resource, "");
    let patch = need("patch", group, resource, "");
    let status = need("patch", group, resource, "status");
    let rollout = kind == WorkloadKind::Rollout;
    match action {
        Action::Approve { .. } | Action::Reject { .. } if rollout => vec![get, patch, status],
        Action::Approve { .. } | Action::Reject { .. } | Action::TickChecklist { .. } => {
            vec![get, patch]
        }
        Action::Rollback { .. } => vec![get, need("list", "apps", "replicasets", ""), patch],
        // The HPA list: the scaling guards check its bounds on the latest state.
        Action::Scale { .. } => vec![
            get,
            need("patch", group, resource, "scale"),
            need("list", "autoscaling", "horizontalpodautoscalers", ""),
        ],
        Action::ScaleHpa { .. } => vec![
            need("list", "autoscaling", "horizontalpodautoscalers", ""),
            need("patch", "autoscaling", "horizontalpodautoscalers", ""),
        ],
        // The EKS API decides (IAM), not the cluster's RBAC.
        Action::ScaleNodegroup { .. } => vec![],
    }
}

/// `authentication.k8s.io/v1` SelfSubjectReview: the username the cluster knows us by.
pub async fn whoami(client: &kube::Client) -> Result<String, ActionError> {
    let call = Call {
        method: Method::POST,
        path: "/apis/authentication.k8s.io/v1/selfsubjectreviews".into(),
        content_type: JSON,
        body: json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"}),
    };
    let out = send(client, &call, false).await.map_err(api_error)?;
    out["status"]["userInfo"]["username"]
        .as_str()
        .filter(|u| !u.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ActionError::Failed("the cluster did not say who we are".into()))
}

/// `authorization.k8s.io/v1` SelfSubjectAccessReview: may we `verb` the resource?
pub async fn can_i(
    client: &kube::Client,
    verb: &str,
    group: &str,
    resource: &str,
    subresource: &str,
    namespace: &str,
) -> Result<Decision, ActionError> {
    let call = Call {
        method: Method::POST,
        path: "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews".into(),
        content_type: JSON,
        body: json!({
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {
                "namespace": namespace, "verb": verb, "group": group,
                "resource": resource, "subresource": subresource,
            }},
        }),
    };
    let out = send(client, &call, false).await.map_err(api_error)?;
    let status = &out["status"];
    Ok(Decision {
        allowed: status["allowed"] == true,
        reason: status["reason"].as_str().unwrap_or("").to_string(),
    })
}

/// Every permission `action` needs in `namespace`; the first denied one is explained in
/// `ActionError::Forbidden`, e.g. "lee cannot patch deployments/scale (apps) in payments: …".
pub async fn check_access(
    client: &kube::Client,
    action: &Action,
    kind: WorkloadKind,
    namespace: &str,
) -> Result<(), ActionError> {
    for n in needs(action, kind) {
        let d = can_i(
            client,
            n.verb,
            n.group,
            n.resource,
            n.subresource,
            namespace,
        )
        .await?;
        if !d.allowed {
            let why = if d.reason.is_empty() {
                "RBAC does not allow it".to_string()
            } else {
                d.reason
            };
            return Err(ActionError::Forbidden(format!(
                "{} needs to {n} in namespace {namespace}, which is denied: {why}",
                action.name()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_each_action_needs() {
        let scale = Action::Scale {
            replicas: 3,
            reason: String::new(),
            allow: Default::default(),
        };
        let n = needs(&scale, WorkloadKind::Deployment);
        assert_eq!(n[1].to_string(), "patch deployments/scale (apps)");
        let approve = Action::Approve {
            reason: String::new(),
        };
        let r: Vec<String> = needs(&approve, WorkloadKind::Rollout)
            .iter()
            .map(Need::to_string)
            .collect();
        assert_eq!(
            r,
            [
                "get rollouts (argoproj.io)",
                "patch rollouts (argoproj.io)",
                "patch rollouts/status (argoproj.io)"
            ]
        );
        let rb = Action::Rollback {
            to_revision: None,
            reason: String::new(),
            from_version: None,
        };
        assert!(
            needs(&rb, WorkloadKind::Deployment)
                .iter()
                .any(|n| n.verb == "list" && n.resource == "replicasets")
        );
    }
}
