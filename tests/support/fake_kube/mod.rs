//! A fake Kubernetes API server for integration tests: real HTTP/1.1 on `127.0.0.1`, an
//! in-memory object store, and the protocol kube-rs (`kube::runtime::watcher`) and kubectl 1.33
//! speak. Include it with `#[path = "support/fake_kube/mod.rs"] mod fake_kube;`.
//!
//! Every `FakeKube` is its own server on an ephemeral port (no global state), stopped on drop;
//! many run in one process.
//!
//! # Test API
//! - Start: [`FakeKube::start`] (empty cluster), [`FakeKube::start_with_yaml`] (multi-document
//!   YAML, `kind: List` too; see `tests/fixtures/kube/`). [`FakeKube::url`], [`FakeKube::port`].
//! - Data: [`FakeKube::apply_yaml`], [`FakeKube::apply`] (create or replace; a new
//!   resourceVersion and an ADDED/MODIFIED event each), [`FakeKube::delete`] (DELETED),
//!   [`FakeKube::get`], [`FakeKube::list`], [`FakeKube::resource_version`].
//! - Options: [`FakeKube::enable_argo_rollouts`] (serve `argoproj.io/v1alpha1` `rollouts`, so
//!   discovery shows the CRD), [`FakeKube::set_user`] (the user in 403 messages and
//!   SelfSubjectReview), [`FakeKube::set_self_review`] (SelfSubjectReview answers, has no
//!   username, is a 404 or is slow), [`FakeKube::set_bookmark_interval`] (default 1 s),
//!   [`FakeKube::set_history_limit`] (watch replay window, default 1000 events).
//! - Faults: [`FakeKube::expire_watches`] (open watches get an in-stream 410 ERROR and end; the
//!   history is compacted so older resourceVersions get a 410 too), [`FakeKube::forbid`]
//!   (403 on a resource, e.g. `"pods"` or `"deployments/scale"`), [`FakeKube::go_down`] /
//!   [`FakeKube::come_back`] (connections refused and dropped, then the same port again, data
//!   and resourceVersions intact), [`FakeKube::hang`] (read requests, never answer, freeze
//!   watch streams), [`FakeKube::set_latency`], [`FakeKube::end_watches`] (clean end, like the
//!   server's watch timeout), [`FakeKube::inject_conflicts`] (the next N PATCH/PUT on a
//!   resource get a 409 Conflict), [`FakeKube::fail_requests`] (every request gets a 5xx, 429,
//!   401, a reset connection or a body that is not JSON), [`FakeKube::stall_watches`] (open
//!   streams go silent but stay open), [`FakeKube::garble_watches`] (a line that is not JSON).
//! - Observation: [`FakeKube::requests`] ([`RequestRecord`]: method, path, query, kind,
//!   resource, status, content type, body; `json()`, `dry_run()`, `is_write()`),
//!   [`FakeKube::count`], [`FakeKube::clear_requests`].
//! - kubectl: [`kubectl_binary`] (`$KUBECTL`, `/usr/local/bin/kubectl`, `$PATH`; missing fails the
//!   test) and [`Kubectl`] (runs it with a private kubeconfig and discovery cache).
//! - kubeconfig: [`FakeKube::write_kubeconfig`] (one context), [`write_kubeconfig`] (one
//!   context per server).
//!
//! # Protocol
//! Resources (`resources.rs`): v1 pods, nodes, events, namespaces, configmaps; apps/v1
//! deployments, replicasets (`scale`, `status`); autoscaling/v2 horizontalpodautoscalers;
//! argoproj.io/v1alpha1 rollouts (opt-in); what other clients such as kdash list on start
//! (`more_resources.rs`: services, statefulsets, daemonsets, jobs, cronjobs, secrets, RBAC,
//! storage, networking, metrics.k8s.io; empty unless a test applies objects); POST-only authorization.k8s.io/v1
//! selfsubjectaccessreviews and authentication.k8s.io/v1 selfsubjectreviews.
//! Legacy discovery (`discovery.rs`); LIST with `limit`/`continue`, `labelSelector`,
//! `fieldSelector` (`http.rs`, `select.rs`); WATCH with replay from a bounded history, bookmarks,
//! `timeoutSeconds`, `sendInitialEvents`, in-stream 410 (`watch.rs`); GET, POST, PUT (409 on a
//! stale resourceVersion), DELETE; `dryRun=All` on writes is checked and answered, not stored;
//! PATCH (409 when it carries a stale `metadata.resourceVersion`) as merge, strategic merge or JSON patch, and
//! server-side apply approximated as a strategic merge (`patch.rs`); the scale subresource as
//! `autoscaling/v1` Scale. Errors are `Status` objects (`status.rs`).
//!
//! # Not like a real API server
//! No controllers (a Deployment never creates ReplicaSets or Pods; status changes only through
//! [`FakeKube::apply`] or the `status` subresource), no garbage collection or cascading delete,
//! no admission or validation (any JSON object is stored), no namespace existence checks, no
//! authentication (any token works), continue tokens see live data rather than a snapshot,
//! field selectors accept any field, no Table output (kubectl prints NAME/AGE columns), no
//! protobuf (a protobuf request body gets a 415: kubectl `create configmap`, `auth can-i`,
//! `auth whoami` fail), no aggregated discovery, no OpenAPI, no `deletecollection`.
#![allow(dead_code)]

