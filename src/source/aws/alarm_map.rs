//! A CloudWatch alarm (metric or composite) → the console's `Alarm`, attributed to an
//! environment, cluster and service through its tags, its dimensions, the alarm-name pattern
//! from config, or the account it lives in — in that order of precedence. Pure.

use crate::config::AlarmRules;
use crate::domain::{Alarm, AlarmState, Timestamp};

/// What the collector keeps of an alarm from DescribeAlarms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawAlarm {
    pub name: String,
    /// For ListTagsForResource.
    pub arn: Option<String>,
    /// The alarm's tags, when read (see `aws.alarms.*_tags`).
    pub tags: Vec<(String, String)>,
    pub composite: bool,
    pub state: AlarmState,
    pub reason: String,
    /// When it entered its current state.
    pub since: Option<Timestamp>,
    pub namespace: Option<String>,
    pub metric_name: Option<String>,
    pub dimensions: Vec<(String, String)>,
    /// Composite alarms: the rule, e.g. `ALARM(a) OR ALARM(b)`.
    pub rule: Option<String>,
    pub actions_enabled: bool,
}

/// A configured cluster, for attribution by the `ClusterName` dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownCluster {
    pub eks_cluster: String,
    pub region: String,
    pub env: String,
}

/// Everything attribution needs, per alarm source (one account/profile and region).
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// Shown as the alarm's account (the source's label, e.g. `prod-admin/eu-west-1`).
    pub account: String,
    pub region: String,
    pub rules: AlarmRules,
    pub pattern: Option<NamePattern>,
    pub clusters: Vec<KnownCluster>,
    /// Every environment name, to accept `{env}` matches and `Environment` dimensions.
    pub envs: Vec<String>,
    /// The environment when the profile belongs to exactly one.
    pub default_env: Option<String>,
}

impl Attribution {
    pub fn new(
        account: String,
        region: String,
        rules: AlarmRules,
        clusters: Vec<KnownCluster>,
        envs: Vec<String>,
        default_env: Option<String>,
    ) -> Attribution {
        let pattern = rules
            .name_pattern
            .as_deref()
            .and_then(|p| NamePattern::parse(p).ok());
        Attribution {
            account,
            region,
            rules,
            pattern,
            clusters,
            envs,
            default_env,
        }
    }
}

/// Attribute and translate one alarm. `fallback_since` dates alarms without a timestamp.
/// Precedence, per field: tags, then dimensions, then the name pattern (then the profile's
/// environment).
pub fn map(raw: &RawAlarm, ctx: &Attribution, fallback_since: Timestamp) -> Alarm {
    let find = |pairs: &[(String, String)], names: &[String]| {
        names
            .iter()
            .find_map(|n| pairs.iter().find(|(k, _)| k == n))
            .map(|(_, v)| v.clone())
    };
    let tag = |names: &[String]| find(&raw.tags, names);
    let dim = |names: &[String]| find(&raw.dimensions, names);
    let from_name = ctx
        .pattern
        .as_ref()
        .and_then(|p| p.capture(&raw.name, &ctx.envs))
        .unwrap_or_default();
    let env_of_cluster = |name: String| {
        ctx.clusters
            .iter()
            .find(|c| c.eks_cluster == name && c.region == ctx.region)
            .map(|c| c.env.clone())
    };
    let known_env = |e: String| ctx.envs.contains(&e).then_some(e);
    let env = tag(&ctx.rules.env_tags)
        .and_then(known_env)
        .or_else(|| tag(&ctx.rules.cluster_tags).and_then(env_of_cluster))
        .or_else(|| dim(&ctx.rules.cluster_dimensions).and_then(env_of_cluster))
        .or_else(|| dim(&ctx.rules.env_dimensions).and_then(known_env))
        .or_else(|| from_name.cluster.clone().and_then(env_of_cluster))
        .or(from_name.env)
        .or_else(|| ctx.default_env.clone());
    let service = tag(&ctx.rules.service_tags)
        .or_else(|| dim(&ctx.rules.service_dimensions))
        .or(from_name.service);
    Alarm {
        name: raw.name.clone(),
        account: ctx.account.clone(),
        region: ctx.region.clone(),
        state: raw.state,
        reason: raw.reason.clone(),
        since: raw.since.unwrap_or(fallback_since),
        metric: metric_text(raw),
        enabled: raw.actions_enabled,
        env,
        service,
    }
}

