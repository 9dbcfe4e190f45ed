//! One resource's LIST-then-WATCH loop, as client-go's reflector runs it, with what
//! kube-runtime's watcher hides made visible:
//!
//! - **Bookmarks are seen.** A real API server's watch cache sends one about every minute and
//!   one shortly before the watch's timeout. A watch that brings no event and no bookmark for
//!   `stall_after` (the bookmark interval plus a margin) has stalled, though the connection and
//!   `/version` may still answer: it is reported (the cluster goes stale with its age) and
//!   replaced. After a stall only data — an event or a bookmark — proves the new watch works.
//! - **Objects are read one by one.** A list or watch event whose object does not fit our types
//!   (a `restartCount` of 2^62) is skipped with a note; the rest of the list is kept.
//! - **Retries back off** exponentially with jitter, and the backoff resets only after data.
//! - **Relist when history changed**: on 410 Gone, on `504 ResourceVersionTooLarge` (a cluster
//!   restored from a backup or rebuilt behind the same endpoint), and after an outage longer
//!   than `relist_after`, the next try is a LIST, not a resumed WATCH.
//! - A kick (the server answers again after an outage) cuts a backoff wait short.

use futures::stream::{BoxStream, StreamExt};
use futures::{AsyncBufReadExt, TryStreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, ObjectMeta};
use kube::Client;
use kube::api::{ListParams, WatchParams};
use kube::core::{Request, Status};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// What one resource's watch is asked for and how long its answers may take.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `url_path` of the resource (namespaced or not).
    pub path: String,
    pub field_selector: Option<String>,
    /// The server ends each watch after this long (`timeoutSeconds`); it is then resumed.
    pub watch_timeout_secs: u32,
    pub page_size: u32,
    /// No event and no bookmark for this long: the watch has stalled.
    pub stall_after: Duration,
    /// A LIST page or a WATCH's first answer (its status line) that takes longer has failed.
    pub answer_timeout: Duration,
    /// After a failure, a new watch that brings no fault for this long has resumed.
    pub resumed_after: Duration,
}

/// What the loop saw, in the order it saw it.
#[derive(Debug)]
pub enum Seen<K> {
    /// A LIST is about to be sent: what follows replaces what was known.
    Listing,
    Listed(K),
    /// The LIST is complete: objects it did not name are gone.
    Synced,
    Applied(K),
    Deleted(K),
    /// Data flows (a bookmark), or a watch started again after a failure: nothing changed.
    Alive,
    /// An object we cannot read, skipped: `namespace/name: why`.
    Unreadable(String),
}

/// Why a step failed.
#[derive(Debug)]
pub enum Fault {
    /// The LIST, the WATCH request, or the stream failed (transport, HTTP status, bad body).
    Request(kube::Error),
    /// An ERROR event in the watch stream.
    Status(Box<Status>),
    /// No answer within `answer_timeout`.
    NoAnswer(Duration),
    /// An open watch brought nothing, not even a bookmark, for this long.
    Stalled(Duration),
    /// A line of the watch stream that is not a watch event.
    Garbled(String),
    /// The server's list had no resourceVersion to watch from.
    NoResourceVersion,
}

/// A failed step, and how long the loop waits before it tries again (None: the stream goes on
/// at once). A kick can cut the wait short; it is never longer.
#[derive(Debug)]
pub struct Failed {
    pub fault: Fault,
    pub retry_in: Option<Duration>,
}

pub type Item<K> = Result<Seen<K>, Failed>;

/// How a loop retries after a failure.
pub struct Retry {
    pub backoff: super::watch::CappedBackoff,
    /// After failing this long without a break, the next try is a LIST.
    pub relist_after: Duration,
    /// Ticks when the server answers again after an outage.
    pub kick: Option<tokio::sync::watch::Receiver<u64>>,
    /// Ticks when a person asks for a refresh (ctrl-r): the next step is a fresh LIST.
    pub relist: Option<tokio::sync::watch::Receiver<u64>>,
}

