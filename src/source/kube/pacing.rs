//! Watch pacing: no watch on one path starts sooner than `min_gap` after the previous one.
//!
//! kube's watcher backs off after an *error*, but a watch that simply ends is restarted at once.
//! A watch that ends the moment it starts — a truncated answer (kube ignores a last line cut
//! short), a proxy that closes streams, a `200` page from a captive portal — made the collector
//! restart its watches in a hot loop: ~18,000 requests a second against the fake API server
//! (`tests/faults.rs::truncated_answers_degrade_nothing_and_cause_no_hot_loop`). A watch that
//! lasts its normal length (`Timings::watch_timeout`) is never delayed by this.

use futures::future::BoxFuture;
use http::Request;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone)]
pub struct WatchPacing {
    min_gap: Duration,
    /// When the latest watch on each path starts (possibly in the future, when delayed).
    starts: Arc<Mutex<HashMap<String, Instant>>>,
}

impl WatchPacing {
    pub fn new(min_gap: Duration) -> WatchPacing {
        WatchPacing {
            min_gap,
            starts: Arc::default(),
        }
    }

    /// How long a request for `path` with `query` waits before it is sent.
    fn delay(&self, path: &str, query: &str, now: Instant) -> Duration {
        let watch = query
            .split('&')
            .any(|p| p == "watch=true" || p == "watch=1");
        if !watch {
            return Duration::ZERO;
        }
        let mut starts = self.starts.lock().unwrap_or_else(|e| e.into_inner());
        let start = starts
            .get(path)
            .map_or(now, |prev| (*prev + self.min_gap).max(now));
        starts.insert(path.to_string(), start);
        start - now
    }
}

impl<S> tower_layer::Layer<S> for WatchPacing {
    type Service = Paced<S>;
    fn layer(&self, inner: S) -> Paced<S> {
        Paced {
            inner: Arc::new(tokio::sync::Mutex::new(inner)),
            pacing: self.clone(),
        }
    }
}

/// The client's service stack behind the pacing. kube's stack is not `Clone`, so a delayed
/// request takes the lock only to be handed over, after its wait.
pub struct Paced<S> {
    inner: Arc<tokio::sync::Mutex<S>>,
    pacing: WatchPacing,
}

impl<S, B> tower_service::Service<Request<B>> for Paced<S>
where
    S: tower_service::Service<Request<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    S::Response: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // Readiness is awaited in `call`, once the request's turn has come.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let uri = request.uri();
        let delay = self
            .pacing
            .delay(uri.path(), uri.query().unwrap_or(""), Instant::now());
        let inner = self.inner.clone();
        Box::pin(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let sent = {
                let mut svc = inner.lock().await;
                futures::future::poll_fn(|cx| svc.poll_ready(cx)).await?;
                svc.call(request)
            };
            sent.await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_watches_that_restart_quickly_wait() {
        let p = WatchPacing::new(Duration::from_secs(1));
        let t = Instant::now();
        let pods = "/api/v1/pods";
        assert_eq!(
            p.delay(pods, "watch=true&resourceVersion=5", t),
            Duration::ZERO
        );
        // Lists and gets are never delayed.
        assert_eq!(p.delay(pods, "limit=500", t), Duration::ZERO);
        // Another path has its own pace.
        assert_eq!(p.delay("/api/v1/nodes", "watch=true", t), Duration::ZERO);
        // Restarted at once: waits out the gap; again at once: one more gap.
        assert_eq!(p.delay(pods, "watch=true", t), Duration::from_secs(1));
        assert_eq!(p.delay(pods, "watch=1", t), Duration::from_secs(2));
        // A watch that lasted longer than the gap restarts at once.
        let later = t + Duration::from_secs(60);
        assert_eq!(p.delay(pods, "watch=true", later), Duration::ZERO);
    }
}