/// `AWS/ApplicationELB HTTPCode_Target_5XX_Count LoadBalancer=app/web` or `composite: ALARM(a)`.
fn metric_text(raw: &RawAlarm) -> String {
    if raw.composite {
        return format!("composite: {}", raw.rule.as_deref().unwrap_or("?"));
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(ns) = &raw.namespace {
        parts.push(ns.clone());
    }
    parts.push(
        raw.metric_name
            .clone()
            .unwrap_or_else(|| "metric math".to_string()),
    );
    for (k, v) in &raw.dimensions {
        parts.push(format!("{k}={v}"));
    }
    parts.join(" ")
}

/// An alarm-name pattern such as `{env}-{service}-*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern(Vec<Part>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Env,
    Service,
    Cluster,
    Any,
}

/// What a pattern found in a name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Captured {
    pub env: Option<String>,
    pub service: Option<String>,
    pub cluster: Option<String>,
}

impl NamePattern {
    pub fn parse(text: &str) -> Result<NamePattern, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        let mut literal = String::new();
        while let Some(c) = rest.chars().next() {
            if c == '{' {
                let end = rest
                    .find('}')
                    .ok_or_else(|| "a `{` without its `}`".to_string())?;
                let part = match &rest[1..end] {
                    "env" => Part::Env,
                    "service" => Part::Service,
                    "cluster" => Part::Cluster,
                    other => {
                        return Err(format!(
                            "unknown placeholder `{{{other}}}` (use {{env}}, {{service}} or {{cluster}})"
                        ));
                    }
                };
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                if parts.contains(&part) {
                    return Err(format!("`{}` appears twice", &rest[..=end]));
                }
                parts.push(part);
                rest = &rest[end + 1..];
            } else {
                if c == '*' {
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Any);
                } else {
                    literal.push(c);
                }
                rest = &rest[c.len_utf8()..];
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        if !parts
            .iter()
            .any(|p| matches!(p, Part::Env | Part::Service | Part::Cluster))
        {
            return Err("it has no placeholder".into());
        }
        Ok(NamePattern(parts))
    }

    /// Match a whole name. Placeholders take the shortest text that lets the rest match; an
    /// `{env}` must be one of `envs`.
    pub fn capture(&self, name: &str, envs: &[String]) -> Option<Captured> {
        let mut out = Captured::default();
        matches(&self.0, name, envs, &mut out).then_some(out)
    }
}

