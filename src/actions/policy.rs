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
    /// Replicas (and HPA minimums) below this need `--allow-scale-to-zero` (production: 1, so
    /// scaling a service to 0 is never one keystroke; elsewhere 0).
    #[serde(default)]
    pub min_replicas: u32,
    /// Scaling up or down by more than this factor (replicas, HPA bounds, nodes) needs
    /// `--allow-large-scale` (production: 5; elsewhere none).
    #[serde(default)]
    pub max_scale_factor: Option<u32>,
}

impl Policy {
    /// Defaults: production needs two approvals, a reason and a complete checklist.
    pub fn default_for(production: bool) -> Policy {
        Policy {
            approvals: if production { 2 } else { 1 },
            reason_required: production,
            checklist_required: production,
            window: None,
            min_replicas: if production { 1 } else { 0 },
            max_scale_factor: production.then_some(5),
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
    /// What a scaling action changes, as it stands now (None: not known here).
    pub scale: Option<ScaleFacts>,
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
            let approvers: Vec<&str> = gate.approvals.iter().map(|a| a.who.as_str()).collect();
            may_approve(ctx.who, Some(&gate.requested_by), &approvers)?;
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
        Action::Scale { .. } | Action::ScaleHpa { .. } | Action::ScaleNodegroup { .. } => {
            match &ctx.scale {
                Some(facts) => scale_guard(policy, action, facts).map_err(|r| r.to_string()),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// The gate-approval rule, the one place it is written: `who` may add an approval unless they
/// requested the rollout or already approved it. The dialog's pre-check and the CLI (through
/// `check`), the Kubernetes executor (on the object's latest annotations) and the demo call it.
/// `requested_by` None: nobody is recorded as having asked (a pause done outside opsdeck).
pub fn may_approve(
    who: &str,
    requested_by: Option<&str>,
    approvers: &[&str],
) -> Result<(), String> {
    if requested_by == Some(who) {
        return Err(format!(
            "{who} requested this rollout and cannot approve it"
        ));
    }
    if approvers.contains(&who) {
        return Err(format!("{who} already approved it"));
    }
    Ok(())
}

/// Approvals a gate needs: the policy is a floor, an object's own annotation may ask for more,
/// never for fewer; at least one.
pub fn required_approvals(policy: u32, object: Option<u32>) -> u32 {
    object.unwrap_or(0).max(policy).max(1)
}

/// Actions whose policy counts distinct approvers or forbids self-approval: they are recorded
/// under the identity the cluster verified, and refused when it cannot be established.
pub fn needs_verified_identity(action: &Action) -> bool {
    matches!(
        action,
        Action::Approve { .. } | Action::Reject { .. } | Action::TickChecklist { .. }
    )
}

/// The refusal when the cluster could not say who we are (`why`: what the lookup answered).
pub fn unverified_refusal(action: &Action, why: &str) -> String {
    format!(
        "{} needs the identity the cluster verifies, and it could not be established ({why}); \
         nothing was sent. Fix: a cluster that answers SelfSubjectReview \
         (authentication.k8s.io/v1, Kubernetes 1.28+) or, for EKS, AWS credentials STS accepts; \
         then try again (the lookup is retried on every action)",
        action.name()
    )
}

/// What a person acknowledged for a scaling action beyond the environment's limits: the CLI's
/// `--allow-scale-to-zero` / `--allow-large-scale`, or the word typed in the dialog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overrides {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scale_to_zero: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub large_scale: bool,
}

impl Overrides {
    pub fn is_none(&self) -> bool {
        !(self.scale_to_zero || self.large_scale)
    }

    pub fn allows(&self, o: Override) -> bool {
        match o {
            Override::ScaleToZero => self.scale_to_zero,
            Override::LargeScale => self.large_scale,
        }
    }

    pub fn with(mut self, o: Override) -> Overrides {
        match o {
            Override::ScaleToZero => self.scale_to_zero = true,
            Override::LargeScale => self.large_scale = true,
        }
        self
    }
}

/// A limit a person may knowingly go past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Override {
    /// Below the environment's `min_replicas` (production: to 0).
    ScaleToZero,
    /// By more than the environment's `max_scale_factor`.
    LargeScale,
}

impl Override {
    /// The CLI flag that says what it overrides.
    pub fn flag(self) -> &'static str {
        match self {
            Override::ScaleToZero => "--allow-scale-to-zero",
            Override::LargeScale => "--allow-large-scale",
        }
    }

    /// What the person types in the dialog to acknowledge it.
    pub fn word(self) -> &'static str {
        match self {
            Override::ScaleToZero => "scale-to-zero",
            Override::LargeScale => "large-scale",
        }
    }
}

/// What a scaling action changes, as it stands: the workload's desired replicas and its HPA's
/// bounds, or a nodegroup's min/desired/max.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleFacts {
    Workload {
        desired: u32,
        hpa: Option<(u32, u32)>,
    },
    Nodegroup {
        min: u32,
        desired: u32,
        max: u32,
    },
}

