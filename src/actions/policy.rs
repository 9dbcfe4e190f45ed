//! Per-environment release policy and the pure checks that enforce it before anything is sent.
//! The executor re-checks what depends on the object's latest state (approvals, who asked).

use super::Action;
use crate::domain::{Gate, Timestamp};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Approvals a gate needs before the rollout resumes.
    pub approvals: u32,
    /// Every action needs a reason.
    pub reason_required: bool,
    /// A gate cannot be approved before the release's checklist is complete.
    pub checklist_required: bool,
    /// Changes (approvals that resume, rollbacks, scaling) only inside this window.
    pub window: Option<ChangeWindow>,
}

impl Policy {
    /// Defaults: production needs two approvals, a reason and a complete checklist.
    pub fn default_for(production: bool) -> Policy {
        Policy {
            approvals: if production { 2 } else { 1 },
            reason_required: production,
            checklist_required: production,
            window: None,
        }
    }
}

/// What the checks need to know about the world, gathered by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckContext<'a> {
    pub now: Timestamp,
    pub who: &'a str,
    pub gate: Option<&'a Gate>,
    /// Open checklist items of the release the gate holds (empty: complete).
    pub checklist_open: Vec<String>,
}

/// Whether `action` may go ahead. The error says why not, in words for the person.
pub fn check(policy: &Policy, action: &Action, ctx: &CheckContext) -> Result<(), String> {
    if policy.reason_required && action.reason().trim().is_empty() {
        return Err("a reason is required here".into());
    }
    let changes_what_runs = action.is_destructive() || matches!(action, Action::Approve { .. });
    if changes_what_runs
        && let Some(w) = &policy.window
        && !w.contains(ctx.now)
    {
        return Err(format!("outside the change window ({w})"));
    }
    match action {
        Action::Approve { .. } => {
            let gate = ctx.gate.ok_or("nothing is waiting at a gate here")?;
            if gate.requested_by == ctx.who {
                return Err(format!(
                    "{} requested this rollout and cannot approve it",
                    ctx.who
                ));
            }
            if gate.approvals.iter().any(|a| a.who == ctx.who) {
                return Err(format!("{} already approved it", ctx.who));
            }
            if policy.checklist_required && !ctx.checklist_open.is_empty() {
                return Err(format!(
                    "the checklist is not complete: {} open ({})",
                    ctx.checklist_open.len(),
                    ctx.checklist_open.join(", ")
                ));
            }
            Ok(())
        }
        Action::Reject { .. } if ctx.gate.is_none() => {
            Err("nothing is waiting at a gate here".into())
        }
        _ => Ok(()),
    }
}

/// Weekdays and a time of day, in UTC: `Mon-Fri 09:00-17:00`, `Tue,Thu 10:00-12:00`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChangeWindow {
    /// Monday first.
    days: [bool; 7],
    start_min: u16,
    end_min: u16,
    text: String,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl ChangeWindow {
    pub fn parse(text: &str) -> Result<ChangeWindow, String> {
        let bad = || {
            format!(
                "change window {text:?}: expected days and hours in UTC, e.g. \"Mon-Fri 09:00-17:00\""
            )
        };
        let (days_text, hours) = text.trim().split_once(' ').ok_or_else(bad)?;
        let day = |d: &str| DAYS.iter().position(|x| x.eq_ignore_ascii_case(d.trim()));
        let mut days = [false; 7];
        for part in days_text.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (day(a).ok_or_else(bad)?, day(b).ok_or_else(bad)?);
                    let mut i = a;
                    loop {
                        days[i] = true;
                        if i == b {
                            break;
                        }
                        i = (i + 1) % 7;
                    }
                }
                None => days[day(part).ok_or_else(bad)?] = true,
            }
        }
        let (start, end) = hours.trim().split_once('-').ok_or_else(bad)?;
        let minutes = |t: &str| -> Option<u16> {
            let (h, m) = t.trim().split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
        };
        let (start_min, end_min) = (
            minutes(start).ok_or_else(bad)?,
            minutes(end).ok_or_else(bad)?,
        );
        if start_min >= end_min {
            return Err(format!(
                "change window {text:?}: the end must be after the start"
            ));
        }
        Ok(ChangeWindow {
            days,
            start_min,
            end_min,
            text: text.trim().to_string(),
        })
    }

    pub fn contains(&self, t: Timestamp) -> bool {
        let z = t.to_zoned(jiff::tz::TimeZone::UTC);
        let day = z.weekday().to_monday_zero_offset() as usize;
        let min = z.hour() as u16 * 60 + z.minute() as u16;
        self.days[day] && min >= self.start_min && min < self.end_min
    }
}

