//! Names a person types (a cluster, a service, a nodegroup) resolved to exactly one thing, or
//! refused with the candidates. Never a silent first match: `--cluster main` with a `main` in
//! staging and in prod is an error that lists both and says how to name one.

use super::{ClusterState, FleetState, WorkloadKey};

/// One thing a name may select: the spellings a person may type for it (shortest first) and
/// the value. The last spelling is the full, unique name shown among the candidates.
#[derive(Debug, Clone)]
pub struct Candidate<T> {
    pub spellings: Vec<String>,
    pub value: T,
}

impl<T> Candidate<T> {
    fn full(&self) -> &str {
        self.spellings.last().map(String::as_str).unwrap_or("")
    }
}

/// The one candidate `text` spells (`None`: any candidate; there must then be exactly one).
/// `what` names the kind ("cluster"), `hint` how to choose among several ("name one as
/// ENV/NAME"). Zero matches and several matches are both refusals naming the candidates.
pub fn resolve<T>(
    what: &str,
    text: Option<&str>,
    candidates: Vec<Candidate<T>>,
    hint: &str,
) -> Result<T, String> {
    let (matching, others): (Vec<_>, Vec<_>) = candidates
        .into_iter()
        .partition(|c| text.is_none_or(|t| c.spellings.iter().any(|s| s == t)));
    let list = |cs: &[Candidate<T>]| {
        let mut names: Vec<&str> = cs.iter().map(Candidate::full).collect();
        names.sort();
        names.dedup();
        const SHOWN: usize = 12;
        let more = names.len().saturating_sub(SHOWN);
        let mut s = names[..names.len().min(SHOWN)].join(", ");
        if more > 0 {
            s.push_str(&format!(" and {more} more"));
        }
        s
    };
    match (matching.len(), text) {
        (1, _) => Ok(matching.into_iter().next().expect("one").value),
        (0, Some(t)) if others.is_empty() => Err(format!("no {what} {t:?} in the fleet")),
        (0, Some(t)) => Err(format!("no {what} {t:?}: the known are {}", list(&others))),
        (0, None) => Err(format!("no {what} to choose")),
        (_, Some(t)) => Err(format!(
            "{what} {t:?} is ambiguous: it could be {}; {hint}",
            list(&matching)
        )),
        (_, None) => Err(format!("more than one {what}: {}; {hint}", list(&matching))),
    }
}

/// How to name one cluster among several.
pub const CLUSTER_HINT: &str = "name one as ENV/NAME or ENV/REGION/NAME with --cluster";

/// A cluster as `NAME`, `ENV/NAME` or `ENV/REGION/NAME`.
pub fn cluster_candidate(c: &ClusterState) -> Candidate<&ClusterState> {
    let i = &c.info;
    Candidate {
        spellings: vec![
            i.name.clone(),
            format!("{}/{}", i.env, i.name),
            format!("{}/{}/{}", i.env, i.region, i.name),
        ],
        value: c,
    }
}

/// The one cluster of the fleet that `text` names.
pub fn resolve_cluster<'a>(fleet: &'a FleetState, text: &str) -> Result<&'a ClusterState, String> {
    let candidates = fleet.clusters().values().map(cluster_candidate).collect();
    resolve("cluster", Some(text), candidates, CLUSTER_HINT)
}

/// The one service (workload key) of the fleet that `NAME` or `NAMESPACE/NAME` names.
pub fn resolve_service(fleet: &FleetState, text: &str) -> Result<WorkloadKey, String> {
    let mut keys: Vec<&WorkloadKey> = fleet
        .clusters()
        .values()
        .flat_map(|c| c.workloads.keys())
        .collect();
    keys.sort();
    keys.dedup();
    let candidates = keys
        .into_iter()
        .map(|k| Candidate {
            spellings: vec![k.name.clone(), k.to_string()],
            value: k.clone(),
        })
        .collect();
    resolve(
        "service",
        Some(text),
        candidates,
        "name one as NAMESPACE/NAME",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{cluster, fleet, workload};

    fn two_mains() -> FleetState {
        let mut f = fleet();
        for (env, region, name) in [
            ("staging", "eu-west-1", "main"),
            ("prod", "eu-west-1", "main"),
            ("prod", "us-east-1", "edge"),
            ("prod", "eu-west-1", "edge"),
        ] {
            let mut c = cluster(env, region, name);
            let w = workload("shop", "api", "1.0.0");
            c.workloads.insert(w.key.clone(), w);
            f.clusters_mut().insert(c.info.id.clone(), c);
        }
        f
    }

    #[test]
    fn a_name_in_two_environments_is_refused_with_both_candidates() {
        let f = two_mains();
        let err = resolve_cluster(&f, "main").unwrap_err();
        assert!(err.contains("ambiguous"), "{err}");
        assert!(
            err.contains("prod/eu-west-1/main") && err.contains("staging/eu-west-1/main"),
            "{err}"
        );
        assert!(err.contains("ENV/NAME"), "{err}");
    }

    #[test]
    fn env_name_and_env_region_name_select_exactly_one() {
        let f = two_mains();
        assert_eq!(
            resolve_cluster(&f, "staging/main").unwrap().info.env,
            "staging"
        );
        assert_eq!(resolve_cluster(&f, "prod/main").unwrap().info.env, "prod");
        // prod/edge is in two regions: ENV/NAME is not enough, ENV/REGION/NAME is.
        let err = resolve_cluster(&f, "prod/edge").unwrap_err();
        assert!(
            err.contains("prod/us-east-1/edge, prod/eu-west-1/edge")
                || err.contains("prod/eu-west-1/edge, prod/us-east-1/edge"),
            "{err}"
        );
        let c = resolve_cluster(&f, "prod/us-east-1/edge").unwrap();
        assert_eq!(
            (c.info.region.as_str(), c.info.name.as_str()),
            ("us-east-1", "edge")
        );
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let f = two_mains();
        let err = resolve_cluster(&f, "mian").unwrap_err();
        assert!(err.starts_with("no cluster \"mian\""), "{err}");
        assert!(err.contains("staging/eu-west-1/main"), "{err}");
        assert!(resolve_cluster(&FleetState::default(), "x").is_err());
    }

    #[test]
    fn a_service_in_two_namespaces_needs_its_namespace() {
        let mut f = two_mains();
        let mut c = cluster("dev", "us-east-1", "dev-a");
        let w = workload("other", "api", "1.0.0");
        c.workloads.insert(w.key.clone(), w);
        f.clusters_mut().insert(c.info.id.clone(), c);
        let err = resolve_service(&f, "api").unwrap_err();
        assert!(
            err.contains("other/api") && err.contains("shop/api"),
            "{err}"
        );
        assert_eq!(resolve_service(&f, "shop/api").unwrap().namespace, "shop");
        assert!(resolve_service(&f, "nope").is_err());
    }

    #[test]
    fn no_text_means_the_only_candidate_or_a_refusal() {
        let one = vec![Candidate {
            spellings: vec!["a".into()],
            value: 1,
        }];
        assert_eq!(resolve("x", None, one, "h"), Ok(1));
        let two = vec![
            Candidate {
                spellings: vec!["a".into()],
                value: 1,
            },
            Candidate {
                spellings: vec!["b".into()],
                value: 2,
            },
        ];
        let err = resolve("x", None, two, "pick one").unwrap_err();
        assert_eq!(err, "more than one x: a, b; pick one");
    }
}
