//! Which production clusters "roll back every prod region" touches: only those whose template is
//! the version being rolled back (it runs there, or is rolling out or held at a gate there).
//! Every other production cluster is left alone and named with what it runs. One rule, used by
//! the console's `R`, the CLI's `rollback --all-prod` and the preview.

use super::{Target, TargetKind};
pub use crate::domain::version_order;
use crate::domain::{ClusterId, FleetState, WorkloadKey};

/// A rollback of one version across production.
#[derive(Debug, Clone, PartialEq)]
pub struct ProdRollback {
    /// The version being rolled back.
    pub version: String,
    /// The clusters whose template is that version, in fleet order.
    pub targets: Vec<Target>,
    /// Production clusters left alone, with what they run.
    pub unchanged: Vec<(ClusterId, String)>,
}

/// Plan which prod clusters roll `key` back from `version` (None: the newest version any
/// production cluster runs or rolls out). Err: the service runs in no production cluster, or
/// no production cluster's template is that version (with what they run).
pub fn prod_rollback(
    fleet: &FleetState,
    key: &WorkloadKey,
    version: Option<&str>,
) -> Result<ProdRollback, String> {
    let prod: Vec<_> = fleet
        .clusters()
        .values()
        .filter(|c| fleet.layout().is_production(&c.info.env))
        .filter_map(|c| Some((c, c.workloads.get(key)?)))
        .collect();
    let newest = newest_version(prod.iter().map(|(_, w)| w.template_version.as_str()));
    let Some(version) = version.or(newest) else {
        return Err(format!("{key} runs in no production cluster"));
    };
    let (mut targets, mut unchanged) = (Vec::new(), Vec::new());
    for (c, w) in &prod {
        if w.template_version == version {
            targets.push(Target {
                cluster: c.info.id.clone(),
                workload: key.clone(),
                kind: TargetKind::from(w.kind),
            });
        } else {
            unchanged.push((c.info.id.clone(), w.running_label()));
        }
    }
    if targets.is_empty() {
        let runs: Vec<String> = unchanged
            .iter()
            .map(|(c, v)| format!("{} runs {v}", c.name))
            .collect();
        return Err(format!(
            "no production cluster runs {key} {version} ({})",
            runs.join(", ")
        ));
    }
    Ok(ProdRollback {
        version: version.to_string(),
        targets,
        unchanged,
    })
}

/// The executor's re-check for a rollback that is part of a production-wide one: Err (the
/// cluster is left alone) when its template is no longer the version being rolled back.
pub fn still_on(from_version: Option<&str>, template_version: &str) -> Result<(), String> {
    match from_version {
        Some(v) if v != template_version => Err(format!(
            "left alone: it runs {template_version} now, not {v}"
        )),
        _ => Ok(()),
    }
}

/// The newest of `versions` by [`version_order`].
pub fn newest_version<'a>(versions: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    versions.max_by(|a, b| version_order(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, preview::preview};
    use crate::domain::testkit::*;
    use crate::domain::{Gate, RolloutState, RunningVersion};
    use proptest::prelude::*;

    const POOL: [&str; 4] = ["1.28.7", "1.28.8", "1.28.9", "1.28.10"];

    /// One production cluster's instance of `ns/api`: its template, whether pods still run the
    /// previous version (a rollout under way), whether it is held at a gate.
    fn instance(template: usize, rolling: bool, held: bool) -> crate::domain::Workload {
        let mut w = workload("ns", "api", POOL[template.saturating_sub(1)]);
        if template > 0 {
            deploy(&mut w, POOL[template], t(-60));
            if rolling || held {
                w.running.insert(
                    0,
                    RunningVersion {
                        version: POOL[template].into(),
                        revision: w.revision,
                        pods: 1,
                    },
                );
            } else {
                rolled_out(&mut w);
            }
            if held {
                w.paused = true;
                w.rollout = RolloutState::Paused;
                w.gate = Some(Gate {
                    requested_by: "bot".into(),
                    since: t(-60),
                    required: 2,
                    approvals: vec![],
                    version: POOL[template].into(),
                });
            }
        }
        w
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// For any production fleet, a rollback of every prod region touches exactly the clusters
        /// whose template is the version rolled back; every other one is named unchanged, is
        /// re-checked and left alone by the executor, and nothing is refused for being held.
        #[test]
        fn it_never_changes_a_cluster_that_does_not_run_the_bad_version(
            regions in proptest::collection::vec((0usize..4, any::<bool>(), any::<bool>()), 1..8),
            named in proptest::option::of(0usize..4),
        ) {
            let mut fleet = fleet();
            let mut templates = Vec::new();
            for (i, (v, rolling, held)) in regions.iter().enumerate() {
                let w = instance(*v, *rolling, *held);
                templates.push(w.template_version.clone());
                add_cluster(&mut fleet, "prod", &format!("r{i}"), vec![w]);
            }
            add_cluster(&mut fleet, "staging", "r0", vec![instance(3, false, false)]);
            let key = WorkloadKey::new("ns", "api");
            let asked = named.map(|n| POOL[n]);
            let scope = match prod_rollback(&fleet, &key, asked) {
                Ok(s) => s,
                Err(why) => {
                    // Only when no production cluster has the named version deployed.
                    let v = asked.expect("the newest deployed version always has a cluster");
                    prop_assert!(!templates.iter().any(|t| t == v), "{why}");
                    prop_assert!(why.contains("no production cluster runs"), "{why}");
                    return Ok(());
                }
            };
            let bad = scope.version.clone();
            if asked.is_none() {
                let newest = templates.iter().max_by(|a, b| version_order(a, b)).unwrap();
                prop_assert_eq!(&bad, newest);
            }
            for (c, w) in fleet.clusters().values().filter_map(|c| Some((c, c.workloads.get(&key)?))) {
                let targeted = scope.targets.iter().any(|t| t.cluster == c.info.id);
                let prod = c.info.env == "prod";
                prop_assert_eq!(targeted, prod && w.template_version == bad, "{}", c.info.id);
                prop_assert_eq!(
                    scope.unchanged.iter().any(|(id, _)| *id == c.info.id),
                    prod && !targeted
                );
                // The executor's re-check agrees: it leaves every other cluster alone.
                prop_assert_eq!(still_on(Some(&bad), &w.template_version).is_ok(), w.template_version == bad);
            }
            let p = preview(&fleet, &scope.targets, &Action::Rollback {
                to_revision: None,
                reason: String::new(),
                from_version: Some(bad.clone()),
            });
            prop_assert_eq!(p.blocked, None, "{:?}", p.lines);
            for (id, _) in &scope.unchanged {
                let line = format!("{}: unchanged (runs ", id.name);
                prop_assert!(p.lines.iter().any(|l| l.starts_with(&line)), "{:?}", p.lines);
            }
            prop_assert!(p.lines.iter().all(|l| !l.contains("left alone")), "{:?}", p.lines);
        }
    }

    #[test]
    fn versions_sort_as_releases() {
        let mut v = vec!["1.28.10", "1.28.9", "v1.3.0", "1.28.9-rc1", "2", "1.28"];
        v.sort_by(|a, b| version_order(a, b));
        assert_eq!(
            v,
            ["v1.3.0", "1.28", "1.28.9", "1.28.9-rc1", "1.28.10", "2"]
        );
        assert_eq!(newest_version(["a", "b"].into_iter()), Some("b"));
        assert_eq!(newest_version(std::iter::empty()), None);
    }
}