mod discovery;
mod faults;
mod http;
mod kubeconfig;
mod kubectl;
mod list;
mod more_resources;
mod patch;
mod resources;
mod select;
mod status;
mod store;
mod verbs;
mod watch;

pub use faults::{Injected, RequestKind, RequestRecord};
#[allow(unused_imports)]
pub use kubectl::{Kubectl, kubectl_binary};

use faults::{Faults, lock};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use resources::by_kind;
use serde_json::Value;
use status::ApiError;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{Store, Write};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch as tokio_watch};
use tokio::task::{JoinHandle, JoinSet};

/// How the fake answers SelfSubjectReview (`FakeKube::set_self_review`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelfReview {
    /// `status.userInfo.username` is the configured user.
    Answer,
    /// A 201 without a username (the cluster cannot say).
    NoUser,
    /// 404: the API is not served (Kubernetes before 1.28, or disabled).
    NotFound,
    /// The answer comes this late (a client's timeout fires first).
    Slow(Duration),
}

pub(crate) struct Settings {
    pub serving: discovery::Serving,
    pub user: String,
    pub self_review: SelfReview,
    pub bookmark_interval: Duration,
}

/// State shared by the handle, the accept loop, connections and watch streams.
pub(crate) struct Shared {
    pub port: u16,
    pub store: Mutex<Store>,
    /// Ticks on every store change, `expire_watches` and `end_watches`; watch streams wait on it.
    pub changed: tokio_watch::Sender<u64>,
    pub faults: Faults,
    pub settings: Mutex<Settings>,
}

impl Shared {
    fn notify(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    pub fn write(
        &self,
        def: &resources::ResourceDef,
        obj: Value,
        mode: Write,
    ) -> Result<Value, ApiError> {
        self.write_opts(def, obj, mode, false)
    }

    /// A write, or a dry run of it (checked and answered, not stored, nobody notified).
    pub fn write_opts(
        &self,
        def: &resources::ResourceDef,
        obj: Value,
        mode: Write,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let out = lock(&self.store).write_opts(def, obj, mode, dry_run);
        if !dry_run {
            self.notify();
        }
        out
    }

    pub fn delete(
        &self,
        def: &resources::ResourceDef,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        let out = lock(&self.store).delete(def, ns, name);
        self.notify();
        out
    }
}

struct Running {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// A fake API server; see the module documentation. Dropping it stops the server.
pub struct FakeKube {
    shared: Arc<Shared>,
    running: Mutex<Option<Running>>,
}

impl FakeKube {
    /// An empty cluster (no objects, not even namespaces) on `127.0.0.1:<ephemeral port>`.
    pub async fn start() -> FakeKube {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake kube: binding 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("a bound listener has an address")
            .port();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(port);
        let shared = Arc::new(Shared {
            port,
            store: Mutex::new(Store::new(seed)),
            changed: tokio_watch::Sender::new(0),
            faults: Faults::new(),
            settings: Mutex::new(Settings {
                serving: discovery::Serving::default(),
                user: "system:serviceaccount:opsdeck:opsdeck".to_string(),
                self_review: SelfReview::Answer,
                bookmark_interval: Duration::from_secs(1),
            }),
        });
        let running = serve(listener, shared.clone());
        FakeKube {
            shared,
            running: Mutex::new(Some(running)),
        }
    }

    /// A cluster holding the objects of a multi-document YAML text (`kind: List` documents are
    /// unpacked).
    pub async fn start_with_yaml(yaml: &str) -> FakeKube {
        let kube = FakeKube::start().await;
        kube.apply_yaml(yaml);
        kube
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.shared.port)
    }

    pub fn port(&self) -> u16 {
        self.shared.port
    }