fn matches(parts: &[Part], text: &str, envs: &[String], out: &mut Captured) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return text.is_empty();
    };
    match first {
        Part::Text(t) => text
            .strip_prefix(t.as_str())
            .is_some_and(|r| matches(rest, r, envs, out)),
        Part::Any => (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .any(|i| matches(rest, &text[i..], envs, out)),
        var => {
            for i in (1..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                let value = &text[..i];
                if *var == Part::Env && !envs.iter().any(|e| e == value) {
                    continue;
                }
                if matches(rest, &text[i..], envs, out) {
                    let slot = match var {
                        Part::Env => &mut out.env,
                        Part::Service => &mut out.service,
                        _ => &mut out.cluster,
                    };
                    *slot = Some(value.to_string());
                    return true;
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(pattern: Option<&str>) -> Attribution {
        let rules = AlarmRules {
            name_pattern: pattern.map(String::from),
            ..AlarmRules::default()
        };
        Attribution::new(
            "acme-prod/eu-west-1".into(),
            "eu-west-1".into(),
            rules,
            vec![KnownCluster {
                eks_cluster: "prod-euw1".into(),
                region: "eu-west-1".into(),
                env: "prod".into(),
            }],
            vec!["dev".into(), "staging".into(), "prod".into()],
            None,
        )
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + s).unwrap()
    }

    #[test]
    fn dimensions_name_the_cluster_and_service() {
        let raw = RawAlarm {
            name: "cpu-high".into(),
            state: AlarmState::Alarm,
            reason: "Threshold Crossed".into(),
            since: Some(t(5)),
            namespace: Some("ContainerInsights".into()),
            metric_name: Some("pod_cpu_utilization".into()),
            dimensions: vec![
                ("ClusterName".into(), "prod-euw1".into()),
                ("Service".into(), "checkout".into()),
            ],
            actions_enabled: true,
            ..RawAlarm::default()
        };
        let a = map(&raw, &ctx(None), t(0));
        assert_eq!(a.env.as_deref(), Some("prod"));
        assert_eq!(a.service.as_deref(), Some("checkout"));
        assert_eq!(a.state, AlarmState::Alarm);
        assert_eq!(a.since, t(5));
        assert_eq!(
            a.metric,
            "ContainerInsights pod_cpu_utilization ClusterName=prod-euw1 Service=checkout"
        );
    }

    #[test]
    fn the_name_pattern_attributes_composite_alarms() {
        let raw = RawAlarm {
            name: "staging-ledger-api-availability".into(),
            composite: true,
            state: AlarmState::InsufficientData,
            rule: Some("ALARM(a) OR ALARM(b)".into()),
            ..RawAlarm::default()
        };
        let a = map(&raw, &ctx(Some("{env}-{service}-*")), t(0));
        assert_eq!(a.env.as_deref(), Some("staging"));
        assert_eq!(a.service.as_deref(), Some("ledger"));
        assert_eq!(a.state, AlarmState::InsufficientData);
        assert_eq!(a.metric, "composite: ALARM(a) OR ALARM(b)");
        assert_eq!(a.since, t(0));
    }

    #[test]
    fn unattributed_alarms_fall_back_to_the_accounts_environment() {
        let raw = RawAlarm {
            name: "billing".into(),
            state: AlarmState::Ok,
            ..RawAlarm::default()
        };
        let mut c = ctx(Some("{env}-{service}-*"));
        assert_eq!(map(&raw, &c, t(0)).env, None);
        c.default_env = Some("dev".into());
        assert_eq!(map(&raw, &c, t(0)).env.as_deref(), Some("dev"));
    }

    #[test]
    fn tags_win_over_dimensions_and_dimensions_over_the_name() {
        let mut raw = RawAlarm {
            name: "dev-ledger-5xx".into(),
            state: AlarmState::Alarm,
            dimensions: vec![
                ("ClusterName".into(), "prod-euw1".into()),
                ("Service".into(), "checkout".into()),
            ],
            ..RawAlarm::default()
        };
        let c = ctx(Some("{env}-{service}-*"));
        // Dimensions over the name.
        let a = map(&raw, &c, t(0));
        assert_eq!(
            (a.env.as_deref(), a.service.as_deref()),
            (Some("prod"), Some("checkout"))
        );
        // Tags over dimensions (the first configured key that is present wins).
        raw.tags = vec![
            ("Service".into(), "payments-legacy".into()),
            ("opsdeck:service".into(), "payments".into()),
            ("opsdeck:env".into(), "staging".into()),
        ];
        let a = map(&raw, &c, t(0));
        assert_eq!(
            (a.env.as_deref(), a.service.as_deref()),
            (Some("staging"), Some("payments"))
        );
        // A tag naming no configured environment is ignored; a cluster tag gives its env.
        raw.tags = vec![
            ("opsdeck:env".into(), "qa".into()),
            ("opsdeck:cluster".into(), "prod-euw1".into()),
        ];
        raw.dimensions.clear();
        let a = map(&raw, &c, t(0));
        assert_eq!(
            (a.env.as_deref(), a.service.as_deref()),
            (Some("prod"), Some("ledger"))
        );
        // No tags, no dimensions: the name.
        raw.tags.clear();
        let a = map(&raw, &c, t(0));
        assert_eq!(
            (a.env.as_deref(), a.service.as_deref()),
            (Some("dev"), Some("ledger"))
        );
    }

    #[test]
    fn patterns_parse_and_match() {
        let envs = vec!["prod".to_string(), "prod-eu".to_string()];
        let p = NamePattern::parse("{env}-{service}-*").unwrap();
        let c = p.capture("prod-eu-web-5xx", &envs).unwrap();
        assert_eq!(c.env.as_deref(), Some("prod"));
        assert_eq!(c.service.as_deref(), Some("eu"));
        assert_eq!(p.capture("qa-web-5xx", &envs), None);
        let p = NamePattern::parse("svc:{service}").unwrap();
        assert_eq!(
            p.capture("svc:api", &envs).unwrap().service.as_deref(),
            Some("api")
        );
        assert!(NamePattern::parse("{team}-*").is_err());
        assert!(NamePattern::parse("plain-*").is_err());
        assert!(NamePattern::parse("{env").is_err());
        assert!(NamePattern::parse("{env}-{env}").is_err());
    }
}
