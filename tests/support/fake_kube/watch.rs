//! Watch streams: newline-delimited JSON events in a chunked 200 response, one chunk per event.
//!
//! A stream replays the history after the requested resourceVersion (or sends synthetic ADDED
//! events for every current object when there is none, "0", or `sendInitialEvents=true`), then
//! follows live writes. Failures after the 200 arrive in-stream as an `ERROR` event carrying a
//! `Status`, as a real server sends them (410 Expired for a compacted resourceVersion).

use super::Shared;
use super::faults::lock;
use super::resources::ResourceDef;
use super::select::Selector;
use super::status::ApiError;
use super::store::{Event, EventType, res_id};
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

pub struct WatchSpec {
    pub def: &'static ResourceDef,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub selector: Selector,
    /// None: start with ADDED events for the current objects.
    pub from: Option<u64>,
    pub bookmarks: bool,
    /// `sendInitialEvents=true`: a bookmark annotated `k8s.io/initial-events-end` follows the
    /// initial ADDED events.
    pub initial_events_end: bool,
    pub timeout: Option<Duration>,
}

impl WatchSpec {
    fn wants(&self, obj: &Value) -> bool {
        let m = &obj["metadata"];
        self.ns.as_deref().is_none_or(|ns| m["namespace"] == ns)
            && self.name.as_deref().is_none_or(|n| m["name"] == n)
            && self.selector.matches(obj)
    }

    /// The event as this watcher sees it: an object that starts or stops matching the selector
    /// is ADDED or DELETED for it, as on a real server.
    fn translate(&self, e: &Event) -> Option<Bytes> {
        if e.res != res_id(self.def) {
            return None;
        }
        let now = self.wants(&e.object);
        let before = e.old.as_ref().is_some_and(|o| self.wants(o));
        let ty = match (e.ty, before, now) {
            (EventType::Added, _, true) => "ADDED",
            (EventType::Deleted, _, true) => "DELETED",
            (EventType::Modified, true, true) => "MODIFIED",
            (EventType::Modified, false, true) => "ADDED",
            (EventType::Modified, true, false) => "DELETED",
            _ => return None,
        };
        Some(line(ty, &e.object))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let obj =
            json!({"kind": self.def.kind, "apiVersion": self.def.api_version(), "metadata": meta});
        line("BOOKMARK", &obj)
    }
}

fn line(ty: &str, obj: &Value) -> Bytes {
    let mut s = json!({"type": ty, "object": obj}).to_string();
    s.push('\n');
    Bytes::from(s)
}

fn error_line(e: &ApiError) -> Bytes {
    line("ERROR", &e.to_json())
}

/// The streaming response body; a task feeds it until the stream ends or the client goes away.
pub fn start(shared: Arc<Shared>, spec: WatchSpec) -> BoxBody<Bytes, Infallible> {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(run(shared, spec, tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let chunk = rx.recv().await?;
        Some((Ok::<_, Infallible>(Frame::data(chunk)), rx))
    });
    StreamBody::new(stream).boxed()
}

/// Send one event; false once the client is gone. Waits while the server hangs.
async fn send(shared: &Shared, tx: &mpsc::Sender<Bytes>, chunk: Bytes) -> bool {
    tokio::select! {
        _ = shared.faults.wait_not_hung() => {}
        _ = tx.closed() => return false,
    }
    tx.send(chunk).await.is_ok()
}

async fn run(shared: Arc<Shared>, spec: WatchSpec, tx: mpsc::Sender<Bytes>) {
    let stall_epoch = shared.faults.stall_epoch();
    tokio::select! {
        _ = follow(&shared, spec, &tx) => {}
        // A silent, half-open stream: nothing more is sent, nor is the stream ended.
        _ = shared.faults.stalled_since(stall_epoch) => tx.closed().await,
    }
}

async fn follow(shared: &Arc<Shared>, spec: WatchSpec, tx: &mpsc::Sender<Bytes>) {
    let (shared, tx) = (shared.clone(), tx.clone());
    let mut garble = shared.faults.garble_subscribe();
    garble.mark_unchanged();
    let mut changed = shared.changed.subscribe();
    let interval = lock(&shared.settings).bookmark_interval;
    let deadline = spec.timeout.map(|t| Instant::now() + t);
    let (first, mut cursor, expire_epoch, end_epoch) = {
        let store = lock(&shared.store);
        let first: Result<Vec<Bytes>, ApiError> = match spec.from {
            None => Ok(store
                .list(spec.def, spec.ns.as_deref())
                .filter(|(_, o)| spec.wants(o))
                .map(|(_, o)| line("ADDED", o))
                .collect()),
            Some(rv) => store
                .events_after(rv)
                .map(|evs| evs.iter().filter_map(|e| spec.translate(e)).collect()),
        };
        (first, store.rv, store.expire_epoch, store.end_epoch)
    };
    match first {
        Err(e) => {
            send(&shared, &tx, error_line(&e)).await;
            return;
        }
        Ok(lines) => {
            for l in lines {
                if !send(&shared, &tx, l).await {
                    return;
                }
            }
        }
    }
    if spec.initial_events_end && !send(&shared, &tx, spec.bookmark(cursor, true)).await {
        return;
    }
    let mut next_bookmark = Instant::now() + interval;
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    loop {
        tokio::select! {
            r = changed.changed() => {
                if r.is_err() {
                    return;
                }
                let (lines, stop) = {
                    let store = lock(&shared.store);
                    if store.expire_epoch != expire_epoch {
                        (vec![error_line(&ApiError::expired(cursor, store.compacted + 1))], true)
                    } else if store.end_epoch != end_epoch {
                        (vec![], true)
                    } else {
                        match store.events_after(cursor) {
                            Ok(evs) => {
                                cursor = store.rv;
                                (evs.iter().filter_map(|e| spec.translate(e)).collect(), false)
                            }
                            Err(e) => (vec![error_line(&e)], true),
                        }
                    }
                };
                for l in lines {
                    if !send(&shared, &tx, l).await {
                        return;
                    }
                }
                if stop {
                    return;
                }
            }
            _ = sleep_until(next_bookmark), if spec.bookmarks => {
                if !send(&shared, &tx, spec.bookmark(cursor, false)).await {
                    return;
                }
                next_bookmark = Instant::now() + interval;
            }
            r = garble.changed() => {
                if r.is_err() || !send(&shared, &tx, Bytes::from_static(b"{\"type\": \"MODIFIED\", \"object\": {\"kind\n")).await {
                    return;
                }
            }
            _ = sleep_until(deadline.unwrap_or(far)) => return,
            _ = tx.closed() => return,
        }
    }
}