    /// Create or replace every object in the YAML text. Panics on YAML or objects it cannot
    /// store (unknown kind, no name): fixtures are part of the test.
    pub fn apply_yaml(&self, yaml: &str) {
        let docs: Vec<Value> = serde_saphyr::from_multiple(yaml)
            .unwrap_or_else(|e| panic!("fake kube: invalid YAML: {e}"));
        for doc in docs {
            if doc.is_null() {
                continue;
            }
            if doc["kind"] == "List" {
                for item in doc["items"].as_array().into_iter().flatten() {
                    self.apply(item.clone());
                }
            } else {
                self.apply(doc);
            }
        }
    }

    /// Create or replace one object. Keeps the given uid, creationTimestamp and generation
    /// (or fills them in), sets a new resourceVersion, and emits ADDED or MODIFIED.
    pub fn apply(&self, obj: Value) {
        let (av, kind) = (obj["apiVersion"].as_str(), obj["kind"].as_str());
        let def = by_kind(av.unwrap_or(""), kind.unwrap_or(""))
            .filter(|d| d.stored)
            .unwrap_or_else(|| panic!("fake kube: cannot store {av:?} {kind:?}"));
        if let Err(e) = self.shared.write(def, obj, Write::Upsert) {
            panic!("fake kube: apply failed: {}", e.message);
        }
    }

    /// Delete an object (emits DELETED). Returns whether it existed.
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> bool {
        let def = by_kind(api_version, kind)
            .unwrap_or_else(|| panic!("fake kube: unknown kind {api_version} {kind}"));
        self.shared.delete(def, namespace, name).is_ok()
    }

    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let def = by_kind(api_version, kind)?;
        lock(&self.shared.store).get(def, namespace, name).cloned()
    }

    /// All objects of a kind, in every namespace, ordered by namespace and name.
    pub fn list(&self, api_version: &str, kind: &str) -> Vec<Value> {
        let Some(def) = by_kind(api_version, kind) else {
            return Vec::new();
        };
        lock(&self.shared.store)
            .list(def, None)
            .map(|(_, o)| o.clone())
            .collect()
    }

    /// The current (global) resourceVersion.
    pub fn resource_version(&self) -> u64 {
        lock(&self.shared.store).rv
    }

    pub fn enable_argo_rollouts(&self) {
        lock(&self.shared.settings).serving.argo = true;
    }

    /// Serve `plural` (a built-in resource) or stop serving it: absent from discovery, and its
    /// paths answer 404, as on a server where the API is disabled or too new.
    pub fn set_served(&self, plural: &str, served: bool) {
        let mut settings = lock(&self.shared.settings);
        if served {
            settings.serving.unserved.remove(plural);
        } else {
            settings.serving.unserved.insert(plural.to_string());
        }
    }

    pub fn set_user(&self, username: &str) {
        lock(&self.shared.settings).user = username.to_string();
    }

    /// How SelfSubjectReview answers (the default: the user of `set_user`).
    pub fn set_self_review(&self, how: SelfReview) {
        lock(&self.shared.settings).self_review = how;
    }

    /// How often watches that allow bookmarks get one (applies to watches started later).
    pub fn set_bookmark_interval(&self, d: Duration) {
        lock(&self.shared.settings).bookmark_interval = d;
    }

    /// How many events the watch history keeps (older resourceVersions get a 410).
    pub fn set_history_limit(&self, events: usize) {
        lock(&self.shared.store).history_limit = events.max(1);
    }

    /// Every open watch gets an in-stream ERROR with a 410 Expired Status and ends; the history
    /// up to now is compacted, so watching from any older resourceVersion gets the same 410.
    pub fn expire_watches(&self) {
        {
            let mut store = lock(&self.shared.store);
            store.expire_epoch += 1;
            store.compact();
        }
        self.shared.notify();
    }

    /// Close every open watch stream cleanly (what the server's watch timeout does).
    pub fn end_watches(&self) {
        lock(&self.shared.store).end_epoch += 1;
        self.shared.notify();
    }

    /// Every request on `resource` (a plural like `"pods"`, or `"deployments/scale"`) gets a
    /// 403 Forbidden Status; SelfSubjectAccessReviews answer not allowed.
    pub fn forbid(&self, resource: &str, forbidden: bool) {
        self.shared.faults.forbid(resource, forbidden);
    }

    /// The next `n` PATCH/PUT requests on `resource` (`"deployments"`, `"rollouts/status"`, ...)
    /// get a 409 Conflict Status, as if another client had written the object just before.
    pub fn inject_conflicts(&self, resource: &str, n: u32) {
        self.shared.faults.inject_conflicts(resource, n);
    }

