//! Fault knobs (forbidden resources, injected conflicts, hanging, latency, failing answers,
//! stalled or garbled watch streams) and the request log.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::watch;

/// What a request was, as the tests count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    List,
    Watch,
    Get,
    Patch,
    Put,
    Post,
    Delete,
    /// `/version`, `/api`, `/apis`, `/api/v1`, `/apis/{group}[/{version}]`.
    Discovery,
    /// Anything else (unknown paths, `/openapi/...`).
    Other,
}

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: http::Method,
    pub path: String,
    /// The raw (still percent-encoded) query string.
    pub query: String,
    pub kind: RequestKind,
    /// The resource plural (`deployments`), with the subresource for subresource requests
    /// (`deployments/scale`); "" for discovery and unknown paths.
    pub resource: String,
    /// The response's status code; 0 while the request has no answer yet (e.g. `hang`).
    pub status: u16,
    /// The request's `Content-Type` ("" when none was sent).
    pub content_type: String,
    /// The request body as text (lossy UTF-8; "" for none), so tests can assert exact patches.
    pub body: String,
    /// The `Authorization` header as sent ("" for none), to check how a client authenticates.
    pub authorization: String,
    /// The `User-Agent` header as sent ("" for none), to tell which client wrote.
    pub user_agent: String,
}

impl RequestRecord {
    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// Whether the request was a server-side dry run (`dryRun=All`).
    pub fn dry_run(&self) -> bool {
        self.query.split('&').any(|p| p == "dryRun=All")
    }

    /// Whether the request could change something (anything but GET and discovery).
    pub fn is_write(&self) -> bool {
        !matches!(
            self.kind,
            RequestKind::Get | RequestKind::List | RequestKind::Watch | RequestKind::Discovery
        ) && self.method != http::Method::GET
    }
}

/// What every request gets instead of its answer while set ([`super::FakeKube::fail_requests`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    /// A `Status` with this code: 500, 502, 503, 401, or 429 (with `Retry-After: 1`).
    Status(u16),
    /// The connection is closed without an answer (a reset by a proxy or load balancer).
    Reset,
    /// `200 OK`, `Content-Type: application/json`, and a body that is not JSON.
    Malformed,
}

pub struct Faults {
    injected: Mutex<Option<Injected>>,
    /// Bumped by `stall_watches`: streams opened before stop sending, yet stay open.
    stall: watch::Sender<u64>,
    /// Bumped by `garble_watches`: every open stream sends one line that is not JSON.
    garble: watch::Sender<u64>,
    forbidden: Mutex<BTreeSet<String>>,
    /// Injected 409 Conflicts: resource → how many PATCH/PUT requests still get one.
    conflicts: Mutex<BTreeMap<String, u32>>,
    hang: watch::Sender<bool>,
    latency: Mutex<Duration>,
    /// The log, and how many records `clear_requests` dropped before it.
    requests: Mutex<(Vec<RequestRecord>, usize)>,
    /// Writes denied as by an admission webhook: resource → the webhook's message.
    denied_writes: Mutex<BTreeMap<String, String>>,
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Faults {
    pub fn new() -> Faults {
        Faults {
            injected: Mutex::new(None),
            stall: watch::Sender::new(0),
            garble: watch::Sender::new(0),
            forbidden: Mutex::new(BTreeSet::new()),
            conflicts: Mutex::new(BTreeMap::new()),
            hang: watch::Sender::new(false),
            latency: Mutex::new(Duration::ZERO),
            requests: Mutex::new((Vec::new(), 0)),
            denied_writes: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn forbid(&self, resource: &str, forbidden: bool) {
        let mut set = lock(&self.forbidden);
        if forbidden {
            set.insert(resource.to_string());
        } else {
            set.remove(resource);
        }
    }

    pub fn is_forbidden(&self, resource: &str) -> bool {
        lock(&self.forbidden).contains(resource)
    }

    pub fn inject_conflicts(&self, resource: &str, n: u32) {
        lock(&self.conflicts).insert(resource.to_string(), n);
    }

    /// Whether this PATCH/PUT on `resource` gets an injected 409 (and count it down).
    pub fn take_conflict(&self, resource: &str) -> bool {
        let mut c = lock(&self.conflicts);
        match c.get_mut(resource) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }

    pub fn deny_writes(&self, resource: &str, message: Option<&str>) {
        let mut d = lock(&self.denied_writes);
        match message {
            Some(m) => d.insert(resource.to_string(), m.to_string()),
            None => d.remove(resource),
        };
    }

    /// The admission webhook's message when writes to `resource` are denied.
    pub fn write_denial(&self, resource: &str) -> Option<String> {
        lock(&self.denied_writes).get(resource).cloned()
    }

    pub fn set_hang(&self, on: bool) {
        self.hang.send_replace(on);
    }

    /// Returns at once unless the server hangs; then when it stops hanging.
    pub async fn wait_not_hung(&self) {
        let mut rx = self.hang.subscribe();
        let _ = rx.wait_for(|hung| !hung).await;
    }

    pub fn inject(&self, what: Option<Injected>) {
        *lock(&self.injected) = what;
    }

    pub fn injected(&self) -> Option<Injected> {
        *lock(&self.injected)
    }

    pub fn stall_watches(&self) {
        self.stall.send_modify(|n| *n += 1);
    }

    pub fn stall_epoch(&self) -> u64 {
        *self.stall.borrow()
    }

    /// Returns once streams opened at `epoch` are stalled (never, unless `stall_watches`).
    pub async fn stalled_since(&self, epoch: u64) {
        let mut rx = self.stall.subscribe();
        let _ = rx.wait_for(|e| *e != epoch).await;
    }

    pub fn garble_watches(&self) {
        self.garble.send_modify(|n| *n += 1);
    }

    pub fn garble_subscribe(&self) -> watch::Receiver<u64> {
        self.garble.subscribe()
    }

    pub fn set_latency(&self, d: Duration) {
        *lock(&self.latency) = d;
    }

    pub fn latency(&self) -> Duration {
        *lock(&self.latency)
    }

    /// Log a request on arrival; returns its index for `answered`.
    pub fn arrived(&self, record: RequestRecord) -> usize {
        let mut log = lock(&self.requests);
        log.0.push(record);
        log.0.len() - 1 + log.1
    }

    pub fn answered(&self, index: usize, status: u16) {
        let mut log = lock(&self.requests);
        let (records, dropped) = &mut *log;
        if let Some(r) = index.checked_sub(*dropped).and_then(|i| records.get_mut(i)) {
            r.status = status;
        }
    }

    /// Attach the body (read after the request was logged on arrival).
    pub fn body(&self, index: usize, content_type: &str, body: &[u8]) {
        let mut log = lock(&self.requests);
        let (records, dropped) = &mut *log;
        if let Some(r) = index.checked_sub(*dropped).and_then(|i| records.get_mut(i)) {
            r.content_type = content_type.to_string();
            r.body = String::from_utf8_lossy(body).into_owned();
        }
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.requests).0.clone()
    }

    pub fn clear_requests(&self) {
        let mut log = lock(&self.requests);
        log.1 += log.0.len();
        log.0.clear();
    }
}