/// Completes when `rx` ticks; never when there is none or it closed.
async fn ticked(rx: &mut Option<tokio::sync::watch::Receiver<u64>>) {
    match rx {
        Some(rx) => {
            if rx.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending().await,
    }
}

enum Phase {
    /// Next: a LIST from scratch (`Listing` is said first).
    Start,
    /// Listing page by page; `rv` is the list's resourceVersion once known.
    Paging {
        continue_token: Option<String>,
        rv: Option<String>,
    },
    /// Next: a WATCH from `rv`.
    Resume { rv: String },
    Watching {
        rv: String,
        lines: BoxStream<'static, std::io::Result<String>>,
    },
}

struct Loop<K> {
    client: Client,
    spec: Spec,
    retry: Retry,
    phase: Phase,
    page: VecDeque<Result<K, String>>,
    wait: Option<Duration>,
    failing_since: Option<Instant>,
    /// Failed since the last data: a watch that starts says so (`Alive`).
    failing: bool,
    /// The last failure was a stall: only data ends it, not a watch that starts.
    stalled: bool,
    /// A watch started after a failure: quiet for `resumed_after`, it has resumed.
    resuming: bool,
}

/// The loop as a stream; it never ends.
pub fn list_watch<K>(client: Client, spec: Spec, retry: Retry) -> BoxStream<'static, Item<K>>
where
    K: DeserializeOwned + Send + 'static,
{
    let state = Loop::<K> {
        client,
        spec,
        retry,
        phase: Phase::Start,
        page: VecDeque::new(),
        wait: None,
        failing_since: None,
        failing: false,
        stalled: false,
        resuming: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        let item = s.step().await;
        Some((item, s))
    })
    .boxed()
}

/// A LIST answer with its items kept raw, so each is read on its own.
#[derive(Deserialize)]
struct RawList {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default)]
    items: Option<Vec<Box<RawValue>>>,
}

/// A watch event with its object kept raw (any field order).
#[derive(Deserialize)]
struct RawEvent {
    #[serde(rename = "type")]
    kind: String,
    object: Box<RawValue>,
}

#[derive(Deserialize)]
struct MetaOnly {
    #[serde(default)]
    metadata: ObjectMeta,
}

/// One object, or what we can say about the one we could not read.
fn read_object<K: DeserializeOwned>(raw: &RawValue) -> Result<K, String> {
    serde_json::from_str::<K>(raw.get()).map_err(|e| {
        let meta = serde_json::from_str::<MetaOnly>(raw.get())
            .map(|m| m.metadata)
            .unwrap_or_default();
        let name = meta.name.unwrap_or_else(|| "?".into());
        let at = match meta.namespace {
            Some(ns) => format!("{ns}/{name}"),
            None => name,
        };
        format!("{at}: {}", super::translate::clip(&e.to_string()))
    })
}

fn resource_version(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<MetaOnly>(raw.get())
        .ok()?
        .metadata
        .resource_version
        .filter(|rv| !rv.is_empty())
}