    /// Writes (PATCH, PUT, POST) to `resource` (`"deployments"`, `"events"`, ...) are denied with
    /// 400 as by a validating admission webhook whose message is `message`; None lets them in.
    pub fn deny_writes(&self, resource: &str, message: Option<&str>) {
        self.shared.faults.deny_writes(resource, message);
    }

    /// Stop listening and drop every open connection (watch streams end abruptly).
    pub async fn go_down(&self) {
        let running = lock(&self.running).take();
        if let Some(r) = running {
            let _ = r.stop.send(());
            let _ = r.task.await;
        }
    }

    /// Listen again on the same port, with the same data; resourceVersions continue.
    pub async fn come_back(&self) {
        if lock(&self.running).is_some() {
            return;
        }
        let addr = ("127.0.0.1", self.shared.port);
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(l) => break l,
                // The port may linger for a moment after go_down; retry for up to a second.
                Err(_) if tries < 50 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!(
                    "fake kube: cannot listen on port {} again: {e}",
                    self.shared.port
                ),
            }
        };
        *lock(&self.running) = Some(serve(listener, self.shared.clone()));
    }

    /// The cluster restored from a backup (or rebuilt) behind the same endpoint: every
    /// connection dropped, then the server answers again with only the objects of `yaml` and a
    /// resourceVersion counter started afresh, below what clients last saw (a watch resumed from
    /// their resourceVersion gets 504 ResourceVersionTooLarge).
    pub async fn restore_from_backup(&self, yaml: &str) {
        self.go_down().await;
        {
            let mut store = lock(&self.shared.store);
            let seed = store.rv ^ 0x5eed;
            *store = Store::new(seed);
        }
        self.apply_yaml(yaml);
        self.come_back().await;
    }

    /// While on, requests are read but never answered and watch streams send nothing.
    pub fn hang(&self, on: bool) {
        self.shared.faults.set_hang(on);
    }

    /// While `Some`, every request (discovery and `/version` too) gets the injected answer instead
    /// of its own: a 5xx/429/401 `Status`, a reset connection, or a body that is not JSON.
    /// Open watch streams are not touched (see `end_watches`, `stall_watches`).
    pub fn fail_requests(&self, what: Option<Injected>) {
        self.shared.faults.inject(what);
    }

    /// Every open watch stream stops sending (no events, no bookmarks, no end) yet stays open,
    /// as a connection that died silently behind a proxy. Streams opened later work.
    pub fn stall_watches(&self) {
        self.shared.faults.stall_watches();
    }

    /// Every open watch stream sends one line that is not JSON, then carries on.
    pub fn garble_watches(&self) {
        self.shared.faults.garble_watches();
    }

    /// Delay every answer (and the start of every watch) by `d`.
    pub fn set_latency(&self, d: Duration) {
        self.shared.faults.set_latency(d);
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.faults.requests()
    }

    /// How many requests of this kind on `resource` (`"deployments"`, `"deployments/scale"`;
    /// "" counts discovery and unknown paths) arrived, answered or not.
    pub fn count(&self, kind: RequestKind, resource: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.kind == kind && r.resource == resource)
            .count()
    }

    pub fn clear_requests(&self) {
        self.shared.faults.clear_requests();
    }

    /// Write `dir/kubeconfig` with one cluster, user (bearer token) and context named `context`
    /// for this server, over plain http.
    pub fn write_kubeconfig(&self, dir: &Path, context: &str) -> PathBuf {
        kubeconfig::write(dir, &[(context, self.port())])
    }
}

/// Write `dir/kubeconfig` with one context per (name, server); the first is the current one.
pub fn write_kubeconfig(dir: &Path, servers: &[(&str, &FakeKube)]) -> PathBuf {
    let contexts: Vec<(&str, u16)> = servers.iter().map(|(n, k)| (*n, k.port())).collect();
    kubeconfig::write(dir, &contexts)
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        if let Some(r) = lock(&self.running).take() {
            r.task.abort();
        }
    }
}

/// The accept loop. It owns the connections: stopping it closes the listener and drops them.
fn serve(listener: TcpListener, shared: Arc<Shared>) -> Running {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let shared = shared.clone();
                    conns.spawn(async move {
                        let svc = service_fn(move |req| http::handle(shared.clone(), req));
                        let _ = http1::Builder::new()
                            .keep_alive(true)
                            .header_read_timeout(None)
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        drop(listener);
        conns.shutdown().await;
    });
    Running { stop, task }
}
