//! Rules the types cannot express (ranges, uniqueness, cross-references). Every rule runs, so a
//! user fixing a config sees all its problems at once instead of one per attempt.

use super::diagnostic::Problem;
use super::doc::{KeyPath, value_span};
use super::model::Config;
use super::suggest::did_you_mean;
use crate::domain::{ClusterName, EnvName, RegionName};
use std::collections::HashSet;
use toml::de::DeTable;

/// Collects problems, locating each at its value in the document when the document has it.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    root: &'a DeTable<'a>,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn report(&mut self, path: KeyPath, message: String, hint: String) {
        let span = value_span(self.root, &path);
        self.problems
            .push(Problem::at(self.file, self.text, span, message, hint));
    }
}

fn path(s: &str) -> KeyPath {
    s.split('.').fold(KeyPath::default(), KeyPath::key)
}

/// All semantic problems of an already type-checked config (empty when it is valid).
pub fn check(config: &Config, root: &DeTable<'_>, text: &str, file: &str) -> Vec<Problem> {
    let mut c = Checker {
        file,
        text,
        root,
        problems: Vec::new(),
    };
    check_ranges(&mut c, config);
    check_logging(&mut c, config);
    check_regions(&mut c, config);
    check_environments(&mut c, config);
    check_aws(&mut c, config);
    c.problems
}

fn check_ranges(c: &mut Checker<'_>, config: &Config) {
    let fps = config.ui.max_fps;
    if !(1..=120).contains(&fps) {
        c.report(
            path("ui.max_fps"),
            format!("`ui.max_fps` must be between 1 and 120, found {fps}"),
            "30 suits most terminals; use 60 for smoother scrolling, 10 over slow links".into(),
        );
    }
    let tick = config.demo.tick_ms;
    if !(100..=60000).contains(&tick) {
        c.report(
            path("demo.tick_ms"),
            format!("`demo.tick_ms` must be between 100 and 60000 milliseconds, found {tick}"),
            "the default, 1000, advances the simulated fleet once a second".into(),
        );
    }
    if config.ui.stale_after_secs == 0 {
        c.report(
            path("ui.stale_after_secs"),
            "`ui.stale_after_secs` must be at least 1, found 0".into(),
            "the default is 30 (data older than 30 seconds is shown as stale)".into(),
        );
    }
}

fn check_logging(c: &mut Checker<'_>, config: &Config) {
    let level = &config.logging.level;
    if let Err(e) = tracing_subscriber::EnvFilter::try_new(level) {
        c.report(
            path("logging.level"),
            format!("invalid `logging.level` {level:?}: {e}"),
            "use a level (error, warn, info, debug, trace) or directives such as \
             \"warn,opsdeck=debug\""
                .into(),
        );
    }
}

fn check_regions(c: &mut Checker<'_>, config: &Config) {
    let mut seen = HashSet::new();
    for (i, region) in config.regions.iter().enumerate() {
        let at = path("regions").index(i);
        if region.trim().is_empty() {
            c.report(
                at,
                "empty region name in `regions`".into(),
                "remove the empty entry".into(),
            );
        } else if let Err(e) = RegionName::new(region.as_str()) {
            c.report(at, e.to_string(), e.fix());
        } else if !seen.insert(region.as_str()) {
            c.report(
                at,
                format!("region `{region}` is listed twice in `regions`"),
                "remove the duplicate (`regions` sets the overview's column order)".into(),
            );
        }
    }
}

