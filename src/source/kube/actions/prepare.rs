//! From a request and the fresh object to the calls that carry it out, with the checks that
//! depend on the object's latest state. Reads (ReplicaSets, HPAs) happen here; writes do not.

use super::perform::PerformContext;
use super::requests::{self, Call, Checklist, Mark, WorkloadRef};
use super::rollback;
use super::send::{api_error, send};
use crate::actions::policy::{self, ScaleFacts};
use crate::actions::{Action, ActionError, ActionRequest, EventReason, Outcome};
use crate::domain::WorkloadKind;
use crate::source::kube::translate::{self, GateRecord, WorkloadRecord};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::DynamicObject;
use serde_json::Value;
use std::collections::BTreeMap;

/// What an action will send, and what it will have done.
pub struct Prepared {
    pub calls: Vec<Call>,
    pub outcome: Outcome,
    /// The Event's reason, e.g. `OpsdeckApprove`.
    pub event_reason: EventReason,
}

fn refused(text: impl Into<String>) -> ActionError {
    ActionError::Refused(text.into())
}

/// The console's record of the object (version, revision, paused, gate).
fn record(w: &WorkloadRef, obj: &Value) -> Result<WorkloadRecord, ActionError> {
    let rec = match w.kind {
        WorkloadKind::Deployment => serde_json::from_value::<Deployment>(obj.clone())
            .ok()
            .and_then(|d| translate::deployment(&d)),
        WorkloadKind::Rollout => serde_json::from_value::<DynamicObject>(obj.clone())
            .ok()
            .and_then(|o| translate::rollout(&o)),
    };
    rec.ok_or_else(|| ActionError::Failed(format!("{} {} is unreadable", w.kind_name(), w.name)))
}

fn annotations(obj: &Value) -> BTreeMap<String, String> {
    serde_json::from_value(obj["metadata"]["annotations"].clone()).unwrap_or_default()
}

fn state(rec: &WorkloadRecord) -> String {
    format!("{} (rev {})", rec.version, rec.revision)
}

fn outcome(summary: String, before: String, after: String) -> Outcome {
    Outcome {
        summary,
        before,
        after,
    }
}

/// Percent-encoding for a query value (selectors hold `=`, `,`, `/`).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn list(client: &kube::Client, path: String) -> Result<Vec<Value>, ActionError> {
    let out = send(client, &Call::get(path), false)
        .await
        .map_err(api_error)?;
    Ok(out["items"].as_array().cloned().unwrap_or_default())
}

pub async fn prepare(
    client: &kube::Client,
    req: &ActionRequest,
    ctx: &PerformContext,
    w: &WorkloadRef,
    obj: &Value,
) -> Result<Prepared, ActionError> {
    let rec = record(w, obj)?;
    let rv = obj["metadata"]["resourceVersion"].as_str().unwrap_or("");
    let who = req.who.as_str();
    let mark = Mark::new(who, ctx.now, req.action.reason());
    let no_gate = || refused(format!("{} is not waiting at a gate (not paused)", w.name));
    match &req.action {
        Action::ScaleNodegroup { .. } => Err(super::not_a_workload()),
        Action::Approve { .. } => {
            if !rec.paused {
                return Err(no_gate());
            }
            approve(w, obj, &rec, rv, ctx, mark)
        }
        Action::Reject { .. } => {
            if !rec.paused {
                return Err(no_gate());
            }
            prepare_reject(client, w, obj, &rec, rv, mark).await
        }
        Action::Rollback {
            to_revision,
            from_version,
            ..
        } => {
            // Part of a production-wide rollback: only where that version is still the template.
            crate::actions::scope::still_on(from_version.as_deref(), &rec.version)
                .map_err(refused)?;
            // Rolling back a held release closes its gate: recorded as a rejection.
            let rejection = rec.paused.then(|| requests::Rejection {
                mark: Mark::new(
                    who,
                    ctx.now,
                    &format!("rolled back: {}", req.action.reason()),
                ),
                version: rec.version.clone(),
            });
            prepare_rollback(client, w, obj, &rec, *to_revision, rejection.as_ref()).await
        }
        Action::Scale { replicas, .. } => {
            // The guards again, on the object as it is now (its replicas, its HPA).
            let hpa = find_hpa(client, w).await?;
            let facts = ScaleFacts::Workload {
                desired: rec.desired,
                hpa: hpa.as_ref().map(hpa_bounds),
            };
            policy::scale_guard(&ctx.policy, &req.action, &facts)
                .map_err(|r| refused(r.to_string()))?;
            Ok(Prepared {
                calls: vec![requests::scale(w, *replicas)],
                outcome: outcome(
                    format!("scaled from {} to {replicas} replicas", rec.desired),
                    format!("{} replicas", rec.desired),
                    format!("{replicas} replicas"),
                ),
                event_reason: EventReason::Scale,
            })
        }
        Action::ScaleHpa { min, max, .. } => {
            prepare_hpa(client, w, &rec, &req.action, ctx, *min, *max).await
        }
        Action::TickChecklist { item, version, .. } => {
            let before = Checklist::parse(&annotations(obj));
            let count = |c: &Checklist| {
                if c.version == *version {
                    c.items.len()
                } else {
                    0
                }
            };
            let n = count(&before);
            let after = before.tick(version, item, mark).map_err(refused)?;
            Ok(Prepared {
                calls: vec![requests::checklist(w, rv, &after)],
                outcome: outcome(
                    format!("ticked {item:?} for {version}"),
                    format!("{n} ticked for {version}"),
                    format!("{} ticked for {version}", count(&after)),
                ),
                event_reason: EventReason::Checklist,
            })
        }
    }
}

