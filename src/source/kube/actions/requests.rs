//! The exact HTTP requests of each action, built from the live object (pure, no I/O). The
//! executor sends them verbatim, so what the tests assert here is what reaches the API server.

use crate::actions::EventReason;
use crate::domain::{Timestamp, WorkloadKind};
use crate::source::kube::annotations as ann;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const MERGE: &str = "application/merge-patch+json";
pub const STRATEGIC: &str = "application/strategic-merge-patch+json";
pub const JSON_PATCH: &str = "application/json-patch+json";
pub const JSON: &str = "application/json";

/// One request: method, path (with any query), content type and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub content_type: &'static str,
    pub body: Value,
}

impl Call {
    fn patch(path: String, content_type: &'static str, body: Value) -> Call {
        Call {
            method: Method::PATCH,
            path,
            content_type,
            body,
        }
    }

    pub fn get(path: String) -> Call {
        Call {
            method: Method::GET,
            path,
            content_type: JSON,
            body: Value::Null,
        }
    }

    /// The HTTP request, as a server-side dry run (`dryRun=All`) or for real.
    pub fn to_http(&self, dry_run: bool) -> http::Request<Vec<u8>> {
        let mut uri = self.path.clone();
        if dry_run {
            uri.push(if uri.contains('?') { '&' } else { '?' });
            uri.push_str("dryRun=All");
        }
        let body = if self.body.is_null() {
            Vec::new()
        } else {
            self.body.to_string().into_bytes()
        };
        http::Request::builder()
            .method(self.method.clone())
            .uri(uri)
            .header(http::header::ACCEPT, JSON)
            .header(http::header::CONTENT_TYPE, self.content_type)
            .body(body)
            .expect("a valid request")
    }
}

/// A Deployment or Argo Rollout by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadRef {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
}

impl WorkloadRef {
    pub fn api_version(&self) -> &'static str {
        match self.kind {
            WorkloadKind::Deployment => "apps/v1",
            WorkloadKind::Rollout => "argoproj.io/v1alpha1",
        }
    }

    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::Rollout => "Rollout",
        }
    }

    pub fn plural(&self) -> &'static str {
        match self.kind {
            WorkloadKind::Deployment => "deployments",
            WorkloadKind::Rollout => "rollouts",
        }
    }

    /// `/apis/apps/v1/namespaces/NS/deployments/NAME[/SUB]`.
    pub fn path(&self, sub: Option<&str>) -> String {
        let mut p = format!(
            "/apis/{}/namespaces/{}/{}/{}",
            self.api_version(),
            self.namespace,
            self.plural(),
            self.name
        );
        if let Some(s) = sub {
            p.push('/');
            p.push_str(s);
        }
        p
    }

    fn merge(&self, body: Value) -> Call {
        Call::patch(self.path(None), MERGE, body)
    }
}

/// Who did something, when and why: one approval, a rejection, a checklist tick.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    pub who: String,
    pub at: String,
    #[serde(default)]
    pub reason: String,
}

impl Mark {
    pub fn new(who: &str, at: Timestamp, reason: &str) -> Mark {
        Mark {
            who: who.to_string(),
            at: at.to_string(),
            reason: reason.to_string(),
        }
    }
}

/// `PATCH …/scale` (merge) `{"spec":{"replicas":N}}`, what `kubectl scale` changes.
pub fn scale(w: &WorkloadRef, replicas: u32) -> Call {
    Call::patch(
        w.path(Some("scale")),
        MERGE,
        json!({"spec": {"replicas": replicas}}),
    )
}

/// `PATCH` (merge) an autoscaling/v2 HPA's bounds.
pub fn hpa_bounds(namespace: &str, hpa: &str, min: u32, max: u32) -> Call {
    Call::patch(
        format!("/apis/autoscaling/v2/namespaces/{namespace}/horizontalpodautoscalers/{hpa}"),
        MERGE,
        json!({"spec": {"minReplicas": min, "maxReplicas": max}}),
    )
}

