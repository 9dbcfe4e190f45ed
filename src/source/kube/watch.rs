//! Each resource's LIST-then-WATCH loop (`list_watch`) turned into one stream of translated
//! steps, with its faults classified for the health tracker.

use super::health::{Failure, WatchId};
use super::list_watch::{Failed, Fault, Seen, Spec, list_watch};
use super::model::{Record, Step};
use futures::stream::{BoxStream, StreamExt};
use kube::Client;
use serde::de::DeserializeOwned;
use std::time::Duration;

pub use super::list_watch::Retry;

/// What one watcher produced: a translated step, or a classified failure.
#[derive(Debug)]
pub struct Incoming {
    pub watch: WatchId,
    pub result: Result<Option<Step>, Failure>,
    /// After a failure: when the watcher tries again (None: it goes on at once, or no failure).
    pub retry_in: Option<Duration>,
}

/// Exponential backoff with jitter, every delay within [`min`, `max`], reset after a success.
///
/// The step doubles from `min` up to half of `max`; jitter adds up to one step again ("equal
/// jitter"), so the first retry comes after `min`..`2·min` and, at the cap, consoles that lost
/// the same server retry spread over `max/2`..`max` instead of all at once. (backon's own jitter
/// adds up to a whole step on top of its cap: a 30 s cap meant retries up to 60 s apart.)
pub struct CappedBackoff {
    builder: backon::ExponentialBuilder,
    current: backon::ExponentialBackoff,
    min: Duration,
    max: Duration,
}

impl CappedBackoff {
    pub fn new(min: Duration, max: Duration) -> CappedBackoff {
        use backon::BackoffBuilder;
        let max = max.max(min);
        let builder = backon::ExponentialBuilder::default()
            .with_min_delay(min)
            .with_max_delay((max / 2).max(min))
            .with_factor(2.0)
            .with_jitter()
            .without_max_times();
        CappedBackoff {
            current: builder.build(),
            builder,
            min,
            max,
        }
    }
}

impl Iterator for CappedBackoff {
    type Item = Duration;
    fn next(&mut self) -> Option<Duration> {
        self.current.next().map(|d| d.clamp(self.min, self.max))
    }
}

impl CappedBackoff {
    /// Start over at the first step.
    pub fn reset(&mut self) {
        use backon::BackoffBuilder;
        self.current = self.builder.build();
    }
}

/// Watch the resource at `spec.path` and translate every object as it arrives, so the full
/// object is dropped at once.
pub fn watch<K>(
    client: Client,
    spec: Spec,
    watch: WatchId,
    retry: Retry,
    translate: fn(&K) -> Option<Record>,
) -> BoxStream<'static, Incoming>
where
    K: DeserializeOwned + Send + 'static,
{
    list_watch::<K>(client, spec, retry)
        .map(move |item| Incoming {
            watch: watch.clone(),
            retry_in: item.as_ref().err().and_then(|f| f.retry_in),
            result: match item {
                Ok(Seen::Listing) => Ok(Some(Step::Begin)),
                Ok(Seen::Synced) => Ok(Some(Step::Synced)),
                Ok(Seen::Listed(o) | Seen::Applied(o)) => Ok(translate(&o).map(Step::Apply)),
                Ok(Seen::Deleted(o)) => Ok(translate(&o).map(Step::Delete)),
                Ok(Seen::Alive) => Ok(Some(Step::Alive)),
                Ok(Seen::Unreadable(why)) => Ok(Some(Step::Unreadable(why))),
                Err(Failed { fault, .. }) => Err(classify(&fault)),
            },
        })
        .boxed()
}

/// A fault in the console's terms.
pub fn classify(f: &Fault) -> Failure {
    match f {
        Fault::Request(e) => client_failure(e),
        Fault::Status(s) => status_failure(s.code, &s.message),
        Fault::NoAnswer(d) => Failure::Unreachable(format!(
            "API server not answering (no reply in {}s)",
            d.as_secs_f32()
        )),
        Fault::Stalled(d) => Failure::Stalled(format!(
            "watch stalled: no event or bookmark for {}s",
            d.as_secs()
        )),
        Fault::Garbled(line) => Failure::BadAnswer(format!("unreadable watch event: {line}")),
        Fault::NoResourceVersion => Failure::BadAnswer("the server sent no resourceVersion".into()),
    }
}