impl<K> Loop<K>
where
    K: DeserializeOwned + Send + 'static,
{
    async fn step(&mut self) -> Item<K> {
        loop {
            if let Some(d) = self.wait.take()
                && self.pause(d).await
            {
                self.phase = Phase::Start;
                self.page.clear();
            }
            if let Some(next) = self.page.pop_front() {
                return match next {
                    Ok(o) => Ok(Seen::Listed(o)),
                    Err(why) => Ok(Seen::Unreadable(why)),
                };
            }
            match std::mem::replace(&mut self.phase, Phase::Start) {
                Phase::Start => {
                    self.phase = Phase::Paging {
                        continue_token: None,
                        rv: None,
                    };
                    return Ok(Seen::Listing);
                }
                Phase::Paging {
                    continue_token: None,
                    rv: Some(rv),
                } => {
                    self.phase = Phase::Resume { rv };
                    self.progress();
                    return Ok(Seen::Synced);
                }
                Phase::Paging { continue_token, .. } => {
                    match list_page::<K>(&self.client, &self.spec, continue_token).await {
                        Ok((page, continue_token, rv)) => {
                            if continue_token.is_none() && rv.is_none() {
                                return self.fail(Fault::NoResourceVersion, Phase::Start);
                            }
                            self.page = page;
                            self.phase = Phase::Paging { continue_token, rv };
                        }
                        Err(f) => return self.fail(f, Phase::Start),
                    }
                }
                Phase::Resume { rv } => match start_watch(&self.client, &self.spec, &rv).await {
                    Ok(lines) => {
                        // The server answers the watch again. A quiet resource sends nothing
                        // until it changes (or the next bookmark, a minute away): a watch that
                        // brings no fault within `resumed_after` has resumed, its failure over.
                        // One that answers 200 and then garbage, or ends, has not.
                        self.resuming = self.failing && !self.stalled;
                        self.phase = Phase::Watching { rv, lines };
                    }
                    Err(f) => {
                        let next = if relist_on(&f) {
                            Phase::Start
                        } else {
                            Phase::Resume { rv }
                        };
                        return self.fail(f, next);
                    }
                },
                Phase::Watching { rv, mut lines } => {
                    let quiet_for = if self.resuming {
                        self.spec.resumed_after
                    } else {
                        self.spec.stall_after
                    };
                    let next = tokio::select! {
                        next = tokio::time::timeout(quiet_for, lines.next()) => next,
                        _ = ticked(&mut self.retry.relist) => {
                            // Asked to refresh: list afresh (the watch is dropped).
                            self.phase = Phase::Start;
                            continue;
                        }
                    };
                    let line = match next {
                        Err(_) if std::mem::take(&mut self.resuming) => {
                            self.phase = Phase::Watching { rv, lines };
                            self.failing = false;
                            return Ok(Seen::Alive);
                        }
                        Err(_) => {
                            self.stalled = true;
                            return self
                                .fail(Fault::Stalled(self.spec.stall_after), Phase::Resume { rv });
                        }
                        // The server ended the watch (its timeout): resume it.
                        Ok(None) => {
                            self.phase = Phase::Resume { rv };
                            continue;
                        }
                        Ok(Some(Err(e))) => {
                            return self.fail(
                                Fault::Request(kube::Error::ReadEvents(e)),
                                Phase::Resume { rv },
                            );
                        }
                        Ok(Some(Ok(line))) => line,
                    };
                    if line.trim().is_empty() {
                        self.phase = Phase::Watching { rv, lines };
                        continue;
                    }
                    return self.event(&line, rv, lines);
                }
            }
        }
    }

    /// One line of a watch stream.
    fn event(
        &mut self,
        line: &str,
        rv: String,
        lines: BoxStream<'static, std::io::Result<String>>,
    ) -> Item<K> {
        let Ok(event) = serde_json::from_str::<RawEvent>(line) else {
            // Not an event: a fault of this answer, not a sign of life. The stream goes on
            // after a backoff step (a server that sends nothing else is not read in a loop).
            let fault = Fault::Garbled(super::translate::clip(line));
            return self.fail(fault, Phase::Watching { rv, lines });
        };
        let object_rv = resource_version(&event.object);
        let next_rv = object_rv.clone().unwrap_or(rv);
        let seen = match event.kind.as_str() {
            "ADDED" | "MODIFIED" | "DELETED" if object_rv.is_none() => {
                return self.fail(Fault::NoResourceVersion, Phase::Start);
            }
            "ADDED" | "MODIFIED" => match read_object::<K>(&event.object) {
                Ok(o) => Seen::Applied(o),
                Err(why) => Seen::Unreadable(why),
            },
            "DELETED" => match read_object::<K>(&event.object) {
                Ok(o) => Seen::Deleted(o),
                Err(why) => Seen::Unreadable(why),
            },
            "BOOKMARK" => Seen::Alive,
            "ERROR" => {
                let status: Status = serde_json::from_str(event.object.get()).unwrap_or_default();
                let next = if status.code == 410 || is_too_large(&status) {
                    Phase::Start
                } else {
                    Phase::Watching { rv: next_rv, lines }
                };
                return self.fail(Fault::Status(Box::new(status)), next);
            }
            other => {
                self.phase = Phase::Watching { rv: next_rv, lines };
                return self.failed(Fault::Garbled(format!("unknown event type {other:?}")));
            }
        };
        self.phase = Phase::Watching { rv: next_rv, lines };
        self.progress();
        Ok(seen)
    }
}

/// One LIST page: its objects (each read on its own), continue token and resourceVersion.
async fn list_page<K: DeserializeOwned>(
    client: &Client,
    spec: &Spec,
    continue_token: Option<String>,
) -> Result<(VecDeque<Result<K, String>>, Option<String>, Option<String>), Fault> {
    {
        let mut lp = ListParams::default().limit(spec.page_size);
        lp.continue_token = continue_token;
        if let Some(f) = &spec.field_selector {
            lp = lp.fields(f);
        }
        let req = Request::new(&spec.path)
            .list(&lp)
            .map_err(|e| Fault::Request(kube::Error::BuildRequest(e)))?;
        let list: RawList = tokio::time::timeout(spec.answer_timeout, async {
            client.request::<RawList>(req).await
        })
        .await
        .map_err(|_| Fault::NoAnswer(spec.answer_timeout))?
        .map_err(Fault::Request)?;
        let page = list
            .items
            .unwrap_or_default()
            .iter()
            .map(|raw| read_object::<K>(raw))
            .collect();
        let nonempty = |s: Option<String>| s.filter(|s| !s.is_empty());
        Ok((
            page,
            nonempty(list.metadata.continue_),
            nonempty(list.metadata.resource_version),
        ))
    }
}