/// Recording an approval: the full new list of approvals in one merge patch that carries the
/// object's resourceVersion (a 409 if anyone wrote in between). When it is the last approval
/// needed, a Deployment resumes in the same patch (`spec.paused: null`); a Rollout is promoted
/// after it through the status subresource (`pauseConditions: null`) and, if its spec was paused
/// too, `spec.paused: false` (what `kubectl argo rollouts promote` sends).
pub fn approve(
    w: &WorkloadRef,
    resource_version: &str,
    approvals: &[Mark],
    resume: bool,
    spec_paused: bool,
) -> Vec<Call> {
    let list = serde_json::to_string(approvals).expect("marks serialise");
    // When the gate opens, its approvals move to `approvals-passed` and the rest of the gate's
    // record goes: the next gate on this object starts with none, so it can never be approved
    // in advance by old approvals nor carry the last requester's name.
    let annotations = if resume {
        let mut a = closed_gate();
        a[ann::GATE_APPROVALS_PASSED] = json!(list);
        a
    } else {
        json!({ann::GATE_APPROVALS: list})
    };
    let mut body = json!({"metadata": {
        "resourceVersion": resource_version,
        "annotations": annotations,
    }});
    let mut calls = Vec::new();
    match w.kind {
        WorkloadKind::Deployment => {
            if resume {
                body["spec"] = json!({"paused": null});
            }
            calls.push(w.merge(body));
        }
        WorkloadKind::Rollout => {
            calls.push(w.merge(body));
            if resume {
                calls.extend(promote(w, spec_paused));
            }
        }
    }
    calls
}

/// Promote a paused Rollout: clear its pause conditions, and unpause its spec if set.
pub fn promote(w: &WorkloadRef, spec_paused: bool) -> Vec<Call> {
    let mut calls = vec![Call::patch(
        w.path(Some("status")),
        MERGE,
        json!({"status": {"pauseConditions": null}}),
    )];
    if spec_paused {
        calls.push(w.merge(json!({"spec": {"paused": false}})));
    }
    calls
}

/// A merge patch's annotations that remove an open gate's record (`ann::GATE_OPEN`).
fn closed_gate() -> Value {
    Value::Object(
        ann::GATE_OPEN
            .iter()
            .map(|k| (k.to_string(), Value::Null))
            .collect(),
    )
}

/// A gate closed without its version going out: who, when, why, and the version it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    #[serde(flatten)]
    pub mark: Mark,
    pub version: String,
}

impl Rejection {
    pub fn text(&self) -> String {
        serde_json::to_string(self).expect("a rejection serialises")
    }
}

/// Closing a gate in place (resourceVersion precondition): the rejection recorded, the gate's
/// record removed. Alone for a Deployment with no earlier revision to go back to (it stays
/// paused); for a Rollout followed by [`abort`]. A Deployment with a revision to go back to
/// is rejected by `rollback::plan` in one patch instead.
pub fn close_gate(w: &WorkloadRef, resource_version: &str, rejection: &Rejection) -> Call {
    let mut annotations = closed_gate();
    annotations[ann::GATE_REJECTED] = json!(rejection.text());
    w.merge(json!({"metadata": {
        "resourceVersion": resource_version,
        "annotations": annotations,
    }}))
}

/// Rejecting a Rollout's gate: the gate closed, then the update aborted (traffic back on the
/// stable ReplicaSet, `status.abort: true`, what `kubectl argo rollouts abort` sends).
pub fn reject_rollout(w: &WorkloadRef, resource_version: &str, rejection: &Rejection) -> Vec<Call> {
    vec![close_gate(w, resource_version, rejection), abort(w)]
}

/// Abort a Rollout's update: traffic goes back to the stable ReplicaSet.
pub fn abort(w: &WorkloadRef) -> Call {
    Call::patch(
        w.path(Some("status")),
        MERGE,
        json!({"status": {"abort": true}}),
    )
}

/// The checklist annotation's content.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Checklist {
    pub version: String,
    #[serde(default)]
    pub items: BTreeMap<String, Mark>,
}

impl Checklist {
    /// As recorded on the object (absent or unreadable: empty).
    pub fn parse(annotations: &BTreeMap<String, String>) -> Checklist {
        annotations
            .get(ann::CHECKLIST)
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default()
    }

    /// The checklist after ticking `item` for `version`: a new version starts afresh.
    /// Err: the item is already ticked for this version (by whom, when).
    pub fn tick(mut self, version: &str, item: &str, mark: Mark) -> Result<Checklist, String> {
        if self.version != version {
            self = Checklist {
                version: version.to_string(),
                items: BTreeMap::new(),
            };
        }
        if let Some(m) = self.items.get(item) {
            return Err(format!(
                "{item:?} is already ticked for {version} by {} at {}",
                m.who, m.at
            ));
        }
        self.items.insert(item.to_string(), mark);
        Ok(self)
    }
}

