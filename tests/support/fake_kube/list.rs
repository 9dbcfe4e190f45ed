//! LIST (selectors, `limit`/`continue` paging) and the start of a WATCH (its query parameters).

use super::Shared;
use super::faults::lock;
use super::http::{Body, Query, Target, json_response};
use super::resources::ResourceDef;
use super::select::Selector;
use super::status::ApiError;
use super::watch::{WatchSpec, start as start_watch};
use hyper::Response;
use hyper::header::CONTENT_TYPE;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

pub fn list(
    shared: &Arc<Shared>,
    def: &'static ResourceDef,
    ns: Option<&str>,
    q: &Query,
) -> Result<Response<Body>, ApiError> {
    let selector = Selector::parse(q.get("labelSelector"), q.get("fieldSelector"))?;
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let after = q
        .get("continue")
        .filter(|c| !c.is_empty())
        .map(decode_continue)
        .transpose()?;
    let store = lock(&shared.store);
    let rv = after.as_ref().map_or(store.rv, |(rv, _)| *rv);
    let mut matching = store
        .list(def, ns)
        .filter(|(k, _)| {
            after
                .as_ref()
                .is_none_or(|(_, (ans, aname))| (k.ns.as_str(), k.name.as_str()) > (ans, aname))
        })
        .filter(|(_, o)| selector.matches(o));
    let mut items = Vec::new();
    let mut last = None;
    for (k, o) in matching.by_ref() {
        items.push(o.clone());
        last = Some((k.ns.clone(), k.name.clone()));
        if limit.is_some_and(|l| items.len() >= l) {
            break;
        }
    }
    let remaining = matching.count();
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if remaining > 0 {
        let (lns, lname) = last.expect("a full page has a last item");
        meta["continue"] = json!(encode_continue(rv, &lns, &lname));
        meta["remainingItemCount"] = json!(remaining);
    }
    Ok(json_response(
        200,
        &json!({
            "kind": format!("{}List", def.kind),
            "apiVersion": def.api_version(),
            "metadata": meta,
            "items": items,
        }),
    ))
}

/// An opaque continue token: hex of "rv/namespace/name".
fn encode_continue(rv: u64, ns: &str, name: &str) -> String {
    format!("{rv}/{ns}/{name}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn decode_continue(token: &str) -> Result<(u64, (String, String)), ApiError> {
    let bad = || ApiError::bad_request(format!("continue key is not valid: {token}"));
    let bytes: Option<Vec<u8>> = (0..token.len())
        .step_by(2)
        .map(|i| {
            token
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    let text = String::from_utf8(bytes.ok_or_else(bad)?).map_err(|_| bad())?;
    let mut parts = text.splitn(3, '/');
    let (Some(rv), Some(ns), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad());
    };
    Ok((
        rv.parse().map_err(|_| bad())?,
        (ns.to_string(), name.to_string()),
    ))
}

pub fn watch(shared: &Arc<Shared>, t: &Target, q: &Query) -> Result<Response<Body>, ApiError> {
    let selector = Selector::parse(q.get("labelSelector"), q.get("fieldSelector"))?;
    let initial = q.flag("sendInitialEvents");
    let from = match q.get("resourceVersion") {
        _ if initial => None,
        None | Some("") | Some("0") => None,
        Some(rv) => Some(
            rv.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}")))?,
        ),
    };
    // The real server first waits (up to 3 s) for its cache to reach the version; the fake has
    // nothing to wait for and answers at once.
    if let Some(asked) = from {
        let current = lock(&shared.store).rv;
        if asked > current {
            return Err(ApiError::too_large(asked, current));
        }
    }
    let spec = WatchSpec {
        def: t.def,
        ns: t.ns.clone(),
        name: t.name.clone(),
        selector,
        from,
        bookmarks: q.flag("allowWatchBookmarks"),
        initial_events_end: initial,
        timeout: q
            .get("timeoutSeconds")
            .and_then(|s| s.parse::<u64>().ok())
            .map(Duration::from_secs),
    };
    let body = start_watch(shared.clone(), spec);
    Ok(Response::builder()
        .status(200)
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .expect("valid response"))
}