/// Start a WATCH from `rv`: the stream of its lines once the server answered.
async fn start_watch(
    client: &Client,
    spec: &Spec,
    rv: &str,
) -> Result<BoxStream<'static, std::io::Result<String>>, Fault> {
    {
        let mut wp = WatchParams::default().timeout(spec.watch_timeout_secs);
        if let Some(f) = &spec.field_selector {
            wp = wp.fields(f);
        }
        let mut req = Request::new(&spec.path)
            .watch(&wp, rv)
            .map_err(|e| Fault::Request(kube::Error::BuildRequest(e)))?;
        req.extensions_mut().insert("watch");
        let body = tokio::time::timeout(spec.answer_timeout, client.request_stream(req))
            .await
            .map_err(|_| Fault::NoAnswer(spec.answer_timeout))?
            .map_err(Fault::Request)?;
        Ok(body.lines().into_stream().boxed())
    }
}

impl<K> Loop<K>
where
    K: DeserializeOwned + Send + 'static,
{
    /// Data arrived: the backoff starts over and any failure is over.
    fn progress(&mut self) {
        self.retry.backoff.reset();
        self.resuming = false;
        self.failing_since = None;
        self.failing = false;
        self.stalled = false;
    }

    /// A failure: retry from `next` after a backoff step (a LIST after a long outage).
    fn fail(&mut self, fault: Fault, next: Phase) -> Item<K> {
        let now = Instant::now();
        let since = *self.failing_since.get_or_insert(now);
        self.phase = if now - since > self.retry.relist_after {
            Phase::Start
        } else {
            next
        };
        self.page.clear();
        self.wait = self.retry.backoff.next();
        self.failing = true;
        self.resuming = false;
        Err(Failed {
            fault,
            retry_in: self.wait,
        })
    }

    /// A failure that does not stop the current step (the stream goes on).
    fn failed(&mut self, fault: Fault) -> Item<K> {
        self.failing = true;
        self.resuming = false;
        Err(Failed {
            fault,
            retry_in: None,
        })
    }

    /// Wait out a backoff step, or less when kicked; true when asked to relist meanwhile.
    async fn pause(&mut self, d: Duration) -> bool {
        if let Some(k) = self.retry.kick.as_mut() {
            k.borrow_and_update();
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => false,
            _ = ticked(&mut self.retry.kick) => false,
            _ = ticked(&mut self.retry.relist) => true,
        }
    }
}

/// The next try must list: the server's history no longer follows from what we saw.
fn relist_on(f: &Fault) -> bool {
    match f {
        Fault::Request(kube::Error::Api(s)) => s.code == 410 || is_too_large(s),
        Fault::Status(s) => s.code == 410 || is_too_large(s),
        _ => false,
    }
}

/// `504`, reason `Timeout`, cause `ResourceVersionTooLarge` (what
/// `apierrors.IsTooLargeResourceVersion` tests): the server has not reached our version.
pub fn is_too_large(s: &Status) -> bool {
    s.code == 504
        && s.details.as_ref().is_some_and(|d| {
            d.causes
                .iter()
                .any(|c| c.reason == "ResourceVersionTooLarge")
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Pod;

    #[test]
    fn an_object_that_does_not_fit_is_named_with_why() {
        let raw = |v: serde_json::Value| RawValue::from_string(v.to_string()).unwrap();
        let good = raw(serde_json::json!({"metadata": {"name": "a", "namespace": "ns"}}));
        assert!(read_object::<Pod>(&good).is_ok());
        let bad = raw(serde_json::json!({
            "metadata": {"name": "b", "namespace": "ns", "resourceVersion": "7"},
            "status": {"containerStatuses": [{"name": "c", "image": "i", "imageID": "",
                "ready": true, "restartCount": 1u64 << 62}]}
        }));
        let why = read_object::<Pod>(&bad).unwrap_err();
        assert!(why.starts_with("ns/b: "), "{why}");
        assert_eq!(resource_version(&bad).as_deref(), Some("7"));
    }

    #[test]
    fn too_large_is_the_watch_caches_answer() {
        let st: Status = serde_json::from_value(serde_json::json!({
            "status": "Failure", "code": 504, "reason": "Timeout",
            "message": "Too large resource version: 90, current: 12",
            "details": {"causes": [{"reason": "ResourceVersionTooLarge",
                "message": "Too large resource version"}], "retryAfterSeconds": 1}
        }))
        .unwrap();
        assert!(is_too_large(&st));
        assert!(relist_on(&Fault::Status(Box::new(st.clone()))));
        let gateway = Status {
            code: 504,
            ..Status::default()
        };
        assert!(!is_too_large(&gateway));
        assert!(!relist_on(&Fault::Request(kube::Error::Api(Box::new(
            gateway
        )))));
    }
}