/// A checklist tick: the whole checklist annotation, with the resourceVersion precondition so a
/// concurrent tick of another item is re-read and kept, not overwritten.
pub fn checklist(w: &WorkloadRef, resource_version: &str, list: &Checklist) -> Call {
    let text = serde_json::to_string(list).expect("a checklist serialises");
    w.merge(json!({"metadata": {
        "resourceVersion": resource_version,
        "annotations": {ann::CHECKLIST: text},
    }}))
}

/// The core/v1 Event that mirrors an action on the workload (`kubectl describe` shows it).
pub fn event(
    w: &WorkloadRef,
    object: &Value,
    reason: EventReason,
    message: &str,
    now: Timestamp,
) -> Call {
    let meta = &object["metadata"];
    let at = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    Call {
        method: Method::POST,
        path: format!("/api/v1/namespaces/{}/events", w.namespace),
        content_type: JSON,
        body: json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": format!("{}.", w.name), "namespace": w.namespace},
            "involvedObject": {
                "apiVersion": w.api_version(),
                "kind": w.kind_name(),
                "name": w.name,
                "namespace": w.namespace,
                "uid": meta["uid"],
                "resourceVersion": meta["resourceVersion"],
            },
            "reason": reason.as_str(),
            "message": message,
            "type": "Normal",
            "source": {"component": "opsdeck"},
            "reportingComponent": "opsdeck",
            "reportingInstance": "opsdeck",
            "action": reason.verb(),
            "firstTimestamp": at,
            "lastTimestamp": at,
            "count": 1,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(kind: WorkloadKind) -> WorkloadRef {
        WorkloadRef {
            kind,
            namespace: "payments".into(),
            name: "checkout-api".into(),
        }
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn scale_and_hpa() {
        let c = scale(&w(WorkloadKind::Deployment), 5);
        assert_eq!(
            (c.method, c.path.as_str(), c.content_type),
            (
                Method::PATCH,
                "/apis/apps/v1/namespaces/payments/deployments/checkout-api/scale",
                MERGE
            )
        );
        assert_eq!(c.body, json!({"spec": {"replicas": 5}}));
        let h = hpa_bounds("payments", "checkout-api", 3, 12);
        assert_eq!(
            h.path,
            "/apis/autoscaling/v2/namespaces/payments/horizontalpodautoscalers/checkout-api"
        );
        assert_eq!(
            h.body,
            json!({"spec": {"minReplicas": 3, "maxReplicas": 12}})
        );
        let r = scale(&w(WorkloadKind::Rollout), 2);
        assert_eq!(
            r.path,
            "/apis/argoproj.io/v1alpha1/namespaces/payments/rollouts/checkout-api/scale"
        );
    }

    #[test]
    fn approve_deployment_resumes_in_the_same_patch() {
        let marks = vec![
            Mark::new("maria", t("2026-11-23T09:10:00Z"), "ok"),
            Mark::new("lee", t("2026-11-23T10:00:00Z"), "looks good"),
        ];
        let calls = approve(&w(WorkloadKind::Deployment), "41", &marks, true, true);
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].content_type, MERGE);
        assert_eq!(
            calls[0].body,
            json!({
                "metadata": {"resourceVersion": "41", "annotations": {
                    "opsdeck.dev/approvals": null,
                    "opsdeck.dev/gate-requested-by": null,
                    "opsdeck.dev/gate-requested-at": null,
                    "opsdeck.dev/gate-required-approvals": null,
                    "opsdeck.dev/approvals-passed":
                    r#"[{"who":"maria","at":"2026-11-23T09:10:00Z","reason":"ok"},{"who":"lee","at":"2026-11-23T10:00:00Z","reason":"looks good"}]"#}},
                "spec": {"paused": null}
            })
        );
        let waiting = approve(&w(WorkloadKind::Deployment), "41", &marks[..1], false, true);
        assert!(waiting[0].body.get("spec").is_none(), "no resume yet");
    }

    #[test]
    fn approve_rollout_promotes_through_status() {
        let marks = vec![Mark::new("lee", t("2026-11-23T10:00:00Z"), "")];
        let calls = approve(&w(WorkloadKind::Rollout), "7", &marks, true, true);
        let shape: Vec<(&str, &str)> = calls
            .iter()
            .map(|c| (c.path.rsplit('/').next().unwrap(), c.content_type))
            .collect();
        assert_eq!(
            shape,
            [
                ("checkout-api", MERGE),
                ("status", MERGE),
                ("checkout-api", MERGE)
            ]
        );
        assert_eq!(calls[1].body, json!({"status": {"pauseConditions": null}}));
        assert_eq!(calls[2].body, json!({"spec": {"paused": false}}));
        assert_eq!(
            approve(&w(WorkloadKind::Rollout), "7", &marks, true, false).len(),
            2,
            "spec not paused: no spec patch"
        );
    }

    #[test]
    fn rejecting_closes_the_gate_and_aborts_a_rollout() {
        let rejection = Rejection {
            mark: Mark::new("lee", t("2026-11-23T10:00:00Z"), "alarms"),
            version: "2.4.0".into(),
        };
        let c = close_gate(&w(WorkloadKind::Deployment), "9", &rejection);
        assert_eq!(
            c.body,
            json!({"metadata": {"resourceVersion": "9", "annotations": {
                "opsdeck.dev/gate-rejected":
                    r#"{"who":"lee","at":"2026-11-23T10:00:00Z","reason":"alarms","version":"2.4.0"}"#,
                "opsdeck.dev/gate-requested-by": null,
                "opsdeck.dev/gate-requested-at": null,
                "opsdeck.dev/gate-required-approvals": null,
                "opsdeck.dev/approvals": null,
            }}})
        );
        let r = reject_rollout(&w(WorkloadKind::Rollout), "9", &rejection);
        assert_eq!(
            r[0].body,
            close_gate(&w(WorkloadKind::Rollout), "9", &rejection).body
        );
        assert_eq!(r[1].body, json!({"status": {"abort": true}}));
        assert!(r[1].path.ends_with("/status"));
    }

    #[test]
    fn checklist_resets_on_a_new_version_and_refuses_a_second_tick() {
        let m = |who: &str| Mark::new(who, t("2026-11-23T10:00:00Z"), "");
        let list = Checklist::default()
            .tick("1.5.0", "runbook", m("lee"))
            .unwrap()
            .tick("1.5.0", "tests", m("maria"))
            .unwrap();
        assert_eq!(list.items.len(), 2);
        assert!(
            list.clone()
                .tick("1.5.0", "runbook", m("sam"))
                .unwrap_err()
                .contains("already ticked for 1.5.0 by lee")
        );
        let next = list.tick("1.6.0", "runbook", m("sam")).unwrap();
        assert_eq!(next.version, "1.6.0");
        assert_eq!(next.items.keys().collect::<Vec<_>>(), ["runbook"]);
        let c = checklist(&w(WorkloadKind::Deployment), "3", &next);
        let text = c.body["metadata"]["annotations"]["opsdeck.dev/checklist"]
            .as_str()
            .unwrap();
        let back: BTreeMap<String, String> =
            [("opsdeck.dev/checklist".to_string(), text.to_string())].into();
        assert_eq!(Checklist::parse(&back), next);
        assert_eq!(c.body["metadata"]["resourceVersion"], "3");
    }

    #[test]
    fn event_names_the_workload_and_the_person() {
        let obj = json!({"metadata": {"uid": "u-1", "resourceVersion": "12"}});
        let c = event(
            &w(WorkloadKind::Deployment),
            &obj,
            EventReason::Rollback,
            "lee rolled back: 5xx",
            t("2026-11-23T10:00:00Z"),
        );
        assert_eq!(
            (c.method, c.path.as_str()),
            (Method::POST, "/api/v1/namespaces/payments/events")
        );
        let b = &c.body;
        assert_eq!(b["involvedObject"]["kind"], "Deployment");
        assert_eq!(b["involvedObject"]["uid"], "u-1");
        assert_eq!(b["reason"], "OpsdeckRollback");
        assert_eq!(b["action"], "Rollback");
        assert_eq!(b["reportingComponent"], "opsdeck");
        assert_eq!(b["firstTimestamp"], "2026-11-23T10:00:00Z");
        assert_eq!(b["metadata"]["generateName"], "checkout-api.");
    }

    #[test]
    fn dry_run_is_a_query_parameter() {
        let c = scale(&w(WorkloadKind::Deployment), 1);
        assert_eq!(
            c.to_http(true).uri().query(),
            Some("dryRun=All"),
            "dry run appended"
        );
        assert_eq!(c.to_http(false).uri().query(), None);
        let r = c.to_http(false);
        assert_eq!(r.headers()["content-type"], MERGE);
        assert_eq!(r.body(), br#"{"spec":{"replicas":1}}"#);
    }
}
