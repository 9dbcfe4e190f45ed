//! The verbs on stored resources and their `status`/`scale` subresources: GET, POST, PUT,
//! PATCH, DELETE, and the two review resources that only answer a POST. LIST and WATCH are in
//! `list.rs`.

use super::Shared;
use super::faults::lock;
use super::http::{Body, Query, Target, json_response};
use super::list::{list, watch};
use super::patch::{json_patch, merge_patch, strategic_merge};
use super::resources::ResourceDef;
use super::status::ApiError;
use super::store::Write;
use hyper::{Method, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// A request on a stored resource (or a review), after routing.
pub fn resource(
    shared: &Arc<Shared>,
    method: &Method,
    t: &Target,
    q: &Query,
    content_type: &str,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    let def = t.def;
    let ns = t.ns.as_deref();
    if shared.faults.is_forbidden(&t.resource()) {
        let user = lock(&shared.settings).user.clone();
        let verb = verb(method, t, q);
        return Err(ApiError::forbidden(
            def,
            &t.resource(),
            &user,
            verb,
            ns,
            t.name(),
        ));
    }
    let media = content_type.split(';').next().unwrap_or("").trim();
    if matches!(*method, Method::POST | Method::PUT)
        && !media.is_empty()
        && media != "application/json"
    {
        return Err(ApiError::unsupported_body(media));
    }
    if !def.stored {
        return match *method {
            Method::POST => review(shared, def, &parse_json(body)?),
            _ => Err(ApiError::method_not_allowed()),
        };
    }
    let sub = t.sub.as_deref();
    let dry = dry_run(q)?;
    if matches!(*method, Method::PATCH | Method::PUT) && shared.faults.take_conflict(&t.resource())
    {
        return Err(ApiError::conflict(def, t.name()));
    }
    if matches!(*method, Method::PATCH | Method::PUT | Method::POST)
        && let Some(message) = shared.faults.write_denial(&t.resource())
    {
        return Err(ApiError::new(
            400,
            "BadRequest",
            format!("admission webhook \"policy.example.com\" denied the request: {message}"),
        ));
    }
    match (method.clone(), &t.name) {
        (Method::GET, _) if q.flag("watch") => watch(shared, t, q),
        (Method::GET, None) => list(shared, def, ns, q),
        (Method::GET, Some(name)) => {
            let obj = lock(&shared.store)
                .get(def, ns, name)
                .cloned()
                .ok_or_else(|| ApiError::not_found(def, name))?;
            let obj = if sub == Some("scale") {
                scale_of(&obj)
            } else {
                obj
            };
            Ok(json_response(200, &obj))
        }
        (Method::POST, None) => {
            let mut obj = parse_json(body)?;
            set_namespace(&mut obj, ns)?;
            if def.has_sub("status")
                && let Some(m) = obj.as_object_mut()
            {
                m.remove("status");
            }
            let created = shared.write_opts(def, obj, Write::Create, dry)?;
            Ok(json_response(201, &created))
        }
        (Method::PUT, Some(name)) => {
            let new = parse_json(body)?;
            if new["metadata"]["name"].as_str().is_some_and(|n| n != name) {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    new["metadata"]["name"].as_str().unwrap_or("")
                )));
            }
            update(shared, t, name, dry, |_| Ok(new))
        }
        (Method::PATCH, Some(name)) => {
            let ct = media;
            if ct == "application/apply-patch+yaml" && sub.is_none() {
                let exists = lock(&shared.store).get(def, ns, name).is_some();
                if !exists {
                    let mut obj = parse_yaml(body)?;
                    set_namespace(&mut obj, ns)?;
                    obj["metadata"]["name"] = json!(name);
                    let created = shared.write_opts(def, obj, Write::Create, dry)?;
                    return Ok(json_response(201, &created));
                }
            }
            let patch = if ct == "application/apply-patch+yaml" {
                parse_yaml(body)?
            } else {
                parse_json(body)?
            };
            update(shared, t, name, dry, |current| {
                apply_patch(ct, current, &patch)
            })
        }
        (Method::DELETE, Some(name)) => {
            let gone = shared.delete(def, ns, name)?;
            Ok(json_response(200, &gone))
        }
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// `dryRun=All`: the write is checked and answered but not stored. Any other value is a 400,
/// as on a real server.
fn dry_run(q: &Query) -> Result<bool, ApiError> {
    match q.get("dryRun") {
        None | Some("") => Ok(false),
        Some("All") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!(
            "Invalid dry run value: {other}; supported values: All"
        ))),
    }
}

fn verb(method: &Method, t: &Target, q: &Query) -> &'static str {
    match *method {
        Method::GET if q.flag("watch") => "watch",
        Method::GET if t.name.is_some() => "get",
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE => "delete",
        _ => "unknown",
    }
}

pub fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))
}

fn parse_yaml(body: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
    serde_saphyr::from_str(text).map_err(|e| ApiError::bad_request(format!("invalid YAML: {e}")))
}

fn set_namespace(obj: &mut Value, ns: Option<&str>) -> Result<(), ApiError> {
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    if let Some(ns) = ns {
        match obj["metadata"]["namespace"].as_str() {
            Some(given) if given != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => obj["metadata"]["namespace"] = json!(ns),
        }
    }
    Ok(())
}