fn check_environments(c: &mut Checker<'_>, config: &Config) {
    let regions: Vec<&str> = config.regions.iter().map(String::as_str).collect();
    let mut env_names = HashSet::new();
    for (i, env) in config.environments.iter().enumerate() {
        let env_path = path("environments").index(i);
        if env.name.trim().is_empty() {
            c.report(
                env_path.clone().key("name"),
                format!("environment #{} has an empty name", i + 1),
                "give it a name such as \"prod\" (shown as the overview's row label)".into(),
            );
        } else if let Err(e) = EnvName::new(env.name.as_str()) {
            c.report(env_path.clone().key("name"), e.to_string(), e.fix());
        } else if !env_names.insert(env.name.as_str()) {
            c.report(
                env_path.clone().key("name"),
                format!("duplicate environment name `{}`", env.name),
                format!(
                    "environment names must be unique; rename this one or move its clusters \
                     into the first `{}`",
                    env.name
                ),
            );
        }
        if let Some(w) = &env.policy.window
            && let Err(why) = crate::actions::policy::ChangeWindow::parse(w)
        {
            c.report(
                env_path.clone().key("policy").key("window"),
                why,
                "days (Mon..Sun, ranges with -, lists with ,) then hours in UTC, e.g. \
                 \"Mon-Fri 09:00-17:00\""
                    .into(),
            );
        }
        if env.policy.approvals == Some(0) {
            c.report(
                env_path.clone().key("policy").key("approvals"),
                "`policy.approvals` must be at least 1".into(),
                "1 lets one other person approve; production usually wants 2".into(),
            );
        }
        check_waves(c, env, i, &regions);
        if let Some(n) = env.policy.min_replicas
            && n > i32::MAX as u32
        {
            c.report(
                env_path.clone().key("policy").key("min_replicas"),
                format!("`policy.min_replicas` {n} is more than Kubernetes can hold (int32)"),
                "1 refuses scaling to 0; a service's usual floor is 2 or 3".into(),
            );
        }
        if env.policy.max_scale_factor == Some(1) {
            c.report(
                env_path.clone().key("policy").key("max_scale_factor"),
                "`policy.max_scale_factor = 1` refuses every change of size".into(),
                "at least 2 (production default 5), or 0 to turn the check off".into(),
            );
        }
        let mut cluster_names = HashSet::new();
        for (j, cluster) in env.clusters.iter().enumerate() {
            let cl_path = env_path.clone().key("clusters").index(j);
            if cluster.name.trim().is_empty() {
                c.report(
                    cl_path.clone().key("name"),
                    format!(
                        "cluster #{} in environment `{}` has an empty name",
                        j + 1,
                        env.name
                    ),
                    "give it a display name such as \"prod-use1\"".into(),
                );
            } else if let Err(e) = ClusterName::new(cluster.name.as_str()) {
                c.report(cl_path.clone().key("name"), e.to_string(), e.fix());
            } else if !cluster_names.insert(cluster.name.as_str()) {
                c.report(
                    cl_path.clone().key("name"),
                    format!(
                        "duplicate cluster name `{}` in environment `{}`",
                        cluster.name, env.name
                    ),
                    "cluster names must be unique within an environment; rename one".into(),
                );
            }
            if !regions.contains(&cluster.region.as_str()) {
                c.report(
                    cl_path.key("region"),
                    format!(
                        "cluster `{}` in environment `{}` uses region `{}`, which is not listed \
                         in `regions`",
                        cluster.name, env.name, cluster.region
                    ),
                    region_hint(&cluster.region, &regions),
                );
            }
        }
    }
}

/// `waves`: lists of known regions, none empty, no region twice, and (when present) naming
/// every region the environment's clusters use.
fn check_waves(
    c: &mut Checker<'_>,
    env: &super::model::EnvironmentConfig,
    i: usize,
    regions: &[&str],
) {
    if env.waves.is_empty() {
        return;
    }
    let waves_path = path("environments").index(i).key("waves");
    let mut seen = HashSet::new();
    for (w, wave) in env.waves.iter().enumerate() {
        if wave.is_empty() {
            c.report(
                waves_path.clone().index(w),
                format!("wave #{} of environment `{}` is empty", w + 1, env.name),
                "remove it, or list the regions that release together, e.g. [\"eu-west-1\"]".into(),
            );
        }
        for (k, region) in wave.iter().enumerate() {
            let at = waves_path.clone().index(w).index(k);
            if !regions.contains(&region.as_str()) {
                c.report(
                    at,
                    format!(
                        "wave #{} of environment `{}` names region `{region}`, which is not \
                         listed in `regions`",
                        w + 1,
                        env.name
                    ),
                    region_hint(region, regions),
                );
            } else if let Err(e) = RegionName::new(region.as_str()) {
                c.report(at, e.to_string(), e.fix());
            } else if !seen.insert(region.as_str()) {
                c.report(
                    at,
                    format!(
                        "region `{region}` is in more than one wave of environment `{}`",
                        env.name
                    ),
                    "a region releases in one wave: remove it from all but one".into(),
                );
            }
        }
    }
    let mut missing: Vec<&str> = env
        .clusters
        .iter()
        .map(|cl| cl.region.as_str())
        .filter(|r| regions.contains(r) && !seen.contains(r))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    if !missing.is_empty() {
        c.report(
            waves_path,
            format!(
                "the waves of environment `{}` leave out {}, where its clusters run",
                env.name,
                missing
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!(
                "add {} to a wave (or remove `waves` to release to every region in parallel)",
                missing.join(", ")
            ),
        );
    }
}

fn region_hint(region: &str, regions: &[&str]) -> String {
    if regions.is_empty() {
        return format!(
            "add `regions = [\"{region}\"]` at the top of the file (before any [section]); it \
             sets the overview's column order"
        );
    }
    format!(
        "{}add `{region}` to the top-level `regions`, or use one of: {}",
        did_you_mean(region, regions.iter().copied()),
        regions.join(", ")
    )
}

fn check_aws(c: &mut Checker<'_>, config: &Config) {
    let aws = &config.aws;
    if !(30..=3600).contains(&aws.alarm_poll_secs) {
        c.report(
            path("aws.alarm_poll_secs"),
            format!(
                "`aws.alarm_poll_secs` must be between 30 and 3600 seconds, found {}",
                aws.alarm_poll_secs
            ),
            "the default, 60, matches CloudWatch's one-minute alarm periods".into(),
        );
    }
    if !(60..=86400).contains(&aws.eks_poll_secs) {
        c.report(
            path("aws.eks_poll_secs"),
            format!(
                "`aws.eks_poll_secs` must be between 60 and 86400 seconds, found {}",
                aws.eks_poll_secs
            ),
            "the default, 300, notices nodegroup changes within five minutes".into(),
        );
    }
    if !(1..=168).contains(&aws.cost_ttl_hours) {
        c.report(
            path("aws.cost_ttl_hours"),
            format!(
                "`aws.cost_ttl_hours` must be between 1 and 168 hours, found {}",
                aws.cost_ttl_hours
            ),
            "every Cost Explorer request is billed; the default, 6, asks each query four \
             times a day at most"
                .into(),
        );
    }
    for (key, value) in [
        ("cost_env_tag", &aws.cost_env_tag),
        ("cost_service_tag", &aws.cost_service_tag),
    ] {
        if value.trim().is_empty() {
            c.report(
                path("aws").key(key),
                format!("`aws.{key}` must not be empty"),
                "name the cost-allocation tag, e.g. \"env\" or \"service\"".into(),
            );
        }
    }
    let urls = &aws.endpoint_urls;
    for (key, value) in [
        ("eks", &urls.eks),
        ("cloudwatch", &urls.cloudwatch),
        ("ce", &urls.ce),
        ("sts", &urls.sts),
    ] {
        if let Some(url) = value
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            c.report(
                path("aws.endpoint_urls").key(key),
                format!("`aws.endpoint_urls.{key}` must be an http(s) URL, found {url:?}"),
                format!(
                    "write the full URL, e.g. \"https://vpce-0abc-{}.us-east-1.vpce.amazonaws.com\"",
                    key
                ),
            );
        }
    }
    if let Some(pattern) = &aws.alarms.name_pattern
        && let Err(why) = crate::source::aws::alarm_map::NamePattern::parse(pattern)
    {
        c.report(
            path("aws.alarms.name_pattern"),
            format!("invalid `aws.alarms.name_pattern` {pattern:?}: {why}"),
            "use `{env}`, `{service}`, `{cluster}` and `*`, e.g. \"{env}-{service}-*\"".into(),
        );
    }
    if !(1..=1000).contains(&aws.alarms.tag_refresh_polls) {
        c.report(
            path("aws.alarms.tag_refresh_polls"),
            format!(
                "`aws.alarms.tag_refresh_polls` must be between 1 and 1000, found {}",
                aws.alarms.tag_refresh_polls
            ),
            "tags rarely change; the default, 30, reads them again every half hour".into(),
        );
    }
    check_metrics(c, &aws.metrics);
}