fn approve(
    w: &WorkloadRef,
    obj: &Value,
    rec: &WorkloadRecord,
    rv: &str,
    ctx: &PerformContext,
    mark: Mark,
) -> Result<Prepared, ActionError> {
    let gate: &GateRecord = &rec.gate;
    let who = mark.who.clone();
    let marks: Vec<Mark> = annotations(obj)
        .get(crate::source::kube::annotations::GATE_APPROVALS)
        .and_then(|t| serde_json::from_str::<Vec<Value>>(t).ok())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    let approvers: Vec<&str> = marks.iter().map(|m| m.who.as_str()).collect();
    policy::may_approve(&who, gate.requested_by.as_deref(), &approvers).map_err(refused)?;
    let mut marks = marks;
    let required = policy::required_approvals(ctx.required_approvals, gate.required);
    let had = marks.len() as u32;
    marks.push(mark);
    let n = had + 1;
    let resume = n >= required;
    let spec_paused = obj["spec"]["paused"] == true;
    let held = |k: u32| format!("{} held: {k}/{required} approvals", state(rec));
    let (summary, after) = if resume {
        let done = match w.kind {
            WorkloadKind::Deployment => "rollout resumed",
            WorkloadKind::Rollout => "rollout promoted",
        };
        (
            format!("approved {n}/{required}: {done}"),
            format!("{} {done}", state(rec)),
        )
    } else {
        (
            format!("approved {n}/{required}: waiting for {} more", required - n),
            held(n),
        )
    };
    Ok(Prepared {
        calls: requests::approve(w, rv, &marks, resume, spec_paused),
        outcome: outcome(summary, held(had), after),
        event_reason: EventReason::Approve,
    })
}

/// The ReplicaSets in the workload's namespace that its selector matches (what kubectl reads
/// for an undo; ownership is checked by `rollback`).
async fn replicasets(
    client: &kube::Client,
    w: &WorkloadRef,
    obj: &Value,
) -> Result<Vec<Value>, ActionError> {
    let path = format!(
        "/apis/apps/v1/namespaces/{}/replicasets?labelSelector={}",
        w.namespace,
        encode(&rollback::selector(obj))
    );
    list(client, path).await
}

/// Rejecting a gate ends in a stable state. A Deployment goes back to the revision its available
/// pods run, resumed, in one patch (nothing new rolls out; pods already updated roll back);
/// when only the template's pods serve, the gate closes and it resumes as it is; when nothing
/// serves at all it stays paused (resuming would release what was rejected). A Rollout is
/// aborted: traffic back on its stable ReplicaSet.
async fn prepare_reject(
    client: &kube::Client,
    w: &WorkloadRef,
    obj: &Value,
    rec: &WorkloadRecord,
    rv: &str,
    mark: Mark,
) -> Result<Prepared, ActionError> {
    let rejection = requests::Rejection {
        mark,
        version: rec.version.clone(),
    };
    let held = format!("gate for {}", state(rec));
    let done = |calls, after: String| {
        Ok(Prepared {
            calls,
            outcome: outcome(
                format!("rejected {}: {after}", rec.version),
                held.clone(),
                after,
            ),
            event_reason: EventReason::Reject,
        })
    };
    if w.kind == WorkloadKind::Rollout {
        let after = "the update is aborted, back on the stable ReplicaSet".to_string();
        return done(requests::reject_rollout(w, rv, &rejection), after);
    }
    let rses = replicasets(client, w, obj).await?;
    if let Some(stable) = rollback::stable_revision(w, obj, &rses) {
        let p = rollback::plan(w, obj, &rses, Some(stable), Some(&rejection)).map_err(refused)?;
        let after = format!(
            "back to {} (rev {} as {}), resumed",
            template_version(&p.template),
            p.to_revision,
            p.new_revision
        );
        return done(vec![p.call], after);
    }
    let mut close = requests::close_gate(w, rv, &rejection);
    if rollback::any_available(w, obj, &rses) {
        // Every serving pod already runs the template: nothing to undo, nothing held back.
        close.body["spec"] = serde_json::json!({"paused": false});
        return done(vec![close], format!("{} resumed as it runs", state(rec)));
    }
    let after = "no pod serves an earlier revision: it stays paused".to_string();
    done(vec![close], after)
}

