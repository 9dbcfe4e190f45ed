//! kube-runtime watchers turned into one stream of translated steps per resource, with capped
//! exponential backoff, and watcher errors classified for the health tracker.

use super::health::{Failure, WatchId};
use super::model::{Record, Step};
use futures::stream::{BoxStream, StreamExt};
use kube::runtime::utils::Backoff;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;
use std::fmt::Debug;
use std::time::Duration;

/// What one watcher produced: a translated step, or a classified failure.
#[derive(Debug)]
pub struct Incoming {
    pub watch: WatchId,
    pub result: Result<Option<Step>, Failure>,
}

/// Exponential backoff with jitter between `min` and `max`, reset after a success.
pub struct CappedBackoff {
    builder: backon::ExponentialBuilder,
    current: backon::ExponentialBackoff,
}

impl CappedBackoff {
    pub fn new(min: Duration, max: Duration) -> CappedBackoff {
        use backon::BackoffBuilder;
        let builder = backon::ExponentialBuilder::default()
            .with_min_delay(min)
            .with_max_delay(max)
            .with_factor(2.0)
            .with_jitter()
            .without_max_times();
        CappedBackoff {
            current: builder.build(),
            builder,
        }
    }
}

impl Iterator for CappedBackoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        self.current.next()
    }
}

impl Backoff for CappedBackoff {
    fn reset(&mut self) {
        use backon::BackoffBuilder;
        self.current = self.builder.build();
    }
}

/// How a watch retries: the backoff between failures, and how long a streak of failures may
/// last before the next try starts afresh with a LIST instead of resuming the watch.
pub struct Retry {
    pub backoff: CappedBackoff,
    /// After an outage this long (the watch timeout), what the server holds now may not follow
    /// from what we saw (a cluster restored or rebuilt behind the same endpoint): relist.
    pub relist_after: Duration,
    /// A retry that brings no error within this long has resumed its watch: said at once
    /// (a quiet resource sends nothing when its watch starts again).
    pub resumed_after: Duration,
    /// Ticks when the server answers again after an outage: a retry waiting out its backoff
    /// goes at once instead of up to the cap later.
    pub kick: Option<tokio::sync::watch::Receiver<u64>>,
}

/// Watch `api` and translate every object as it arrives, so the full object is dropped at once.
pub fn watch<K>(
    api: Api<K>,
    config: watcher::Config,
    watch: WatchId,
    retry: Retry,
    translate: fn(&K) -> Option<Record>,
) -> BoxStream<'static, Incoming>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    let start = move || watcher::watcher(api.clone(), config.clone()).boxed();
    progress_backoff(start, retry)
        .map(move |event| Incoming {
            watch: watch.clone(),
            result: match event {
                // Resumed after a failure: its failure is over, nothing to apply.
                None => Ok(Some(Step::Resumed)),
                Some(Ok(Event::Init)) => Ok(Some(Step::Begin)),
                Some(Ok(Event::InitDone)) => Ok(Some(Step::Synced)),
                Some(Ok(Event::InitApply(o) | Event::Apply(o))) => {
                    Ok(translate(&o).map(Step::Apply))
                }
                Some(Ok(Event::Delete(o))) => Ok(translate(&o).map(Step::Delete)),
                Some(Err(e)) => Err(classify(&e)),
            },
        })
        .boxed()
}

type Events<K> = BoxStream<'static, watcher::Result<Event<K>>>;

/// What `progress_backoff` carries from one event to the next.
struct Retrying<K, F> {
    start: F,
    events: Events<K>,
    retry: Retry,
    wait: Option<Duration>,
    /// When the current streak of failures began (None after progress).
    failing_since: Option<tokio::time::Instant>,
    /// The last event was an error: the next try is watched for `resumed_after`.
    retrying: bool,
}

