//! One cluster's health from its watchers and its liveness probe: which resources are synced,
//! forbidden or failing, and whether the API server answers at all. Pure.

use super::model::Resource;
use crate::domain::{SourceHealth, SourceStatus, Timestamp};
use std::collections::BTreeMap;

/// Why a request failed, in the terms the console shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// 403: this resource is not visible to us; the rest still works.
    Forbidden(String),
    /// 401: the credentials were rejected.
    Unauthorized(String),
    /// The watch's resourceVersion expired (410): the watcher relists by itself. Not an error.
    Expired,
    /// The server does not serve this resource (404).
    NotServed,
    /// No answer: connection refused, reset, timed out, DNS.
    Unreachable(String),
    /// An open watch brought no event and no bookmark for longer than the server's bookmark
    /// interval: data is not flowing, though the server may still answer.
    Stalled(String),
    /// An answer we could not read (a body cut short, a line that is not a watch event): a
    /// failure, not a sign of life.
    BadAnswer(String),
    /// Anything else (5xx).
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum WatchState {
    Syncing,
    Synced,
    Forbidden(String),
    Unauthorized(String),
    Failing(String),
    Stalled(String),
}

/// A watch is identified by its resource and namespace (None: all namespaces).
pub type WatchId = (Resource, Option<String>);

#[derive(Debug, Clone, PartialEq)]
pub struct HealthTracker {
    watches: BTreeMap<WatchId, WatchState>,
    unreachable: Option<String>,
    last_contact: Option<Timestamp>,
    /// Permanent notes, e.g. TLS verification disabled by the kubeconfig.
    warnings: Vec<String>,
    /// Set before any watch exists: the client could not be built.
    setup_error: Option<String>,
    /// When each watch last reported a failure (see `settle`).
    last_failure: BTreeMap<WatchId, Timestamp>,
    /// An object a watch skipped because it could not be read (the latest), until it relists.
    unreadable: BTreeMap<WatchId, String>,
    /// When each watch last brought data: a stalled watch's data is as old as this.
    last_data: BTreeMap<WatchId, Timestamp>,
    /// When each failed watch tries again, until it brings data.
    retry_at: BTreeMap<WatchId, Timestamp>,
}

impl HealthTracker {
    pub fn new() -> HealthTracker {
        HealthTracker {
            watches: BTreeMap::new(),
            unreachable: None,
            last_contact: None,
            warnings: Vec::new(),
            setup_error: None,
            last_failure: BTreeMap::new(),
            unreadable: BTreeMap::new(),
            last_data: BTreeMap::new(),
            retry_at: BTreeMap::new(),
        }
    }

    pub fn add_watch(&mut self, id: WatchId) {
        self.watches.insert(id, WatchState::Syncing);
    }

    pub fn warn(&mut self, note: impl Into<String>) {
        self.warnings.push(note.into());
    }

    pub fn setup_failed(&mut self, why: impl Into<String>) {
        self.setup_error = Some(why.into());
    }

    pub fn setup_ok(&mut self) {
        self.setup_error = None;
    }

    /// The server answered something.
    pub fn contact(&mut self, now: Timestamp) {
        self.unreachable = None;
        self.last_contact = Some(now);
    }

    /// A watch delivered an event (its list completed, or an object changed).
    pub fn delivered(&mut self, id: &WatchId, synced: bool, now: Timestamp) {
        self.contact(now);
        self.last_data.insert(id.clone(), now);
        self.retry_at.remove(id);
        if let Some(state) = self.watches.get_mut(id)
            && (synced || !matches!(state, WatchState::Syncing))
        {
            *state = WatchState::Synced;
        }
    }

    pub fn failed(&mut self, id: &WatchId, failure: Failure, now: Timestamp) {
        let state = match failure {
            Failure::Expired => return,
            Failure::Unreachable(why) => {
                self.unreachable = Some(why);
                return;
            }
            Failure::Forbidden(why) => WatchState::Forbidden(why),
            Failure::Unauthorized(why) => WatchState::Unauthorized(why),
            Failure::NotServed => WatchState::Failing("not served by this API server".into()),
            Failure::Stalled(why) => WatchState::Stalled(why),
            Failure::BadAnswer(why) | Failure::Other(why) => WatchState::Failing(why),
        };
        // Not contact: an error or an unreadable answer is no data (the probe, when it runs,
        // says whether the server answers).
        self.watches.insert(id.clone(), state);
        self.last_failure.insert(id.clone(), now);
    }

