//! `ctrl-r` for polling sources: the console's `Executor::refresh` (a `watch::Sender<u64>`) is
//! bumped on `Effect::RefreshSources`; every poller holds a receiver and waits with
//! `Refresh::wait` instead of a bare sleep. A refresh makes the poller poll now instead of at
//! the end of its interval, but never sooner than `min_gap` after its previous poll: a refresh
//! inside that window is served when the window ends (not dropped), and several refreshes in
//! one window are one poll.

use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// The shortest time between two polls of one poller that a refresh may cause.
pub const MIN_GAP: Duration = Duration::from_secs(10);

/// Why `wait` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woke {
    /// The interval passed.
    Interval,
    /// Someone asked for a refresh.
    Refresh,
}

/// One poller's view of the refresh signal.
#[derive(Debug)]
pub struct Refresh {
    rx: Option<watch::Receiver<u64>>,
    min_gap: Duration,
    last_poll: Instant,
}

impl Refresh {
    /// `rx: None`: no refresh ever (the poller only keeps its interval).
    pub fn new(rx: Option<watch::Receiver<u64>>, min_gap: Duration) -> Refresh {
        let rx = rx.map(|mut r| {
            // Refreshes asked before this poller started are answered by its first poll.
            r.mark_unchanged();
            r
        });
        Refresh {
            rx,
            min_gap,
            last_poll: Instant::now(),
        }
    }

    /// Call when a poll starts: the gap is counted from here.
    pub fn polled(&mut self) {
        self.last_poll = Instant::now();
    }

    /// Wait until the next poll is due: `interval` after the last poll, or when a refresh is
    /// asked (at the earliest `min_gap` after the last poll).
    pub async fn wait(&mut self, interval: Duration) -> Woke {
        let mut due = self.last_poll + interval;
        let mut woke = Woke::Interval;
        loop {
            let changed = async {
                match self.rx.as_mut() {
                    Some(rx) => rx.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::time::sleep_until(due) => return woke,
                ok = changed => {
                    if ok {
                        let earliest = self.last_poll + self.min_gap;
                        if earliest < due {
                            due = earliest;
                            woke = Woke::Refresh;
                        }
                    } else {
                        // The console is gone: its channel closing ends the poller anyway.
                        self.rx = None;
                    }
                }
            }
        }
    }
}

/// The refresh signal for an event loop (a collector's `select!`), where a waiting future is
/// dropped and made again all the time: `due` completes when a refresh is to be served, at
/// most once per `gap`; one asked within the gap is served when the gap ends, not dropped.
pub struct Requests {
    rx: Option<tokio::sync::watch::Receiver<u64>>,
    gap: Duration,
    last: Option<tokio::time::Instant>,
    due_at: Option<tokio::time::Instant>,
}

impl Requests {
    pub fn new(rx: Option<tokio::sync::watch::Receiver<u64>>, gap: Duration) -> Requests {
        let rx = rx.map(|mut rx| {
            rx.mark_unchanged();
            rx
        });
        Requests {
            rx,
            gap,
            last: None,
            due_at: None,
        }
    }

    /// Completes when a refresh is to be served now. Cancel-safe (a `select!` branch).
    pub async fn due(&mut self) {
        loop {
            if let Some(at) = self.due_at {
                tokio::time::sleep_until(at).await;
                self.due_at = None;
                self.last = Some(tokio::time::Instant::now());
                // Every request asked until now is served by this one.
                if let Some(rx) = self.rx.as_mut() {
                    rx.borrow_and_update();
                }
                return;
            }
            match self.rx.as_mut() {
                Some(rx) => {
                    if rx.changed().await.is_err() {
                        self.rx = None;
                        continue;
                    }
                }
                None => std::future::pending::<()>().await,
            }
            let now = tokio::time::Instant::now();
            self.due_at = Some(self.last.map_or(now, |l| (l + self.gap).max(now)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    /// Polls a fake poller makes over `run`, with refreshes sent at the given offsets.
    async fn polls(min_gap: Duration, refreshes: &[u64], run: Duration) -> Vec<u64> {
        let (tx, rx) = watch::channel(0u64);
        let start = Instant::now();
        let poller = tokio::spawn(async move {
            let mut r = Refresh::new(Some(rx), min_gap);
            let mut at = Vec::new();
            loop {
                r.polled();
                at.push(start.elapsed().as_secs());
                if start.elapsed() >= run {
                    return at;
                }
                r.wait(HOUR).await;
            }
        });
        for s in refreshes {
            tokio::time::sleep_until(start + Duration::from_secs(*s)).await;
            tx.send_modify(|n| *n += 1);
        }
        tokio::time::sleep_until(start + run).await;
        tx.send_modify(|n| *n += 1);
        tokio::time::sleep(min_gap + Duration::from_secs(1)).await;
        poller.await.unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_refresh_polls_now_but_at_most_once_per_gap_and_none_is_dropped() {
        let gap = Duration::from_secs(10);
        // 30 s: polled at once (30 s after the poll at 0, past the gap).
        // 32, 33, 35: inside the window of the poll at 30: one poll, when the window ends (40).
        // 100: at once again.
        let at = polls(gap, &[30, 32, 33, 35, 100], Duration::from_secs(200)).await;
        assert_eq!(at, [0, 30, 40, 100, 200]);
    }

    #[tokio::test(start_paused = true)]
    async fn without_refreshes_the_interval_rules() {
        let (tx, rx) = watch::channel(0u64);
        let mut r = Refresh::new(Some(rx), MIN_GAP);
        r.polled();
        let start = Instant::now();
        assert_eq!(r.wait(Duration::from_secs(60)).await, Woke::Interval);
        assert_eq!(start.elapsed(), Duration::from_secs(60));
        // A refresh says so.
        r.polled();
        tx.send_modify(|n| *n += 1);
        let start = Instant::now();
        assert_eq!(r.wait(Duration::from_secs(60)).await, Woke::Refresh);
        assert_eq!(start.elapsed(), MIN_GAP);
        // A closed sender leaves the interval.
        drop(tx);
        r.polled();
        assert_eq!(r.wait(Duration::from_secs(60)).await, Woke::Interval);
        // No receiver at all: the same.
        let mut none = Refresh::new(None, MIN_GAP);
        assert_eq!(none.wait(Duration::from_secs(5)).await, Woke::Interval);
    }

    /// An event loop's requests: served at once, then at most once per gap (a burst is one),
    /// even though the loop drops and remakes the waiting future all the time.
    #[tokio::test(start_paused = true)]
    async fn requests_in_an_event_loop_are_served_once_per_gap() {
        let (tx, rx) = watch::channel(0u64);
        let start = Instant::now();
        let served = tokio::spawn(async move {
            let mut r = Requests::new(Some(rx), Duration::from_secs(10));
            let mut at = Vec::new();
            let mut tick = tokio::time::interval(Duration::from_millis(300));
            let end = start + Duration::from_secs(40);
            while Instant::now() < end {
                tokio::select! {
                    _ = r.due() => at.push((Instant::now() - start).as_secs()),
                    _ = tick.tick() => {}
                }
            }
            at
        });
        for secs in [1u64, 2, 3, 4, 30] {
            tokio::time::sleep_until(start + Duration::from_secs(secs)).await;
            tx.send_modify(|n| *n += 1);
        }
        assert_eq!(served.await.unwrap(), vec![1, 11, 30]);
    }
}