fn check_metrics(c: &mut Checker<'_>, m: &super::model::MetricRules) {
    use crate::source::aws::metrics::{PLACEHOLDERS, expand, valid_stat};
    if !(30..=3600).contains(&m.poll_secs) {
        c.report(
            path("aws.metrics.poll_secs"),
            format!(
                "`aws.metrics.poll_secs` must be between 30 and 3600 seconds, found {}",
                m.poll_secs
            ),
            "the default, 60, brings each new one-minute data point".into(),
        );
    }
    if !(60..=300).contains(&m.period_secs) || !m.period_secs.is_multiple_of(60) {
        c.report(
            path("aws.metrics.period_secs"),
            format!(
                "`aws.metrics.period_secs` must be 60, 120, 180, 240 or 300, found {}",
                m.period_secs
            ),
            "60 gives one point a minute over the last hour".into(),
        );
    }
    if m.series.len() > 10 {
        c.report(
            path("aws.metrics.series"),
            format!("at most 10 `aws.metrics.series`, found {}", m.series.len()),
            "the service detail has room for a few sparklines; keep the ones you watch".into(),
        );
    }
    let vars: Vec<(&str, &str)> = PLACEHOLDERS.iter().map(|p| (*p, "x")).collect();
    for (i, spec) in m.series.iter().enumerate() {
        let at = |key: &str| path("aws.metrics.series").index(i).key(key);
        if !valid_stat(&spec.stat) {
            c.report(
                at("stat"),
                format!("unknown statistic {:?}", spec.stat),
                "use Average, Sum, Minimum, Maximum, SampleCount or a percentile such as p95"
                    .into(),
            );
        }
        for (key, value) in [
            ("label", &spec.label),
            ("namespace", &spec.namespace),
            ("metric", &spec.metric),
        ] {
            if value.trim().is_empty() {
                c.report(
                    at(key),
                    format!("`{key}` must not be empty"),
                    "see [aws.metrics] in config/default.toml".into(),
                );
            }
        }
        for (name, template) in &spec.dimensions {
            if let Err(why) = expand(template, &vars) {
                c.report(
                    at("dimensions").key(name),
                    format!("dimension {name} = {template:?}: {why}"),
                    "placeholders: {eks_cluster}, {cluster}, {env}, {region}, {namespace}, {service}".into(),
                );
            }
        }
    }
}