/// The watcher `start` makes, with two things kube-runtime's own backoff does not do:
///
/// - It sleeps a backoff step after every error before polling again, and resets the backoff
///   only after real progress: the end of a listing (`InitDone`) or an object. Not on `Init`,
///   which the watcher yields before every relist, even one that fails at once:
///   `WatchStreamExt::backoff` resets on any `Ok`, so a refused resource was retried at the
///   first step forever. The error itself is passed on at once; only the retry waits.
/// - It starts a fresh watcher (its next poll is a LIST) when the server says it has not
///   reached our resourceVersion (504 `ResourceVersionTooLarge`: restored from a backup,
///   rebuilt), and when a streak of failures lasted longer than `retry.relist_after`: after
///   such an outage the server's history may not follow from what we saw, so a resumed watch
///   could show yesterday's truth as live. client-go's reflector relists on both.
/// - A retry that brings no error within `retry.resumed_after` yields `None`: its watch resumed
///   (a quiet resource would otherwise say nothing until it changes); and a kick (the server
///   answers again after an outage) cuts a backoff wait short.
///
/// Items: `Some(event)` from the watcher, `None` for "resumed".
pub fn progress_backoff<K, F>(
    start: F,
    retry: Retry,
) -> BoxStream<'static, Option<watcher::Result<Event<K>>>>
where
    K: Send + 'static,
    F: Fn() -> Events<K> + Send + 'static,
{
    let state = Retrying {
        events: start(),
        start,
        retry,
        wait: None,
        failing_since: None,
        retrying: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        if let Some(d) = s.wait.take() {
            let kicked = async {
                match s.retry.kick.as_mut() {
                    Some(k) => {
                        k.borrow_and_update();
                        if k.changed().await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(d) => {}
                _ = kicked => {}
            }
        }
        let event = if std::mem::take(&mut s.retrying) {
            match tokio::time::timeout(s.retry.resumed_after, s.events.next()).await {
                Err(_) => {
                    // Resumed: the watch is established again, which is progress.
                    s.retry.backoff.reset();
                    s.failing_since = None;
                    return Some((None, s));
                }
                Ok(event) => event?,
            }
        } else {
            s.events.next().await?
        };
        match &event {
            Err(e) => {
                let now = tokio::time::Instant::now();
                let since = *s.failing_since.get_or_insert(now);
                if too_large(e) || now - since > s.retry.relist_after {
                    s.events = (s.start)();
                }
                s.wait = s.retry.backoff.next();
                s.retrying = true;
            }
            Ok(Event::Init) => {}
            Ok(_) => {
                s.retry.backoff.reset();
                s.failing_since = None;
            }
        }
        Some((Some(event), s))
    })
    .boxed()
}

/// The server has not reached the resourceVersion we asked for: `504`, reason `Timeout`, cause
/// `ResourceVersionTooLarge` (what `apierrors.IsTooLargeResourceVersion` tests).
pub fn too_large(e: &watcher::Error) -> bool {
    let status = match e {
        watcher::Error::WatchError(s) => Some(&**s),
        watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s))
        | watcher::Error::InitialListFailed(kube::Error::Api(s)) => Some(&**s),
        _ => None,
    };
    status.is_some_and(|s| {
        s.code == 504
            && s.details.as_ref().is_some_and(|d| {
                d.causes
                    .iter()
                    .any(|c| c.reason == "ResourceVersionTooLarge")
            })
    })
}

/// A watcher error in the console's terms.
pub fn classify(e: &watcher::Error) -> Failure {
    match e {
        watcher::Error::WatchError(status) => status_failure(status.code, &status.message),
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => client_failure(e),
        watcher::Error::NoResourceVersion => {
            Failure::Other("the server sent no resourceVersion".into())
        }
    }
}

pub fn client_failure(e: &kube::Error) -> Failure {
    match e {
        kube::Error::Api(status) => status_failure(status.code, &status.message),
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            Failure::Unreachable(transport_reason(e))
        }
        other => Failure::Other(short(&other.to_string())),
    }
}

fn status_failure(code: u16, message: &str) -> Failure {
    match code {
        401 => Failure::Unauthorized(format!("401 {}", short(message))),
        403 => Failure::Forbidden(short(message)),
        404 => Failure::NotServed,
        410 => Failure::Expired,
        // Overloaded or unavailable: the server is there but not serving; stale, not live.
        429 | 503 | 504 => Failure::Unreachable(format!(
            "API server unavailable: HTTP {code}: {}",
            short(message)
        )),
        _ => Failure::Other(format!("HTTP {code}: {}", short(message))),
    }
}

