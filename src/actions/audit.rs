//! The audit log: JSON lines, append-only, in the platform data directory. An action's entry is
//! written and flushed to disk *before* its request is sent, and a second line completes it, so
//! a crash in between leaves an entry marked incomplete rather than an action nobody recorded.
//! Reasons are the person's words; credentials never pass through here.

use super::{ActionError, ActionRequest, Outcome};
use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    /// Distinguishes entries begun in the same nanosecond by this process.
    seq: AtomicU64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Started,
    Done,
    Failed,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub id: String,
    pub at: Timestamp,
    pub phase: Phase,
    /// On `started` lines: the request and the state before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<ActionRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// On completion lines: what happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

/// An action as the Activity view shows it: its start, and its end if one was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub id: String,
    pub started: Timestamp,
    pub request: ActionRequest,
    pub before: String,
    /// None: no completion was written (the console died mid-action): incomplete.
    pub finished: Option<(Timestamp, Phase, String, String)>,
}

impl AuditLog {
    pub fn new(path: impl Into<PathBuf>) -> AuditLog {
        AuditLog {
            path: path.into(),
            seq: AtomicU64::new(0),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Record the start of an action, on disk, before its request is sent.
    pub fn begin(
        &self,
        request: &ActionRequest,
        before: &str,
        at: Timestamp,
    ) -> std::io::Result<String> {
        let id = format!(
            "{}-{}-{}",
            at.as_nanosecond(),
            std::process::id(),
            self.seq.fetch_add(1, Ordering::Relaxed)
        );
        self.append(&Line {
            id: id.clone(),
            at,
            phase: Phase::Started,
            request: Some(request.clone()),
            before: Some(before.to_string()),
            after: None,
            result: None,
        })?;
        Ok(id)
    }

    /// Complete an entry with the result.
    pub fn finish(
        &self,
        id: &str,
        result: &Result<Outcome, ActionError>,
        at: Timestamp,
    ) -> std::io::Result<()> {
        let (phase, after, text) = match result {
            Ok(o) => (Phase::Done, o.after.clone(), o.summary.clone()),
            Err(e) => (Phase::Failed, String::new(), e.to_string()),
        };
        self.append(&Line {
            id: id.to_string(),
            at,
            phase,
            request: None,
            before: None,
            after: Some(after),
            result: Some(text),
        })
    }

    fn append(&self, line: &Line) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut text = serde_json::to_string(line).map_err(std::io::Error::other)?;
        text.push('\n');
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        // One write per line: appends from several consoles do not interleave within a line.
        f.write_all(text.as_bytes())?;
        f.sync_data()
    }

    /// Every action in the log, oldest first. Unreadable lines are skipped (a torn last line
    /// after a crash must not hide the rest).
    pub fn read(&self) -> std::io::Result<Vec<Record>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut records: Vec<Record> = Vec::new();
        for line in text.lines() {
            let Ok(l) = serde_json::from_str::<Line>(line) else {
                continue;
            };
            match (l.phase, l.request) {
                (Phase::Started, Some(request)) => records.push(Record {
                    id: l.id,
                    started: l.at,
                    request,
                    before: l.before.unwrap_or_default(),
                    finished: None,
                }),
                (phase @ (Phase::Done | Phase::Failed), _) => {
                    if let Some(r) = records.iter_mut().rev().find(|r| r.id == l.id) {
                        r.finished = Some((
                            l.at,
                            phase,
                            l.after.unwrap_or_default(),
                            l.result.unwrap_or_default(),
                        ));
                    }
                }
                _ => {}
            }
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, Target, TargetKind};
    use crate::domain::{ClusterId, WorkloadKey};

    fn request() -> ActionRequest {
        ActionRequest {
            target: Target {
                cluster: ClusterId::parse("prod", "eu-west-1", "prod-euw1").unwrap(),
                workload: WorkloadKey::new("payments", "checkout-api"),
                kind: TargetKind::Deployment,
            },
            action: Action::Rollback {
                to_revision: None,
                reason: "5xx after 1.5.0".into(),
                from_version: None,
            },
            who: "lee".into(),
            local_user: String::new(),
        }
    }

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn begin_is_on_disk_before_the_request_and_finish_completes_it() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("audit/audit.jsonl"));
        let id = log
            .begin(&request(), "1.5.0 (rev 8)", t("2026-11-21T14:00:00Z"))
            .unwrap();
        // A second reader (another process) sees the started entry already.
        let seen = AuditLog::new(log.path()).read().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].finished, None, "incomplete until finished");
        let outcome = Outcome {
            summary: "rolled back".into(),
            before: "1.5.0 (rev 8)".into(),
            after: "1.4.2 (rev 9)".into(),
        };
        log.finish(&id, &Ok(outcome), t("2026-11-21T14:00:01Z"))
            .unwrap();
        let done = log.read().unwrap();
        let (_, phase, after, result) = done[0].finished.clone().unwrap();
        assert_eq!(
            (phase, after.as_str(), result.as_str()),
            (Phase::Done, "1.4.2 (rev 9)", "rolled back")
        );
    }

    #[test]
    fn a_crash_mid_action_leaves_an_incomplete_entry_and_a_torn_line_hides_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        let first = log
            .begin(&request(), "a", t("2026-11-21T14:00:00Z"))
            .unwrap();
        log.finish(
            &first,
            &Err(ActionError::Forbidden("no".into())),
            t("2026-11-21T14:00:01Z"),
        )
        .unwrap();
        log.begin(&request(), "b", t("2026-11-21T14:01:00Z"))
            .unwrap();
        // The process dies while writing the completion: half a line.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(b"{\"id\":\"17").unwrap();
        let records = log.read().unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].finished.as_ref().unwrap().1, Phase::Failed);
        assert_eq!(records[1].finished, None);
        assert_eq!(records[1].before, "b");
    }

    #[test]
    fn ids_are_unique_within_a_nanosecond() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(dir.path().join("audit.jsonl"));
        let at = t("2026-11-21T14:00:00Z");
        let a = log.begin(&request(), "", at).unwrap();
        let b = log.begin(&request(), "", at).unwrap();
        assert_ne!(a, b);
    }
}
