//! The on-disk cache of Cost Explorer answers: one JSON file per distinct query, named by the
//! SHA-256 of the query's canonical form, written atomically (temp file + rename). Every Cost
//! Explorer request is billed, so an answer younger than the TTL is never asked for again, across
//! restarts too; an older one is still shown (with its age) while a refresh fails.

use super::cost_query::{CostAnswer, CostQuery};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The canonical query, to tell a hash collision (or a hand-edited file) from a hit.
    pub query: String,
    pub fetched_at: Timestamp,
    pub answer: CostAnswer,
}

impl Entry {
    pub fn fresh(&self, now: Timestamp, ttl: Duration) -> bool {
        let age = now.as_second() - self.fetched_at.as_second();
        // A file from the future (clock skew) is not trusted to be fresh for longer than the TTL.
        (0..ttl.as_secs() as i64).contains(&age)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct CostCache {
    dir: PathBuf,
}

impl CostCache {
    pub fn new(dir: impl Into<PathBuf>) -> CostCache {
        CostCache { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self, query: &CostQuery) -> PathBuf {
        let digest = Sha256::digest(query.canonical().as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        self.dir.join(format!("{hex}.json"))
    }

    /// The cached answer to `query`, however old (None: never fetched, or unreadable).
    pub fn get(&self, query: &CostQuery) -> Option<Entry> {
        let text = std::fs::read_to_string(self.path(query)).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        (entry.query == query.canonical()).then_some(entry)
    }

    pub fn put(
        &self,
        query: &CostQuery,
        answer: &CostAnswer,
        now: Timestamp,
    ) -> std::io::Result<Entry> {
        let entry = Entry {
            query: query.canonical(),
            fetched_at: now,
            answer: answer.clone(),
        };
        std::fs::create_dir_all(&self.dir)?;
        let path = self.path(query);
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let text = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)?;
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_expire() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CostCache::new(dir.path().join("ce"));
        let q = CostQuery::Forecast {
            start: "2026-11-21".parse().unwrap(),
            end: "2026-12-01".parse().unwrap(),
        };
        assert_eq!(cache.get(&q), None);
        let t = Timestamp::from_second(1_800_000_000).unwrap();
        cache
            .put(&q, &CostAnswer::Forecast { usd: 12.5 }, t)
            .unwrap();
        let e = cache.get(&q).unwrap();
        assert_eq!(e.answer, CostAnswer::Forecast { usd: 12.5 });
        let ttl = Duration::from_secs(6 * 3600);
        assert!(e.fresh(t + jiff::SignedDuration::from_hours(5), ttl));
        assert!(!e.fresh(t + jiff::SignedDuration::from_hours(6), ttl));
        assert!(!e.fresh(t - jiff::SignedDuration::from_hours(1), ttl));
        // Only the final file remains (written through a temp file and renamed).
        let files: Vec<_> = std::fs::read_dir(cache.dir()).unwrap().collect();
        assert_eq!(files.len(), 1);
        // Another query is another file.
        let other = CostQuery::Forecast {
            start: "2026-11-22".parse().unwrap(),
            end: "2026-12-01".parse().unwrap(),
        };
        assert_ne!(cache.path(&q), cache.path(&other));
    }
}