fn template_version(template: &Value) -> String {
    let t: Option<PodTemplateSpec> = serde_json::from_value(template.clone()).ok();
    translate::template_facts(t.as_ref()).version
}

async fn prepare_rollback(
    client: &kube::Client,
    w: &WorkloadRef,
    obj: &Value,
    rec: &WorkloadRecord,
    to_revision: Option<u64>,
    rejection: Option<&requests::Rejection>,
) -> Result<Prepared, ActionError> {
    let status = &obj["status"];
    let mid_update = rec.paused
        || matches!((status["stableRS"].as_str(), status["currentPodHash"].as_str()),
                (Some(s), Some(c)) if s != c);
    if w.kind == WorkloadKind::Rollout && to_revision.is_none() && mid_update {
        // Argo: an update in progress is rolled back by aborting it (traffic returns to the
        // stable ReplicaSet), what `kubectl argo rollouts abort` does; a held one's gate closes.
        let stable = status["stableRS"].as_str().unwrap_or("?");
        let rv = obj["metadata"]["resourceVersion"].as_str().unwrap_or("");
        let calls = match rejection {
            Some(r) => requests::reject_rollout(w, rv, r),
            None => vec![requests::abort(w)],
        };
        return Ok(Prepared {
            calls,
            outcome: outcome(
                format!("aborted the update: back on the stable ReplicaSet ({stable})"),
                state(rec),
                format!("stable ({stable})"),
            ),
            event_reason: EventReason::Rollback,
        });
    }
    let rses = replicasets(client, w, obj).await?;
    let p = rollback::plan(w, obj, &rses, to_revision, rejection).map_err(refused)?;
    let version = template_version(&p.template);
    Ok(Prepared {
        calls: vec![p.call],
        outcome: outcome(
            format!(
                "rolled back to revision {} ({version}, ReplicaSet {})",
                p.to_revision, p.replicaset
            ),
            state(rec),
            format!("{version} (rev {})", p.new_revision),
        ),
        event_reason: EventReason::Rollback,
    })
}

/// The HPA that scales the workload, if any.
async fn find_hpa(client: &kube::Client, w: &WorkloadRef) -> Result<Option<Value>, ActionError> {
    let hpas = list(
        client,
        format!(
            "/apis/autoscaling/v2/namespaces/{}/horizontalpodautoscalers",
            w.namespace
        ),
    )
    .await?;
    Ok(hpas.into_iter().find(|h| {
        let t = &h["spec"]["scaleTargetRef"];
        t["kind"] == w.kind_name() && t["name"] == w.name.as_str()
    }))
}

fn hpa_bounds(h: &Value) -> (u32, u32) {
    let n = |v: &Value, d: u64| v.as_u64().unwrap_or(d).min(u64::from(u32::MAX)) as u32;
    (
        n(&h["spec"]["minReplicas"], 1),
        n(&h["spec"]["maxReplicas"], 0),
    )
}

async fn prepare_hpa(
    client: &kube::Client,
    w: &WorkloadRef,
    rec: &WorkloadRecord,
    action: &Action,
    ctx: &PerformContext,
    min: u32,
    max: u32,
) -> Result<Prepared, ActionError> {
    let hpa = find_hpa(client, w).await?;
    let facts = ScaleFacts::Workload {
        desired: rec.desired,
        hpa: hpa.as_ref().map(hpa_bounds),
    };
    // Bounds, int32 and the environment's limits, on the HPA as it is now.
    policy::scale_guard(&ctx.policy, action, &facts).map_err(|r| refused(r.to_string()))?;
    let hpa = hpa.ok_or_else(|| {
        refused(format!(
            "no HorizontalPodAutoscaler scales {} {}",
            w.kind_name(),
            w.name
        ))
    })?;
    let meta: ObjectMeta = serde_json::from_value(hpa["metadata"].clone()).unwrap_or_default();
    let name = meta.name.unwrap_or_default();
    let spec = &hpa["spec"];
    let before = format!(
        "min {}, max {}",
        spec["minReplicas"].as_u64().unwrap_or(1),
        spec["maxReplicas"].as_u64().unwrap_or(0)
    );
    Ok(Prepared {
        calls: vec![requests::hpa_bounds(&w.namespace, &name, min, max)],
        outcome: outcome(
            format!("HPA {name}: min {min}, max {max}"),
            before,
            format!("min {min}, max {max}"),
        ),
        event_reason: EventReason::ScaleHpa,
    })
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn selectors_are_encoded() {
        assert_eq!(
            encode("app.kubernetes.io/name=api,tier=web"),
            "app.kubernetes.io%2Fname%3Dapi%2Ctier%3Dweb"
        );
    }
}