    /// A failed watch tries again at `at` (its backoff step).
    pub fn retrying(&mut self, id: &WatchId, at: Timestamp) {
        self.retry_at.insert(id.clone(), at);
    }

    /// A watch is alive: a bookmark arrived, or its watch started again after a failure (the
    /// server answered it). Its failure, if any, is over.
    pub fn alive(&mut self, id: &WatchId, now: Timestamp) {
        self.delivered(id, false, now);
    }

    /// A (re)list starts: what it skipped before is forgotten.
    pub fn listing(&mut self, id: &WatchId) {
        self.unreadable.remove(id);
    }

    /// An object the watch could not read was skipped (`ns/name: why`).
    pub fn unreadable(&mut self, id: &WatchId, why: String) {
        self.unreadable.insert(id.clone(), why);
    }

    /// Clear the failures of watches that stopped failing.
    ///
    /// A watcher that resumes after an error (a watch, not a list) says nothing when the new watch
    /// starts: a quiet resource sends no event, so `delivered` never comes and the failure would
    /// stay on screen forever. But a failing watcher reports again at every retry, and retries
    /// come at most `quiet` apart; a failure older than that, with the server answering, is over.
    pub fn settle(&mut self, now: Timestamp, quiet: std::time::Duration) {
        if self.unreachable.is_some() {
            return;
        }
        let quiet = jiff::SignedDuration::try_from(quiet).unwrap_or(jiff::SignedDuration::MAX);
        for (id, state) in self.watches.iter_mut() {
            let over = self
                .last_failure
                .get(id)
                .is_some_and(|at| now.duration_since(*at) > quiet);
            if over
                && matches!(
                    state,
                    WatchState::Forbidden(_) | WatchState::Unauthorized(_) | WatchState::Failing(_)
                )
            {
                *state = WatchState::Synced;
                self.retry_at.remove(id);
            }
        }
    }

    /// Result of a liveness probe (`GET /version`).
    pub fn probed(&mut self, result: Result<(), String>, now: Timestamp) {
        match result {
            Ok(()) => self.contact(now),
            Err(why) => self.unreachable = Some(why),
        }
    }

    pub fn is_syncing(&self) -> bool {
        self.watches.values().any(|s| *s == WatchState::Syncing)
    }

    pub fn health(&self) -> SourceHealth {
        let status = self.status();
        // While a watch is stalled the server may still answer, but that resource's data is
        // as old as the last thing its watch brought.
        let stalled_since = self
            .watches
            .iter()
            .filter(|(_, s)| matches!(s, WatchState::Stalled(_)))
            .filter_map(|(id, _)| self.last_data.get(id))
            .min()
            .copied();
        // The first failed watch to try again is when the cluster is next asked.
        let next_retry = match status {
            SourceStatus::Live => None,
            _ => self.retry_at.values().min().copied(),
        };
        SourceHealth {
            status,
            last_data: stalled_since.or(self.last_contact),
            reports_every_secs: None,
            next_retry,
        }
    }

    fn status(&self) -> SourceStatus {
        if let Some(why) = &self.setup_error {
            return SourceStatus::Failed(why.clone());
        }
        if let Some(why) = &self.unreachable {
            return SourceStatus::Stale(why.clone());
        }
        let named = |pred: fn(&WatchState) -> Option<&String>| -> Vec<String> {
            let mut v: Vec<String> = self
                .watches
                .iter()
                .filter_map(|((r, ns), s)| {
                    pred(s).map(|why| match ns {
                        Some(ns) => format!("{} in {ns}: {why}", r.plural()),
                        None => format!("{}: {why}", r.plural()),
                    })
                })
                .collect();
            v.dedup();
            v
        };
        let unauthorized = named(|s| match s {
            WatchState::Unauthorized(w) => Some(w),
            _ => None,
        });
        // Counted on the watches, not on the names: two watches of one resource (the Warning
        // and the action Events) share a name, deduplicated above.
        let all_unauthorized = !self.watches.is_empty()
            && self
                .watches
                .values()
                .all(|s| matches!(s, WatchState::Unauthorized(_)));
        if all_unauthorized {
            return SourceStatus::Failed(format!("credentials rejected: {}", unauthorized[0]));
        }
        let stalled = named(|s| match s {
            WatchState::Stalled(w) => Some(w),
            _ => None,
        });
        if !stalled.is_empty() {
            return SourceStatus::Stale(stalled.join("; "));
        }
        if self.is_syncing() {
            return SourceStatus::Connecting;
        }
        let mut problems = unauthorized;
        problems.extend(named(|s| match s {
            WatchState::Forbidden(w) | WatchState::Failing(w) => Some(w),
            _ => None,
        }));
        problems.extend(self.unreadable.iter().map(|((r, _), why)| {
            format!("{}: skipped an object it cannot read: {why}", r.plural())
        }));
        problems.extend(self.warnings.iter().cloned());
        if problems.is_empty() {
            SourceStatus::Live
        } else {
            SourceStatus::Degraded(problems.join("; "))
        }
    }
}

