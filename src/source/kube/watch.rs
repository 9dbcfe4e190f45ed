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

/// Watch `api` and translate every object as it arrives, so the full object is dropped at once.
pub fn watch<K>(
    api: Api<K>,
    config: watcher::Config,
    watch: WatchId,
    backoff: CappedBackoff,
    translate: fn(&K) -> Option<Record>,
) -> BoxStream<'static, Incoming>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    progress_backoff(watcher::watcher(api, config).boxed(), backoff)
        .map(move |event| Incoming {
            watch: watch.clone(),
            result: match event {
                Ok(Event::Init) => Ok(Some(Step::Begin)),
                Ok(Event::InitDone) => Ok(Some(Step::Synced)),
                Ok(Event::InitApply(o) | Event::Apply(o)) => Ok(translate(&o).map(Step::Apply)),
                Ok(Event::Delete(o)) => Ok(translate(&o).map(Step::Delete)),
                Err(e) => Err(classify(&e)),
            },
        })
        .boxed()
}

/// Sleep a backoff step after every error before polling the watcher again, and reset the
/// backoff only after real progress: the end of a listing (`InitDone`) or an object. Not on
/// `Init`, which kube-runtime's watcher yields before every relist, even one that fails at once:
/// `WatchStreamExt::backoff` resets on any `Ok`, so a refused resource was retried at the first
/// step forever. The error itself is passed on at once; only the retry waits.
pub fn progress_backoff<K: Send + 'static>(
    events: BoxStream<'static, watcher::Result<Event<K>>>,
    backoff: CappedBackoff,
) -> BoxStream<'static, watcher::Result<Event<K>>> {
    futures::stream::unfold(
        (events, backoff, None::<Duration>),
        |(mut events, mut backoff, wait)| async move {
            if let Some(d) = wait {
                tokio::time::sleep(d).await;
            }
            let event = events.next().await?;
            let wait = match &event {
                Err(_) => backoff.next(),
                Ok(Event::Init) => None,
                Ok(_) => {
                    backoff.reset();
                    None
                }
            };
            Some((event, (events, backoff, wait)))
        },
    )
    .boxed()
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
        let script: Vec<watcher::Result<Event<u32>>> = vec![
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
        ];
        let backoff = CappedBackoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let mut s = progress_backoff(futures::stream::iter(script).boxed(), backoff);
        let mut waits = Vec::new();
        let mut last = tokio::time::Instant::now();
        while let Some(e) = s.next().await {
            let now = tokio::time::Instant::now();
            if matches!(e, Ok(Event::Init)) {
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