impl std::fmt::Display for ChangeWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} UTC", self.text)
    }
}

impl TryFrom<String> for ChangeWindow {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        ChangeWindow::parse(&s)
    }
}

impl From<ChangeWindow> for String {
    fn from(w: ChangeWindow) -> String {
        w.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Approval;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn gate() -> Gate {
        Gate {
            requested_by: "deploy-bot".into(),
            since: t("2026-11-23T09:00:00Z"),
            required: 2,
            approvals: vec![Approval {
                who: "maria".into(),
                at: t("2026-11-23T09:10:00Z"),
                reason: "ok".into(),
            }],
            version: "1.5.0".into(),
        }
    }

    fn ctx<'a>(who: &'a str, gate: Option<&'a Gate>) -> CheckContext<'a> {
        CheckContext {
            now: t("2026-11-23T10:00:00Z"), // a Monday
            who,
            gate,
            checklist_open: vec![],
        }
    }

    fn approve(reason: &str) -> Action {
        Action::Approve {
            reason: reason.into(),
        }
    }

    #[test]
    fn production_defaults() {
        let p = Policy::default_for(true);
        assert_eq!(
            (p.approvals, p.reason_required, p.checklist_required),
            (2, true, true)
        );
        assert_eq!(Policy::default_for(false).approvals, 1);
    }

    #[test]
    fn approvals_follow_the_rules() {
        let p = Policy::default_for(true);
        let g = gate();
        assert_eq!(
            check(&p, &approve("looks good"), &ctx("lee", Some(&g))),
            Ok(())
        );
        assert!(
            check(&p, &approve(" "), &ctx("lee", Some(&g)))
                .unwrap_err()
                .contains("reason")
        );
        assert!(
            check(&p, &approve("x"), &ctx("deploy-bot", Some(&g)))
                .unwrap_err()
                .contains("cannot approve")
        );
        assert!(
            check(&p, &approve("x"), &ctx("maria", Some(&g)))
                .unwrap_err()
                .contains("already")
        );
        assert!(
            check(&p, &approve("x"), &ctx("lee", None))
                .unwrap_err()
                .contains("gate")
        );
        let mut c = ctx("lee", Some(&g));
        c.checklist_open = vec!["Runbook updated".into()];
        assert!(
            check(&p, &approve("x"), &c)
                .unwrap_err()
                .contains("Runbook updated")
        );
        // Outside production the checklist does not hold the gate.
        assert_eq!(check(&Policy::default_for(false), &approve(""), &c), Ok(()));
    }

    #[test]
    fn change_window() {
        let w = ChangeWindow::parse("Mon-Fri 09:00-17:00").unwrap();
        assert!(w.contains(t("2026-11-23T09:00:00Z")));
        assert!(!w.contains(t("2026-11-23T17:00:00Z")));
        assert!(!w.contains(t("2026-11-22T12:00:00Z")), "a Sunday");
        let wrap = ChangeWindow::parse("Fri-Mon 10:00-11:00").unwrap();
        assert!(wrap.contains(t("2026-11-22T10:30:00Z")));
        assert!(!wrap.contains(t("2026-11-25T10:30:00Z")), "a Wednesday");
        assert!(ChangeWindow::parse("Mon-Fri").is_err());
        assert!(ChangeWindow::parse("Mon-Xyz 09:00-10:00").is_err());
        assert!(ChangeWindow::parse("Mon 10:00-09:00").is_err());
        let mut p = Policy::default_for(false);
        p.window = Some(ChangeWindow::parse("Sat-Sun 00:00-24:00").unwrap());
        let rollback = Action::Rollback {
            to_revision: None,
            reason: String::new(),
        };
        assert!(
            check(&p, &rollback, &ctx("lee", None))
                .unwrap_err()
                .contains("change window")
        );
        // Ticking a checklist item changes nothing that runs: allowed any time.
        let tick = Action::TickChecklist {
            item: "runbook".into(),
            version: "1.5.0".into(),
            reason: String::new(),
        };
        assert_eq!(check(&p, &tick, &ctx("lee", None)), Ok(()));
    }
}