impl Default for HealthTracker {
    fn default() -> Self {
        HealthTracker::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    fn tracker() -> HealthTracker {
        let mut h = HealthTracker::new();
        h.add_watch((Resource::Pods, None));
        h.add_watch((Resource::Deployments, None));
        h
    }

    #[test]
    fn connecting_until_every_watch_synced() {
        let mut h = tracker();
        assert_eq!(h.health().status, SourceStatus::Connecting);
        h.delivered(&(Resource::Pods, None), false, t(1));
        h.delivered(&(Resource::Pods, None), true, t(1));
        assert_eq!(h.health().status, SourceStatus::Connecting);
        h.delivered(&(Resource::Deployments, None), true, t(2));
        assert_eq!(h.health(), SourceHealth::live(t(2)));
    }

    #[test]
    fn forbidden_resource_degrades_and_names_it() {
        let mut h = tracker();
        h.delivered(&(Resource::Deployments, None), true, t(1));
        h.failed(
            &(Resource::Pods, None),
            Failure::Forbidden("pods is forbidden: User \"x\" cannot list".into()),
            t(2),
        );
        match h.health().status {
            SourceStatus::Degraded(why) => {
                assert!(why.starts_with("pods: pods is forbidden"), "{why}")
            }
            s => panic!("{s:?}"),
        }
        // Probes succeeding do not hide the forbidden resource.
        h.probed(Ok(()), t(3));
        assert!(matches!(h.health().status, SourceStatus::Degraded(_)));
    }

    #[test]
    fn every_watch_unauthorized_is_failed_even_when_two_share_a_resource() {
        let mut h = tracker();
        h.add_watch((Resource::Events, None));
        h.add_watch((Resource::ActionEvents, None));
        for r in [
            Resource::Pods,
            Resource::Deployments,
            Resource::Events,
            Resource::ActionEvents,
        ] {
            h.failed(
                &(r, None),
                Failure::Unauthorized("401 Unauthorized".into()),
                t(1),
            );
        }
        assert!(
            matches!(&h.health().status, SourceStatus::Failed(w) if w.starts_with("credentials rejected")),
            "{:?}",
            h.health().status
        );
    }

    #[test]
    fn a_failure_that_stops_repeating_is_over() {
        let quiet = std::time::Duration::from_secs(10);
        let mut h = tracker();
        h.delivered(&(Resource::Pods, None), true, t(1));
        h.delivered(&(Resource::Deployments, None), true, t(1));
        h.failed(
            &(Resource::Pods, None),
            Failure::Other("HTTP 500".into()),
            t(2),
        );
        // Still failing at every retry: stays degraded.
        h.failed(
            &(Resource::Pods, None),
            Failure::Other("HTTP 500".into()),
            t(9),
        );
        h.settle(t(15), quiet);
        assert!(matches!(h.health().status, SourceStatus::Degraded(_)));
        // Unreachable: no verdict on the watches.
        h.probed(Err("refused".into()), t(30));
        h.settle(t(30), quiet);
        assert!(matches!(h.health().status, SourceStatus::Stale(_)));
        // Answering again, and no failure for longer than the retry interval: over.
        h.probed(Ok(()), t(31));
        h.settle(t(31), quiet);
        assert_eq!(h.health(), SourceHealth::live(t(31)));
    }

    #[test]
    fn unreachable_is_stale_with_last_contact_then_recovers() {
        let mut h = tracker();
        h.delivered(&(Resource::Pods, None), true, t(1));
        h.delivered(&(Resource::Deployments, None), true, t(1));
        h.failed(
            &(Resource::Pods, None),
            Failure::Unreachable("connection refused".into()),
            t(5),
        );
        let health = h.health();
        assert_eq!(
            health.status,
            SourceStatus::Stale("connection refused".into())
        );
        assert_eq!(health.last_data, Some(t(1)));
        h.probed(Err("no answer in 3s".into()), t(8));
        assert_eq!(
            h.health().status,
            SourceStatus::Stale("no answer in 3s".into())
        );
        h.probed(Ok(()), t(9));
        assert_eq!(h.health(), SourceHealth::live(t(9)));
    }

    #[test]
    fn expired_watch_is_not_a_problem() {
        let mut h = tracker();
        h.delivered(&(Resource::Pods, None), true, t(1));
        h.delivered(&(Resource::Deployments, None), true, t(1));
        h.failed(&(Resource::Pods, None), Failure::Expired, t(2));
        assert_eq!(h.health(), SourceHealth::live(t(1)));
    }

    #[test]
    fn all_unauthorized_fails_and_setup_errors_win() {
        let mut h = tracker();
        h.failed(
            &(Resource::Pods, None),
            Failure::Unauthorized("401".into()),
            t(1),
        );
        h.failed(
            &(Resource::Deployments, None),
            Failure::Unauthorized("401".into()),
            t(1),
        );
        assert!(matches!(h.health().status, SourceStatus::Failed(_)));
        h.setup_failed("kubeconfig: context \"x\" not found");
        assert_eq!(
            h.health().status,
            SourceStatus::Failed("kubeconfig: context \"x\" not found".into())
        );
    }

    #[test]
    fn warnings_show_as_degraded() {
        let mut h = tracker();
        h.warn("TLS verification disabled");
        h.delivered(&(Resource::Pods, None), true, t(1));
        h.delivered(&(Resource::Deployments, None), true, t(1));
        assert_eq!(
            h.health().status,
            SourceStatus::Degraded("TLS verification disabled".into())
        );
    }

    #[test]
    fn a_stalled_watch_is_stale_with_its_own_age_until_data_flows() {
        let mut h = tracker();
        h.delivered(&(Resource::Pods, None), true, t(1));
        h.delivered(&(Resource::Deployments, None), true, t(5));
        h.failed(
            &(Resource::Pods, None),
            Failure::Stalled("watch stalled: no event or bookmark for 90s".into()),
            t(91),
        );
        // The server still answers /version: the pods' data is still as old as it is.
        h.probed(Ok(()), t(92));
        let health = h.health();
        assert!(
            matches!(&health.status, SourceStatus::Stale(w) if w.starts_with("pods: watch stalled")),
            "{health:?}"
        );
        assert_eq!(health.last_data, Some(t(1)));
        // Quiet for long: a stall is not over by itself, only by data.
        h.settle(t(400), std::time::Duration::from_secs(10));
        assert!(matches!(h.health().status, SourceStatus::Stale(_)));
        h.alive(&(Resource::Pods, None), t(401));
        assert_eq!(h.health(), SourceHealth::live(t(401)));
    }

    #[test]
    fn a_failure_is_no_contact() {
        let mut h = tracker();
        h.delivered(&(Resource::Pods, None), true, t(1));
        h.delivered(&(Resource::Deployments, None), true, t(1));
        h.failed(
            &(Resource::Pods, None),
            Failure::BadAnswer("unreadable answer".into()),
            t(9),
        );
        let health = h.health();
        assert!(matches!(health.status, SourceStatus::Degraded(_)));
        assert_eq!(health.last_data, Some(t(1)), "the age keeps growing");
    }

    #[test]
    fn the_next_retry_is_the_first_failed_watch_to_try_again_until_data_comes() {
        let mut h = tracker();
        let pods = (Resource::Pods, None);
        let hpas = (Resource::Deployments, None);
        h.delivered(&pods, true, t(1));
        h.delivered(&hpas, true, t(1));
        h.failed(&pods, Failure::Other("HTTP 500".into()), t(2));
        h.retrying(&pods, t(6));
        h.failed(&hpas, Failure::Other("HTTP 500".into()), t(3));
        h.retrying(&hpas, t(4));
        assert_eq!(h.health().next_retry, Some(t(4)));
        h.delivered(&hpas, false, t(4));
        assert_eq!(h.health().next_retry, Some(t(6)), "hpas retried and work");
        h.delivered(&pods, false, t(6));
        assert_eq!(h.health().status, SourceStatus::Live);
        assert_eq!(h.health().next_retry, None);
    }

    #[test]
    fn an_unreadable_object_degrades_until_the_next_listing() {
        let mut h = tracker();
        h.delivered(&(Resource::Pods, None), true, t(1));
        h.delivered(&(Resource::Deployments, None), true, t(1));
        h.unreadable(&(Resource::Pods, None), "ns/p: out of range".into());
        assert_eq!(
            h.health().status,
            SourceStatus::Degraded(
                "pods: skipped an object it cannot read: ns/p: out of range".into()
            )
        );
        h.listing(&(Resource::Pods, None));
        assert_eq!(h.health().status, SourceStatus::Live);
    }
}
