//! The deployment checklist of a release (service + version + stage). Items come from the
//! standard list (design notes). The console verifies what it can see itself; people tick the
//! rest, and a tick must name one of those (`tickable_item`: the CLI and the console's dialog
//! both go through it).

use super::{FleetState, Health, PipelineRow};
use serde::Serialize;

/// The standard deployment checklist, in order.
pub const DEFAULT_CHECKLIST: [&str; 12] = [
    "Code review",
    "Tests passing",
    "Security scan",
    "Performance benchmarks",
    "Migrations tested",
    "Secrets configured",
    "Monitoring and alerts enabled",
    "Runbook updated",
    "Team notified",
    "Deployment window scheduled",
    "Rollback plan prepared",
    "Post-deployment validation",
];

/// The items the console verifies itself; people tick the others. "Monitoring and alerts
/// enabled" is verified only where an alert source reports for the stage; elsewhere a person
/// ticks it (see `release_checklist`).
pub const CONSOLE_VERIFIED: [&str; 3] = [
    "Monitoring and alerts enabled",
    "Rollback plan prepared",
    "Post-deployment validation",
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum CheckState {
    /// The console checked it and it holds; says what was checked.
    Verified(String),
    /// The console checked it and it does not hold; says why.
    Failed(String),
    /// Needs a person, who has not ticked it yet.
    NotTicked,
    /// A person ticked it (recorded on the workload in the cluster).
    Ticked { who: String, at: super::Timestamp },
}

impl CheckState {
    pub fn done(&self) -> bool {
        matches!(self, CheckState::Verified(_) | CheckState::Ticked { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    pub label: &'static str,
    pub state: CheckState,
    /// Whether the console verifies this item itself.
    pub verified_by_console: bool,
}

/// The checklist for releasing `row`'s candidate version into its `index`-th present stage
/// (see `PipelineRow::candidate`). Verified live: the service's alarms there are enabled and
/// none fire (where no alert source reports for the stage, a person ticks it instead); a
/// revision exists to roll back to; every earlier stage runs the version and is healthy.
pub fn release_checklist(fleet: &FleetState, row: &PipelineRow, index: usize) -> Vec<CheckItem> {
    let verified = |label| -> Option<CheckState> {
        match label {
            "Monitoring and alerts enabled" => monitoring(fleet, row, index),
            "Rollback plan prepared" => Some(rollback_plan(fleet, row, index)),
            "Post-deployment validation" => Some(earlier_stages(fleet, row, index)),
            _ => None,
        }
    };
    let ticks = ticks_for(fleet, row, index);
    DEFAULT_CHECKLIST
        .iter()
        .map(|&label| match verified(label) {
            Some(state) => CheckItem {
                label,
                state,
                verified_by_console: true,
            },
            None => CheckItem {
                label,
                state: ticks
                    .and_then(|t| t.items.get(label))
                    .map_or(CheckState::NotTicked, |a| CheckState::Ticked {
                        who: a.who.clone(),
                        at: a.at,
                    }),
                verified_by_console: false,
            },
        })
        .collect()
}

/// The ticks recorded for the candidate version on the stage's workload.
fn ticks_for<'a>(
    fleet: &'a FleetState,
    row: &PipelineRow,
    index: usize,
) -> Option<&'a super::ChecklistTicks> {
    let (s, candidate) = (row.present().nth(index)?, row.candidate(index)?);
    fleet
        .clusters()
        .get(&s.cluster)?
        .workloads
        .get(&row.key)?
        .checklist
        .as_ref()
        .filter(|t| t.version == candidate)
}

/// The item a person means to tick: `text` names a person-tickable item of this release's
/// checklist, in any letter case; the item's label is returned. A typo gets "did you mean", an
/// item the console verifies is refused (its state is what the console sees, not a tick).
pub fn tickable_item(
    fleet: &FleetState,
    row: &PipelineRow,
    index: usize,
    text: &str,
) -> Result<&'static str, String> {
    let items = release_checklist(fleet, row, index);
    let wanted = text.trim();
    if let Some(item) = items.iter().find(|i| i.label.eq_ignore_ascii_case(wanted)) {
        if item.verified_by_console {
            let now = match &item.state {
                CheckState::Verified(d) => format!("verified: {d}"),
                CheckState::Failed(d) => format!("not met: {d}"),
                _ => "open".into(),
            };
            return Err(format!(
                "\"{}\" is verified by the console, not ticked ({now}); fix what it checks \
                 instead",
                item.label
            ));
        }
        return Ok(item.label);
    }
    let tickable: Vec<&str> = items
        .iter()
        .filter(|i| !i.verified_by_console)
        .map(|i| i.label)
        .collect();
    let all: Vec<&str> = items.iter().map(|i| i.label).collect();
    Err(format!(
        "no checklist item \"{wanted}\"{}; the items a person ticks: {}",
        crate::hints::did_you_mean(wanted, all.iter().copied()),
        tickable.join(", ")
    ))
}

/// Labels of the items still open (neither verified nor ticked).
pub fn open_items(fleet: &FleetState, row: &PipelineRow, index: usize) -> Vec<String> {
    release_checklist(fleet, row, index)
        .into_iter()
        .filter(|i| !i.state.done())
        .map(|i| i.label.to_string())
        .collect()
}

/// Verified from the alert sources that report for the stage (CloudWatch, the demo's alarms):
/// the service's alarms there are enabled and none fire. None when no source reports any alarm
/// for the stage's environment and region: nothing to verify from, so a person ticks it.
fn monitoring(fleet: &FleetState, row: &PipelineRow, index: usize) -> Option<CheckState> {
    let Some(s) = row.present().nth(index) else {
        return Some(CheckState::Failed(
            "the service does not run in this stage".into(),
        ));
    };
    let in_stage = |a: &&super::Alarm| {
        a.env.as_deref() == Some(s.stage.env.as_str()) && a.region == s.stage.region
    };
    if !fleet.all_alarms().any(|a| in_stage(&a)) {
        return None;
    }
    let alarms: Vec<_> = fleet
        .all_alarms()
        .filter(in_stage)
        .filter(|a| a.service.as_deref() == Some(row.key.name.as_str()))
        .collect();
    if alarms.is_empty() {
        return Some(CheckState::Failed(format!(
            "no alarms for {} in {}",
            row.key.name, s.stage
        )));
    }
    if let Some(a) = alarms.iter().find(|a| !a.enabled) {
        return Some(CheckState::Failed(format!("{} is disabled", a.name)));
    }
    if let Some(a) = alarms.iter().find(|a| a.firing()) {
        return Some(CheckState::Failed(format!("{} is firing", a.name)));
    }
    Some(CheckState::Verified(format!(
        "{} alarms enabled, none firing",
        alarms.len()
    )))
}

fn rollback_plan(fleet: &FleetState, row: &PipelineRow, index: usize) -> CheckState {
    let (Some(s), Some(candidate)) = (row.present().nth(index), row.candidate(index)) else {
        return CheckState::Failed("the service does not run in this stage".into());
    };
    // Not deployed here yet: rolling back means returning to what runs now.
    if s.version != candidate {
        return CheckState::Verified(format!("back to {} (running now)", s.version));
    }
    let target = fleet
        .clusters()
        .get(&s.cluster)
        .and_then(|c| c.workloads.get(&row.key))
        .and_then(|w| w.rollback_target());
    match target {
        Some(r) => CheckState::Verified(format!("back to {} (rev {})", r.version, r.number)),
        None => CheckState::Failed("no earlier revision to roll back to".into()),
    }
}

/// Every earlier stage runs the candidate version, or ran it and has moved on to a newer one
/// (its revision history has it), and is healthy now. Earlier stages are those of earlier
/// environments, and those of the same environment in an earlier wave when the environment
/// orders its regions into waves (`EnvInfo::waves`); sibling regions are otherwise parallel,
/// not earlier.
fn earlier_stages(fleet: &FleetState, row: &PipelineRow, index: usize) -> CheckState {
    let (Some(candidate), Some(here)) = (row.candidate(index), row.present().nth(index)) else {
        return CheckState::Failed("the service does not run in this stage".into());
    };
    let env = fleet.layout().env(&here.stage.env);
    let wave_here = env.and_then(|e| e.wave_of(&here.stage.region));
    let earlier: Vec<_> = row
        .present()
        .take(index)
        .filter(|s| {
            s.stage.env != here.stage.env
                || matches!(
                    (env.and_then(|e| e.wave_of(&s.stage.region)), wave_here),
                    (Some(a), Some(b)) if a < b
                )
        })
        .collect();
    if earlier.is_empty() {
        return CheckState::Verified("first stage: nothing earlier to validate".into());
    }
    for s in &earlier {
        let ran = s.version == candidate
            || fleet
                .clusters()
                .get(&s.cluster)
                .and_then(|c| c.workloads.get(&row.key))
                .is_some_and(|w| w.history.iter().any(|r| r.version == candidate));
        if !ran {
            return CheckState::Failed(format!("{} never ran {candidate}", s.stage));
        }
        if s.health != Health::Healthy {
            return CheckState::Failed(format!("{} is {}", s.stage, s.health.label()));
        }
    }
    CheckState::Verified(format!(
        "ran in {} earlier stage{}, healthy",
        earlier.len(),
        if earlier.len() == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::*;
    use crate::domain::{AlarmState, SourceHealth, SourceUpdate};

    fn fleet_with(prod_version: &str, alarms: Vec<crate::domain::Alarm>) -> FleetState {
        let mut fleet = fleet();
        add_cluster(
            &mut fleet,
            "dev",
            "us-east-1",
            vec![workload("ns", "api", "1.1")],
        );
        add_cluster(
            &mut fleet,
            "staging",
            "us-east-1",
            vec![workload("ns", "api", "1.1")],
        );
        let mut prod = workload("ns", "api", prod_version);
        prod.history.truncate(1);
        add_cluster(&mut fleet, "prod", "us-east-1", vec![prod]);
        fleet.apply(SourceUpdate::Alarms {
            source: "a".into(),
            alarms,
            health: SourceHealth::live(t(0)),
        });
        fleet
    }

    fn states(fleet: &FleetState, index: usize) -> Vec<(&'static str, CheckState)> {
        let row = &fleet.pipeline_rows()[0];
        // The three items the console may verify, in order, whoever decides them.
        release_checklist(fleet, row, index)
            .into_iter()
            .filter(|i| CONSOLE_VERIFIED.contains(&i.label))
            .map(|i| (i.label, i.state))
            .collect()
    }

    #[test]
    fn twelve_items_three_verified_by_the_console() {
        let other = alarm_on("web", "prod", "us-east-1", "web-5xx", AlarmState::Ok, t(0));
        let fleet = fleet_with("1.0", vec![other]);
        let row = &fleet.pipeline_rows()[0];
        let items = release_checklist(&fleet, row, 2);
        assert_eq!(items.len(), 12);
        assert_eq!(items.iter().filter(|i| i.verified_by_console).count(), 3);
        assert!(
            items
                .iter()
                .filter(|i| !i.verified_by_console)
                .all(|i| i.state == CheckState::NotTicked)
        );
    }

    #[test]
    fn promoting_into_prod_checks_alarms_rollback_and_earlier_stages() {
        let ok = alarm_on("api", "prod", "us-east-1", "api-5xx", AlarmState::Ok, t(0));
        let fleet = fleet_with("1.0", vec![ok.clone()]);
        let v = |s: &str| CheckState::Verified(s.into());
        assert_eq!(
            states(&fleet, 2),
            [
                (
                    "Monitoring and alerts enabled",
                    v("1 alarms enabled, none firing")
                ),
                ("Rollback plan prepared", v("back to 1.0 (running now)")),
                (
                    "Post-deployment validation",
                    v("ran in 2 earlier stages, healthy")
                ),
            ]
        );
        // Firing or missing alarms fail the check.
        let mut firing = ok.clone();
        firing.state = AlarmState::Alarm;
        let fleet = fleet_with("1.0", vec![firing]);
        assert_eq!(
            states(&fleet, 2)[0].1,
            CheckState::Failed("api-5xx is firing".into())
        );
        // An alert source reports for prod/us-east-1, but not for api: not monitored.
        let other = alarm_on("web", "prod", "us-east-1", "web-5xx", AlarmState::Ok, t(0));
        let fleet = fleet_with("1.0", vec![other]);
        assert_eq!(
            states(&fleet, 2)[0].1,
            CheckState::Failed("no alarms for api in prod/us-east-1".into())
        );
    }

    /// No alert source reports for the stage (no CloudWatch alarms there): the console has
    /// nothing to verify from, so a person ticks it, and the checklist can be completed.
    #[test]
    fn monitoring_without_an_alert_source_is_ticked_by_a_person() {
        // An alarm elsewhere (dev) does not cover prod/us-east-1.
        let dev = alarm_on("api", "dev", "us-east-1", "api-dev", AlarmState::Ok, t(0));
        let mut fleet = fleet_with("1.0", vec![dev]);
        let row = &fleet.pipeline_rows()[0];
        let m = release_checklist(&fleet, row, 2)
            .into_iter()
            .find(|i| i.label == "Monitoring and alerts enabled")
            .unwrap();
        assert!(!m.verified_by_console);
        assert_eq!(m.state, CheckState::NotTicked);
        assert_eq!(
            tickable_item(&fleet, row, 2, "monitoring and alerts enabled"),
            Ok("Monitoring and alerts enabled")
        );
        // Every person item ticked: nothing is open.
        let id = crate::domain::ClusterId::parse("prod", "us-east-1", "prod-us-east-1").unwrap();
        let w = fleet
            .clusters_mut()
            .get_mut(&id)
            .unwrap()
            .workloads
            .get_mut(&crate::domain::WorkloadKey::new("ns", "api"))
            .unwrap();
        let mut ticks = crate::domain::ChecklistTicks {
            version: "1.1".into(),
            ..Default::default()
        };
        for label in DEFAULT_CHECKLIST {
            ticks.items.insert(
                label.to_string(),
                crate::domain::Approval {
                    who: "maria".into(),
                    at: t(0),
                    reason: String::new(),
                },
            );
        }
        w.checklist = Some(ticks);
        let row = &fleet.pipeline_rows()[0];
        assert_eq!(open_items(&fleet, row, 2), Vec::<String>::new());
    }

    #[test]
    fn a_tick_names_a_person_item_in_any_case_and_a_typo_or_a_verified_item_is_refused() {
        let ok = alarm_on("api", "prod", "us-east-1", "api-5xx", AlarmState::Ok, t(0));
        let fleet = fleet_with("1.0", vec![ok]);
        let row = &fleet.pipeline_rows()[0];
        assert_eq!(
            tickable_item(&fleet, row, 2, "team NOTIFIED"),
            Ok("Team notified")
        );
        let typo = tickable_item(&fleet, row, 2, "Team notifed").unwrap_err();
        assert!(
            typo.starts_with(
                "no checklist item \"Team notifed\" (did you mean \"Team notified\"?)"
            ),
            "{typo}"
        );
        assert!(typo.contains("Code review"), "{typo}");
        let verified = tickable_item(&fleet, row, 2, "rollback plan prepared").unwrap_err();
        assert!(
            verified.contains("\"Rollback plan prepared\" is verified by the console"),
            "{verified}"
        );
        // With an alert source for the stage, monitoring is the console's to verify.
        let m = tickable_item(&fleet, row, 2, "Monitoring and alerts enabled").unwrap_err();
        assert!(m.contains("verified: 1 alarms enabled"), "{m}");
        let none = tickable_item(&fleet, row, 2, "Coffee").unwrap_err();
        assert!(none.starts_with("no checklist item \"Coffee\";"), "{none}");
    }

    /// prod/eu-west-1 after prod/us-east-1: a sibling region is an earlier stage only when the
    /// environment's waves put it in an earlier wave.
    #[test]
    fn a_sibling_region_is_an_earlier_stage_only_in_an_earlier_wave() {
        let mut fleet = fleet_with("1.0", vec![]);
        // prod/us-east-1 is on 1.0 (prod's base), eu-west-1 is on its way to 1.1.
        add_cluster(
            &mut fleet,
            "prod",
            "eu-west-1",
            vec![workload("ns", "api", "1.0")],
        );
        let eu = crate::domain::ClusterId::parse("prod", "eu-west-1", "prod-eu-west-1").unwrap();
        {
            let w = fleet
                .clusters_mut()
                .get_mut(&eu)
                .unwrap()
                .workloads
                .get_mut(&crate::domain::WorkloadKey::new("ns", "api"))
                .unwrap();
            deploy(w, "1.1", t(-10));
        }
        let index = |fleet: &FleetState| {
            fleet.pipeline_rows()[0]
                .present()
                .position(|s| s.cluster == eu)
                .unwrap()
        };
        let i = index(&fleet);
        assert_eq!(fleet.pipeline_rows()[0].candidate(i), Some("1.1"));
        // No waves: prod/us-east-1 is parallel, not earlier; dev and staging ran 1.1.
        assert_eq!(
            states(&fleet, i)[2].1,
            CheckState::Verified("ran in 2 earlier stages, healthy".into())
        );
        // Waves [us-east-1], [eu-west-1]: us-east-1 is earlier and never ran 1.1.
        fleet.layout_mut().envs[2].waves = vec![vec!["us-east-1".into()], vec!["eu-west-1".into()]];
        assert_eq!(
            states(&fleet, i)[2].1,
            CheckState::Failed("prod/us-east-1 never ran 1.1".into())
        );
        // One wave for both: parallel again.
        fleet.layout_mut().envs[2].waves = vec![vec!["us-east-1".into(), "eu-west-1".into()]];
        assert_eq!(
            states(&fleet, i)[2].1,
            CheckState::Verified("ran in 2 earlier stages, healthy".into())
        );
    }

    #[test]
    fn no_earlier_revision_no_rollback_and_an_unhealthy_earlier_stage_fails_validation() {
        // prod runs 1.1 already, with a single revision: nothing to roll back to.
        let fleet = fleet_with("1.1", vec![]);
        assert_eq!(
            states(&fleet, 2)[1].1,
            CheckState::Failed("no earlier revision to roll back to".into())
        );
        // An earlier stage that is not healthy fails validation.
        let mut fleet = fleet_with("1.1", vec![]);
        let stg =
            crate::domain::ClusterId::parse("staging", "us-east-1", "staging-us-east-1").unwrap();
        let w = fleet.clusters_mut().get_mut(&stg).unwrap();
        w.workloads
            .get_mut(&crate::domain::WorkloadKey::new("ns", "api"))
            .unwrap()
            .ready = 1;
        assert_eq!(
            states(&fleet, 2)[2].1,
            CheckState::Failed("staging/us-east-1 is degraded".into())
        );
        assert_eq!(
            states(&fleet, 0)[2].1,
            CheckState::Verified("first stage: nothing earlier to validate".into())
        );
    }

    #[test]
    fn earlier_stages_that_moved_on_count_ones_that_never_ran_it_fail() {
        use crate::domain::{ClusterId, WorkloadKey};
        fn redeploy(fleet: &mut FleetState, env: &str, version: &str) {
            let id = ClusterId::parse(env, "us-east-1", &format!("{env}-us-east-1")).unwrap();
            let c = fleet.clusters_mut().get_mut(&id).unwrap();
            let w = c.workloads.get_mut(&WorkloadKey::new("ns", "api")).unwrap();
            deploy(w, version, t(-10));
            rolled_out(w);
        }
        let mut fleet = fleet_with("1.0", vec![]);
        // dev ran 1.1 and moved on to 1.2: prod's candidate (staging's 1.1) is validated.
        redeploy(&mut fleet, "dev", "1.2");
        assert_eq!(
            states(&fleet, 2)[2].1,
            CheckState::Verified("ran in 2 earlier stages, healthy".into())
        );
        // staging takes a hotfix dev never had: that is what prod would get, unvalidated.
        redeploy(&mut fleet, "staging", "1.1.1");
        assert_eq!(
            states(&fleet, 2)[2].1,
            CheckState::Failed("dev/us-east-1 never ran 1.1.1".into())
        );
    }
}
