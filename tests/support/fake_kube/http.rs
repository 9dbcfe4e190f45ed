//! Request handling: the request log, faults, routing by URL, discovery; resource requests
//! go on to `verbs.rs`.

use super::Shared;
use super::discovery;
use super::faults::{Injected, RequestKind, RequestRecord, lock};
use super::resources::{ResourceDef, by_plural};
use super::status::ApiError;
use super::verbs;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response};
use serde_json::Value;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

pub type Body = BoxBody<Bytes, Infallible>;

pub enum Route {
    Version,
    CoreVersions,
    Groups,
    Group(String),
    Resources(String, String),
    Resource(Target),
    Unknown,
}

pub struct Target {
    pub def: &'static ResourceDef,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

impl Target {
    /// `deployments` or `deployments/scale`.
    pub fn resource(&self) -> String {
        match &self.sub {
            Some(s) => format!("{}/{s}", self.def.plural),
            None => self.def.plural.to_string(),
        }
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

pub struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: &str) -> Query {
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode(k), decode(v))
                })
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }
}

/// Percent-decoding, with `+` as a space (Go clients encode selectors' spaces that way).
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn route(shared: &Shared, path: &str) -> Route {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return Route::Version,
        ["api"] => return Route::CoreVersions,
        ["api", v] => return Route::Resources(String::new(), v.to_string()),
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis"] => return Route::Groups,
        ["apis", g] => return Route::Group(g.to_string()),
        ["apis", g, v] => return Route::Resources(g.to_string(), v.to_string()),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Route::Unknown,
    };
    let serving = lock(&shared.settings).serving.clone();
    let find = |plural: &str| by_plural(group, version, plural).filter(|d| serving.serves(d));
    let (ns, rest) = match rest {
        ["namespaces", ns, tail @ ..]
            if tail
                .first()
                .and_then(|p| find(p))
                .is_some_and(|d| d.namespaced) =>
        {
            (Some(ns.to_string()), tail)
        }
        _ => (None, rest),
    };
    let Some(def) = rest.first().and_then(|p| find(p)) else {
        return Route::Unknown;
    };
    let name = rest.get(1).map(|s| s.to_string());
    let sub = rest.get(2).map(|s| s.to_string());
    let scoped_ok = if def.namespaced {
        ns.is_some() || name.is_none()
    } else {
        ns.is_none()
    };
    if rest.len() > 3 || !scoped_ok || sub.as_deref().is_some_and(|s| !def.has_sub(s)) {
        return Route::Unknown;
    }
    Route::Resource(Target { def, ns, name, sub })
}

fn classify(method: &Method, route: &Route, q: &Query) -> (RequestKind, String) {
    match route {
        Route::Resource(t) => {
            let kind = match *method {
                Method::GET if q.flag("watch") => RequestKind::Watch,
                Method::GET if t.name.is_some() => RequestKind::Get,
                Method::GET => RequestKind::List,
                Method::POST => RequestKind::Post,
                Method::PUT => RequestKind::Put,
                Method::PATCH => RequestKind::Patch,
                Method::DELETE => RequestKind::Delete,
                _ => RequestKind::Other,
            };
            (kind, t.resource())
        }
        Route::Unknown => (RequestKind::Other, String::new()),
        _ => (RequestKind::Discovery, String::new()),
    }
}

pub fn json_response(code: u16, v: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(v.to_string())).boxed())
        .expect("valid response")
}

pub fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.to_json())
}

/// The connection is closed without an answer (`Injected::Reset`): hyper drops a connection
/// whose service fails.
#[derive(Debug)]
pub struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ResetConnection {}

/// The injected answer instead of the real one.
fn injected(what: Injected) -> Result<Response<Body>, ResetConnection> {
    let (code, reason) = match what {
        Injected::Reset => return Err(ResetConnection),
        Injected::Malformed => {
            return Ok(Response::builder()
                .status(200)
                .header(CONTENT_TYPE, "application/json")
                .body(
                    Full::new(Bytes::from_static(
                        b"{\"kind\": \"List\", \"items\": [{\"meta",
                    ))
                    .boxed(),
                )
                .expect("valid response"));
        }
        Injected::Status(429) => (429, "TooManyRequests"),
        Injected::Status(401) => (401, "Unauthorized"),
        Injected::Status(503) => (503, "ServiceUnavailable"),
        Injected::Status(c) => (c, "InternalError"),
    };
    let e = ApiError::new(code, reason, format!("injected fault: {reason}"));
    let mut resp = error_response(&e);
    if code == 429 {
        resp.headers_mut()
            .insert("retry-after", hyper::header::HeaderValue::from_static("1"));
    }
    Ok(resp)
}

pub async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Body>, ResetConnection> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let query = Query::parse(&raw_query);
    let route = route(&shared, &path);
    let (kind, resource) = classify(&method, &route, &query);
    let index = shared.faults.arrived(RequestRecord {
        method: method.clone(),
        path,
        query: raw_query,
        kind,
        resource,
        status: 0,
        content_type: String::new(),
        body: String::new(),
        authorization: req
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        user_agent: req
            .headers()
            .get(hyper::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
    });
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    shared.faults.body(index, &content_type, &body);
    shared.faults.wait_not_hung().await;
    let latency = shared.faults.latency();
    if latency > Duration::ZERO {
        tokio::time::sleep(latency).await;
    }
    let how = lock(&shared.settings).self_review;
    if path_is_self_review(&route)
        && let super::SelfReview::Slow(d) = how
    {
        tokio::time::sleep(d).await;
    }
    if let Some(what) = shared.faults.injected() {
        let resp = injected(what);
        shared
            .faults
            .answered(index, resp.as_ref().map_or(0, |r| r.status().as_u16()));
        return resp;
    }
    let resp = match dispatch(&shared, &method, route, &query, &content_type, &body) {
        Ok(r) => r,
        Err(e) => error_response(&e),
    };
    shared.faults.answered(index, resp.status().as_u16());
    Ok(resp)
}

fn path_is_self_review(route: &Route) -> bool {
    matches!(route, Route::Resource(t) if t.def.kind == "SelfSubjectReview")
}

fn dispatch(
    shared: &Arc<Shared>,
    method: &Method,
    route: Route,
    q: &Query,
    content_type: &str,
    body: &[u8],
) -> Result<Response<Body>, ApiError> {
    let argo = &lock(&shared.settings).serving.clone();
    let doc = match route {
        Route::Resource(t) => return verbs::resource(shared, method, &t, q, content_type, body),
        Route::Unknown => None,
        _ if *method != Method::GET => return Err(ApiError::method_not_allowed()),
        Route::Version => Some(discovery::version()),
        Route::CoreVersions => Some(discovery::core_versions(shared.port)),
        Route::Groups => Some(discovery::group_list(argo)),
        Route::Group(g) => discovery::group(argo, &g),
        Route::Resources(g, v) => discovery::resource_list(argo, &g, &v),
    };
    doc.map(|d| json_response(200, &d))
        .ok_or_else(ApiError::path_not_found)
}