/// "connection refused", "timed out", ...: the innermost cause, which is what a person needs.
fn transport_reason(e: &(dyn std::error::Error + 'static)) -> String {
    let mut inner: &dyn std::error::Error = e;
    while let Some(source) = inner.source() {
        inner = source;
    }
    let text = inner.to_string();
    let lower = text.to_lowercase();
    if lower.contains("refused") {
        "API server unreachable: connection refused".into()
    } else if lower.contains("timed out") || lower.contains("elapsed") {
        "API server not answering: timed out".into()
    } else {
        format!("API server unreachable: {}", short(&text))
    }
}

fn short(s: &str) -> String {
    super::translate::clip(s.lines().next().unwrap_or("").trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Failures separated by `Init` (a relist that fails at once) wait longer each time; an
    /// object resets the wait. With a 100 ms .. 2 s backoff (jitter at most doubles a step).
    #[tokio::test(start_paused = true)]
    async fn only_progress_resets_the_backoff() {
        let fail = || Err(watcher::Error::NoResourceVersion);
        let script = move || -> Vec<watcher::Result<Event<u32>>> {
            vec![
                fail(),
                Ok(Event::Init),
                fail(),
                Ok(Event::Init),
                fail(),
                Ok(Event::Init),
                fail(),
                Ok(Event::Init),
                Ok(Event::InitApply(1)),
                fail(),
                Ok(Event::Init),
            ]
        };
        let retry = Retry {
            backoff: CappedBackoff::new(Duration::from_millis(100), Duration::from_secs(2)),
            relist_after: Duration::from_secs(3600),
            resumed_after: Duration::from_secs(3600),
            kick: None,
        };
        let mut s = progress_backoff(move || futures::stream::iter(script()).boxed(), retry);
        let mut waits = Vec::new();
        let mut last = tokio::time::Instant::now();
        while let Some(e) = s.next().await {
            let now = tokio::time::Instant::now();
            if matches!(e, Some(Ok(Event::Init))) {
                waits.push(now - last);
            }
            last = now;
        }
        let ms: Vec<u128> = waits.iter().map(|d| d.as_millis()).collect();
        assert_eq!(ms.len(), 5, "{ms:?}");
        assert!(ms[0] >= 100 && ms[0] <= 200, "{ms:?}");
        assert!(
            ms[3] >= 800,
            "the fourth retry waits at least 8× the first step: {ms:?}"
        );
        assert!(
            ms[4] <= 200,
            "the object reset the backoff to its first step: {ms:?}"
        );
    }

    fn status(code: u16, message: &str) -> Box<kube::core::Status> {
        Box::new(kube::core::Status {
            code,
            message: message.into(),
            ..kube::core::Status::default()
        })
    }

    /// What a real API server's watch cache answers (see tests/support/fake_kube/status.rs).
    fn too_large_error() -> watcher::Error {
        let st: kube::core::Status = serde_json::from_value(serde_json::json!({
            "status": "Failure", "code": 504, "reason": "Timeout",
            "message": "Too large resource version: 90, current: 12",
            "details": {"causes": [{"reason": "ResourceVersionTooLarge",
                "message": "Too large resource version"}], "retryAfterSeconds": 1}
        }))
        .unwrap();
        watcher::Error::WatchStartFailed(kube::Error::Api(Box::new(st)))
    }

    /// Counts the watchers started; each yields the events `script(n)` gives the n-th.
    fn counted(
        script: fn(usize) -> Vec<watcher::Result<Event<u32>>>,
    ) -> (
        std::sync::Arc<std::sync::atomic::AtomicUsize>,
        impl Fn() -> Events<u32>,
    ) {
        let n = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = n.clone();
        let start = move || {
            let i = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            futures::stream::iter(script(i)).boxed()
        };
        (n, start)
    }

    /// A server that has not reached our resourceVersion (restored from a backup): the next
    /// try is a fresh watcher, which lists. Any other error resumes the same watcher.
    #[tokio::test(start_paused = true)]
    async fn too_large_starts_afresh() {
        assert!(too_large(&too_large_error()));
        assert!(!too_large(&watcher::Error::WatchStartFailed(
            kube::Error::Api(status(504, "gateway"))
        )));
        let (starts, start) = counted(|i| match i {
            0 => vec![Ok(Event::InitDone), Err(too_large_error())],
            _ => vec![
                Ok(Event::Init),
                Ok(Event::InitApply(7)),
                Ok(Event::InitDone),
            ],
        });
        let retry = Retry {
            backoff: CappedBackoff::new(Duration::from_millis(100), Duration::from_secs(2)),
            relist_after: Duration::from_secs(3600),
            resumed_after: Duration::from_secs(3600),
            kick: None,
        };
        let events: Vec<_> = progress_backoff(start, retry).collect().await;
        assert_eq!(starts.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(
            matches!(events.last(), Some(Some(Ok(Event::InitDone)))),
            "{events:?}"
        );
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Some(Ok(Event::InitApply(7)))))
        );
    }

    /// Failures for longer than `relist_after`: the next try lists afresh instead of resuming.
    #[tokio::test(start_paused = true)]
    async fn a_long_outage_ends_with_a_relist() {
        let (starts, start) = counted(|i| match i {
            0 => (0..6)
                .map(|_| Err(watcher::Error::NoResourceVersion))
                .collect(),
            _ => vec![Ok(Event::Init), Ok(Event::InitDone)],
        });
        let retry = Retry {
            backoff: CappedBackoff::new(Duration::from_millis(100), Duration::from_millis(200)),
            relist_after: Duration::from_millis(500),
            resumed_after: Duration::from_secs(3600),
            kick: None,
        };
        let events: Vec<_> = progress_backoff(start, retry).collect().await;
        assert_eq!(
            starts.load(std::sync::atomic::Ordering::SeqCst),
            2,
            "{events:?}"
        );
        assert!(matches!(events.last(), Some(Some(Ok(Event::InitDone)))));
    }

    /// A retry that brings no error has resumed: said after `resumed_after`. A kick (the server
    /// answers again) cuts the backoff wait short.
    #[tokio::test(start_paused = true)]
    async fn a_quiet_resumed_watch_is_said_and_a_kick_retries_at_once() {
        let (kick, kicked) = tokio::sync::watch::channel(0u64);
        let (_, start) = counted(|_| vec![Err(watcher::Error::NoResourceVersion)]);
        let quiet = move || start().chain(futures::stream::pending()).boxed();
        let retry = Retry {
            backoff: CappedBackoff::new(Duration::from_secs(20), Duration::from_secs(30)),
            relist_after: Duration::from_secs(3600),
            resumed_after: Duration::from_secs(1),
            kick: Some(kicked),
        };
        let mut s = progress_backoff(quiet, retry);
        assert!(matches!(s.next().await, Some(Some(Err(_)))));
        let t0 = tokio::time::Instant::now();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            kick.send_modify(|n| *n += 1);
        });
        assert!(matches!(s.next().await, Some(None)), "resumed");
        let took = tokio::time::Instant::now() - t0;
        assert!(
            took >= Duration::from_millis(1300) && took < Duration::from_secs(2),
            "kicked after 300 ms, then 1 s without an error: {took:?}"
        );
    }

    #[test]
    fn statuses_are_classified() {
        let f = |code| {
            classify(&watcher::Error::InitialListFailed(kube::Error::Api(
                status(code, "pods is forbidden: x\nmore"),
            )))
        };
        assert_eq!(f(403), Failure::Forbidden("pods is forbidden: x".into()));
        assert!(matches!(f(401), Failure::Unauthorized(_)));
        assert_eq!(f(404), Failure::NotServed);
        assert_eq!(
            f(500),
            Failure::Other("HTTP 500: pods is forbidden: x".into())
        );
        assert_eq!(
            classify(&watcher::Error::WatchError(status(
                410,
                "too old resource version"
            ))),
            Failure::Expired
        );
    }

    #[test]
    fn backoff_is_capped_and_resets() {
        let mut b = CappedBackoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let delays: Vec<Duration> = (&mut b).take(20).collect();
        assert_eq!(delays.len(), 20, "never gives up");
        assert!(
            delays.iter().all(|d| *d <= Duration::from_secs(4)),
            "{delays:?}"
        );
        b.reset();
        assert!(b.next().unwrap() <= Duration::from_millis(200));
    }
}