/// Why a scaling action is refused; `needs` names the acknowledgement that would let it go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleRefusal {
    pub why: String,
    pub needs: Option<Override>,
}

impl std::fmt::Display for ScaleRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.needs {
            Some(o) => write!(
                f,
                "{}: to do it anyway, pass {} (command line) or type {} in the dialog",
                self.why,
                o.flag(),
                o.word()
            ),
            None => f.write_str(&self.why),
        }
    }
}

/// Kubernetes keeps replica counts and HPA bounds in int32.
const INT32_MAX: u32 = i32::MAX as u32;

/// The scaling guards, the one place they are written: int32, HPA bounds, the environment's
/// `min_replicas` and `max_scale_factor`. The dialog, the CLI (through `check`), the
/// Kubernetes executor (on the object's latest state) and the demo call it.
pub fn scale_guard(
    policy: &Policy,
    action: &Action,
    facts: &ScaleFacts,
) -> Result<(), ScaleRefusal> {
    let hard = |why: String| Err(ScaleRefusal { why, needs: None });
    let (allow, what, before, after, floor) = match (action, facts) {
        (
            Action::Scale {
                replicas, allow, ..
            },
            ScaleFacts::Workload { desired, hpa },
        ) => {
            let r = *replicas;
            if r > INT32_MAX {
                return hard(format!(
                    "{r} replicas is more than Kubernetes can hold (at most {INT32_MAX}, int32)"
                ));
            }
            if let Some((min, max)) = *hpa
                && r != 0
                && (r < min || r > max)
            {
                return hard(format!(
                    "an HPA keeps this workload between {min} and {max} replicas and would undo \
                     {r} at once; change the HPA's bounds instead (opsdeck hpa --min --max)"
                ));
            }
            (*allow, "replicas", *desired, r, r)
        }
        (
            Action::ScaleHpa {
                min, max, allow, ..
            },
            ScaleFacts::Workload { hpa, .. },
        ) => {
            if *min < 1 || min > max {
                return hard(format!(
                    "HPA bounds must satisfy 1 <= min <= max (got min {min}, max {max})"
                ));
            }
            if *max > INT32_MAX {
                return hard(format!(
                    "HPA max {max} is more than Kubernetes can hold (at most {INT32_MAX}, int32)"
                ));
            }
            let Some((_, old_max)) = *hpa else {
                return Ok(());
            };
            (*allow, "HPA max", old_max, *max, *min)
        }
        (
            Action::ScaleNodegroup {
                min,
                desired,
                max,
                allow,
                ..
            },
            ScaleFacts::Nodegroup { desired: now, .. },
        ) => {
            if !(min <= desired && desired <= max) {
                return hard(format!(
                    "nodegroup sizes must be min <= desired <= max, not {min}/{desired}/{max}"
                ));
            }
            if *max > INT32_MAX {
                return hard(format!(
                    "nodegroup max {max} is more than EKS can hold (at most {INT32_MAX})"
                ));
            }
            // Nodes have no min_replicas; emptying a nodegroup is the "to zero" here.
            let floor = if *desired == 0 && policy.min_replicas > 0 {
                0
            } else {
                u32::MAX
            };
            (*allow, "nodes", *now, *desired, floor)
        }
        _ => return Ok(()),
    };
    if floor < policy.min_replicas && !allow.scale_to_zero {
        let why = if floor == 0 {
            format!("scaling {what} to 0 stops the service in this environment")
        } else {
            format!(
                "{floor} is below this environment's min_replicas ({})",
                policy.min_replicas
            )
        };
        return Err(ScaleRefusal {
            why,
            needs: Some(Override::ScaleToZero),
        });
    }
    if let Some(f) = policy.max_scale_factor
        && !allow.large_scale
        && after != 0
    {
        let (b, a) = (u64::from(before.max(1)), u64::from(after));
        let f64_ = u64::from(f.max(1));
        if a > b * f64_ || a * f64_ < b {
            return Err(ScaleRefusal {
                why: format!(
                    "{what} {before} → {after} is more than {f}× (this environment's max_scale_factor)"
                ),
                needs: Some(Override::LargeScale),
            });
        }
    }
    Ok(())
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
            scale: None,
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
            from_version: None,
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

    fn scale(replicas: u32, allow: Overrides) -> Action {
        Action::Scale {
            replicas,
            reason: "r".into(),
            allow,
        }
    }

    const NONE: Overrides = Overrides {
        scale_to_zero: false,
        large_scale: false,
    };

    fn workload(desired: u32, hpa: Option<(u32, u32)>) -> ScaleFacts {
        ScaleFacts::Workload { desired, hpa }
    }

    #[test]
    fn the_approval_rule_is_one_function() {
        assert_eq!(may_approve("lee", Some("deploy-bot"), &["maria"]), Ok(()));
        assert!(
            may_approve("deploy-bot", Some("deploy-bot"), &[])
                .unwrap_err()
                .contains("requested this rollout and cannot approve it")
        );
        assert!(
            may_approve("maria", Some("deploy-bot"), &["maria"])
                .unwrap_err()
                .contains("already approved")
        );
        // Nobody recorded as asking (a pause done outside opsdeck): nobody is a self-approver.
        assert_eq!(may_approve("lee", None, &[]), Ok(()));
        assert_eq!(required_approvals(2, None), 2);
        assert_eq!(
            required_approvals(2, Some(3)),
            3,
            "an object may ask for more"
        );
        assert_eq!(required_approvals(2, Some(1)), 2, "never for fewer");
        assert_eq!(required_approvals(0, None), 1);
    }

    #[test]
    fn identity_is_needed_where_approvers_are_counted() {
        assert!(needs_verified_identity(&approve("x")));
        assert!(needs_verified_identity(&Action::Reject {
            reason: "x".into()
        }));
        assert!(needs_verified_identity(&Action::TickChecklist {
            item: "Runbook updated".into(),
            version: "1".into(),
            reason: String::new(),
        }));
        assert!(!needs_verified_identity(&scale(3, NONE)));
        let why = unverified_refusal(&approve("x"), "SelfSubjectReview: 404");
        assert!(
            why.contains("approve needs the identity") && why.contains("404"),
            "{why}"
        );
    }

    #[test]
    fn production_refuses_scaling_to_zero_unless_acknowledged() {
        let p = Policy::default_for(true);
        let r = scale_guard(&p, &scale(0, NONE), &workload(6, None)).unwrap_err();
        assert_eq!(r.needs, Some(Override::ScaleToZero));
        let text = r.to_string();
        assert!(
            text.contains("to 0") && text.contains("--allow-scale-to-zero"),
            "{text}"
        );
        let ack = NONE.with(Override::ScaleToZero);
        assert_eq!(scale_guard(&p, &scale(0, ack), &workload(6, None)), Ok(()));
        // Outside production: no floor.
        let dev = Policy::default_for(false);
        assert_eq!(
            scale_guard(&dev, &scale(0, NONE), &workload(6, None)),
            Ok(())
        );
        // A configured floor above 1.
        let mut floor = Policy::default_for(true);
        floor.min_replicas = 3;
        let r = scale_guard(&floor, &scale(2, NONE), &workload(6, None)).unwrap_err();
        assert!(r.why.contains("min_replicas (3)"), "{}", r.why);
    }

    #[test]
    fn production_refuses_more_than_five_times_unless_acknowledged() {
        let p = Policy::default_for(true);
        assert_eq!(
            scale_guard(&p, &scale(30, NONE), &workload(6, None)),
            Ok(())
        );
        let r = scale_guard(&p, &scale(31, NONE), &workload(6, None)).unwrap_err();
        assert_eq!(r.needs, Some(Override::LargeScale));
        assert!(r.to_string().contains("--allow-large-scale"), "{r}");
        // 100000 replicas: refused without the flag, allowed with it.
        assert!(scale_guard(&p, &scale(100_000, NONE), &workload(6, None)).is_err());
        let ack = NONE.with(Override::LargeScale);
        assert_eq!(
            scale_guard(&p, &scale(100_000, ack), &workload(6, None)),
            Ok(())
        );
        // Down by more than 5× too.
        assert!(scale_guard(&p, &scale(1, NONE), &workload(12, None)).is_err());
        assert_eq!(
            scale_guard(&p, &scale(3, NONE), &workload(12, None)),
            Ok(())
        );
        // From 0: the factor counts from 1.
        assert_eq!(scale_guard(&p, &scale(5, NONE), &workload(0, None)), Ok(()));
        assert!(scale_guard(&p, &scale(6, NONE), &workload(0, None)).is_err());
        // Outside production (no factor configured): anything within int32.
        let dev = Policy::default_for(false);
        assert_eq!(
            scale_guard(&dev, &scale(100_000, NONE), &workload(6, None)),
            Ok(())
        );
    }

    #[test]
    fn int32_and_hpa_bounds_are_hard_limits() {
        let dev = Policy::default_for(false);
        let all = Overrides {
            scale_to_zero: true,
            large_scale: true,
        };
        let r = scale_guard(&dev, &scale(u32::MAX, all), &workload(6, None)).unwrap_err();
        assert_eq!(r.needs, None, "no flag overrides int32");
        assert!(r.why.contains("2147483647"), "{}", r.why);
        assert_eq!(
            scale_guard(&dev, &scale(i32::MAX as u32, all), &workload(6, None)),
            Ok(())
        );
        // An HPA would undo replicas outside its bounds at once.
        let r = scale_guard(&dev, &scale(20, all), &workload(6, Some((3, 12)))).unwrap_err();
        assert_eq!(r.needs, None);
        assert!(
            r.why.contains("between 3 and 12") && r.why.contains("opsdeck hpa"),
            "{}",
            r.why
        );
        assert!(scale_guard(&dev, &scale(2, all), &workload(6, Some((3, 12)))).is_err());
        assert_eq!(
            scale_guard(&dev, &scale(9, NONE), &workload(6, Some((3, 12)))),
            Ok(())
        );
    }

    #[test]
    fn hpa_bounds_and_nodegroups_have_the_same_guards() {
        let p = Policy::default_for(true);
        let hpa = |min, max, allow| Action::ScaleHpa {
            min,
            max,
            reason: "r".into(),
            allow,
        };
        let now = workload(6, Some((3, 12)));
        assert_eq!(scale_guard(&p, &hpa(3, 60, NONE), &now), Ok(()));
        let r = scale_guard(&p, &hpa(3, 61, NONE), &now).unwrap_err();
        assert_eq!(r.needs, Some(Override::LargeScale));
        assert!(r.why.contains("HPA max 12 → 61"), "{}", r.why);
        assert!(
            scale_guard(&p, &hpa(0, 12, NONE), &now)
                .unwrap_err()
                .needs
                .is_none()
        );
        assert!(scale_guard(&p, &hpa(5, 4, NONE), &now).is_err());
        let big = (i32::MAX as u32) + 1;
        assert!(scale_guard(&p, &hpa(3, big, NONE.with(Override::LargeScale)), &now).is_err());

        let ng = |min, desired, max, allow| Action::ScaleNodegroup {
            min,
            desired,
            max,
            reason: "r".into(),
            allow,
        };
        let nodes = ScaleFacts::Nodegroup {
            min: 2,
            desired: 4,
            max: 10,
        };
        let r = scale_guard(&p, &ng(0, 0, 10, NONE), &nodes).unwrap_err();
        assert_eq!(r.needs, Some(Override::ScaleToZero));
        assert_eq!(
            scale_guard(&p, &ng(0, 0, 10, NONE.with(Override::ScaleToZero)), &nodes),
            Ok(())
        );
        let r = scale_guard(&p, &ng(2, 40, 50, NONE), &nodes).unwrap_err();
        assert_eq!(r.needs, Some(Override::LargeScale));
        assert!(
            scale_guard(&p, &ng(5, 4, 10, NONE), &nodes)
                .unwrap_err()
                .needs
                .is_none()
        );
        assert_eq!(scale_guard(&p, &ng(2, 8, 10, NONE), &nodes), Ok(()));
    }

    #[test]
    fn check_applies_the_scaling_guards() {
        let p = Policy::default_for(true);
        let mut c = ctx("lee", None);
        c.scale = Some(workload(6, None));
        let err = check(&p, &scale(0, NONE), &c).unwrap_err();
        assert!(err.contains("--allow-scale-to-zero"), "{err}");
        assert_eq!(check(&p, &scale(6, NONE), &c), Ok(()));
    }
}