pub fn client_failure(e: &kube::Error) -> Failure {
    match e {
        kube::Error::Api(status) => status_failure(status.code, &status.message),
        kube::Error::HyperError(_) | kube::Error::Service(_) => {
            Failure::Unreachable(transport_reason(e))
        }
        // A body cut short or not what was asked for: a failed answer, not a sign of life.
        kube::Error::SerdeError(e) => {
            Failure::BadAnswer(format!("unreadable answer: {}", short(&e.to_string())))
        }
        kube::Error::ReadEvents(e) => Failure::Unreachable(transport_reason(e)),
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

    fn status(code: u16, message: &str) -> Box<kube::core::Status> {
        Box::new(kube::core::Status {
            code,
            message: message.into(),
            ..kube::core::Status::default()
        })
    }

    #[test]
    fn faults_are_classified() {
        let f = |code| {
            classify(&Fault::Request(kube::Error::Api(status(
                code,
                "pods is forbidden: x\nmore",
            ))))
        };
        assert_eq!(f(403), Failure::Forbidden("pods is forbidden: x".into()));
        assert!(matches!(f(401), Failure::Unauthorized(_)));
        assert_eq!(f(404), Failure::NotServed);
        assert_eq!(
            f(500),
            Failure::Other("HTTP 500: pods is forbidden: x".into())
        );
        assert!(
            matches!(f(503), Failure::Unreachable(w) if w.starts_with("API server unavailable"))
        );
        assert_eq!(
            classify(&Fault::Status(status(410, "too old resource version"))),
            Failure::Expired
        );
        assert!(matches!(
            classify(&Fault::Stalled(Duration::from_secs(90))),
            Failure::Stalled(w) if w == "watch stalled: no event or bookmark for 90s"
        ));
        let garbage = serde_json::from_str::<u32>("{\"kind").unwrap_err();
        assert!(matches!(
            classify(&Fault::Request(kube::Error::SerdeError(garbage))),
            Failure::BadAnswer(_)
        ));
        assert!(matches!(
            classify(&Fault::Garbled("x".into())),
            Failure::BadAnswer(_)
        ));
    }

    /// Each delay is its exponential step plus jitter of up to one step, within [min, max]:
    /// 100 ms, 200 ms, 400 ms, 800 ms, then 1 s (half the 2 s cap) for ever, each up to twice
    /// that; a reset starts over at 100 ms.
    #[test]
    fn backoff_grows_exponentially_with_jitter_within_its_bounds() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(2));
        let step = |i: u32| (min * 2u32.pow(i.min(20))).min(max / 2);
        let mut b = CappedBackoff::new(min, max);
        let delays: Vec<Duration> = (&mut b).take(40).collect();
        assert_eq!(delays.len(), 40, "never gives up");
        for (i, d) in delays.iter().enumerate() {
            let s = step(i as u32);
            assert!(
                s <= *d && *d <= (2 * s).min(max),
                "delay {i} is {d:?}, outside its step {s:?} + jitter: {delays:?}"
            );
        }
        assert!(
            delays[5..].iter().all(|d| *d >= max / 2),
            "at the cap from the fifth retry: {delays:?}"
        );
        let jittered = delays
            .iter()
            .enumerate()
            .filter(|(i, d)| **d != step(*i as u32))
            .count();
        assert!(jittered >= 30, "jitter spreads the retries: {delays:?}");
        let again: Vec<Duration> = CappedBackoff::new(min, max).take(40).collect();
        assert_ne!(delays, again, "two backoffs are not in step");
        b.reset();
        let first = b.next().unwrap();
        assert!(
            min <= first && first <= 2 * min,
            "a reset starts over: {first:?}"
        );
    }

    #[test]
    fn a_backoff_whose_floor_is_above_half_its_cap_stays_within_both() {
        let (min, max) = (Duration::from_millis(300), Duration::from_millis(400));
        let delays: Vec<Duration> = CappedBackoff::new(min, max).take(20).collect();
        assert!(delays.iter().all(|d| min <= *d && *d <= max), "{delays:?}");
    }
}