fn apply_patch(ct: &str, current: &Value, patch: &Value) -> Result<Value, ApiError> {
    let mut v = current.clone();
    match ct {
        "application/merge-patch+json" => merge_patch(&mut v, patch),
        "application/strategic-merge-patch+json" | "application/apply-patch+yaml" => {
            strategic_merge(&mut v, patch)
        }
        "application/json-patch+json" => {
            v = json_patch(current, patch).map_err(ApiError::invalid)?
        }
        other => return Err(ApiError::unsupported_patch(other)),
    }
    Ok(v)
}

/// PUT and PATCH on an object or its `status`/`scale` subresource. `change` maps the current
/// object (or its Scale) to the desired one. Writes to the object keep its status and writes to
/// `status` change only the status, for resources with a status subresource, as on a real server.
fn update(
    shared: &Arc<Shared>,
    t: &Target,
    name: &str,
    dry: bool,
    change: impl FnOnce(&Value) -> Result<Value, ApiError>,
) -> Result<Response<Body>, ApiError> {
    let def = t.def;
    let current = lock(&shared.store)
        .get(def, t.ns.as_deref(), name)
        .cloned()
        .ok_or_else(|| ApiError::not_found(def, name))?;
    let (desired, expect_rv) = match t.sub.as_deref() {
        Some("scale") => {
            let scale = change(&scale_of(&current))?;
            let mut obj = current.clone();
            obj["spec"]["replicas"] = scale["spec"]["replicas"].clone();
            (obj, scale["metadata"]["resourceVersion"].clone())
        }
        Some("status") => {
            let new = change(&current)?;
            let mut obj = current.clone();
            set_or_remove(&mut obj, "status", new.get("status"));
            (obj, new["metadata"]["resourceVersion"].clone())
        }
        _ => {
            let mut new = change(&current)?;
            if def.has_sub("status") {
                set_or_remove(&mut new, "status", current.get("status"));
            }
            let rv = new["metadata"]["resourceVersion"].clone();
            (new, rv)
        }
    };
    let mut desired = desired;
    desired["metadata"]["name"] = json!(name);
    if let Some(ns) = &t.ns {
        desired["metadata"]["namespace"] = json!(ns);
    }
    let expect_rv = expect_rv.as_str().map(str::to_string);
    let written = shared.write_opts(def, desired, Write::Replace { expect_rv }, dry)?;
    let out = if t.sub.as_deref() == Some("scale") {
        scale_of(&written)
    } else {
        written
    };
    Ok(json_response(200, &out))
}

fn set_or_remove(obj: &mut Value, key: &str, value: Option<&Value>) {
    if let Some(m) = obj.as_object_mut() {
        match value {
            Some(v) => m.insert(key.to_string(), v.clone()),
            None => m.remove(key),
        };
    }
}

/// The `autoscaling/v1` Scale of a Deployment, ReplicaSet or Rollout.
fn scale_of(obj: &Value) -> Value {
    let m = &obj["metadata"];
    let labels = obj["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|l| {
            l.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m["name"],
            "namespace": m["namespace"],
            "uid": m["uid"],
            "resourceVersion": m["resourceVersion"],
            "creationTimestamp": m["creationTimestamp"],
        },
        "spec": {"replicas": obj["spec"]["replicas"].as_u64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_u64().unwrap_or(0), "selector": labels},
    })
}

/// SelfSubjectAccessReview (allowed unless the resource is forbidden) and SelfSubjectReview
/// (who am I).
fn review(
    shared: &Arc<Shared>,
    def: &ResourceDef,
    body: &Value,
) -> Result<Response<Body>, ApiError> {
    let mut out = body.clone();
    out["apiVersion"] = json!(def.api_version());
    out["kind"] = json!(def.kind);
    out["metadata"] = json!({"creationTimestamp": Value::Null});
    if def.kind == "SelfSubjectReview" {
        let (user, how) = {
            let s = lock(&shared.settings);
            (s.user.clone(), s.self_review)
        };
        match how {
            super::SelfReview::NotFound => {
                return Err(ApiError::not_found(def, ""));
            }
            super::SelfReview::NoUser => {
                out["status"] = json!({"userInfo": {}});
            }
            _ => {
                out["status"] = json!({"userInfo": {
                    "username": user,
                    "groups": ["system:authenticated"],
                }});
            }
        }
    } else {
        let attrs = &body["spec"]["resourceAttributes"];
        let mut resource = attrs["resource"].as_str().unwrap_or("").to_string();
        if let Some(sub) = attrs["subresource"].as_str().filter(|s| !s.is_empty()) {
            resource = format!("{resource}/{sub}");
        }
        let allowed = resource.is_empty() || !shared.faults.is_forbidden(&resource);
        out["status"] = if allowed {
            json!({"allowed": true, "reason": "allowed by the fake API server"})
        } else {
            json!({"allowed": false, "denied": true, "reason": format!("{resource} is forbidden on the fake API server")})
        };
    }
    Ok(json_response(201, &out))
}
