//! A generated benchmark fleet (tests/support/fleet/) served by fake Kubernetes API servers,
//! one per cluster, for the whole-process benchmark (`tests/bench/process.py`):
//!
//! ```text
//! cargo run --release --example fake_fleet -- --size L --dir DIR [--bookmark-secs 60]
//! ```
//!
//! Writes `DIR/kubeconfig` (one context per cluster, named like the cluster; the first is
//! current), `DIR/config.toml` (an opsdeck config for the whole fleet, AWS off) and
//! `DIR/config-one.toml` (only the first cluster, for side-by-side runs with other consoles),
//! then prints `ready <clusters> <objects>` and answers one command per stdin line, one line each:
//!
//! - `hang on|off`: every server stops answering (and freezes its watch streams), or resumes;
//! - `scale CLUSTER NAMESPACE NAME REPLICAS`: set a Deployment's replicas (spec and status), one
//!   watch event;
//! - `requests [CLUSTER]`: JSON counts of the requests received (all servers, or one):
//!   `{"list": {resource: n}, "list_pages": n, "watch": {resource: n}, "get": n, "discovery": n,
//!   "other": n, "total": n}` (`list` counts LISTs, `list_pages` their continuation pages);
//! - `clear`: forget the requests received so far;
//! - `churn RATE`: from now on, RATE pod updates a second spread over every cluster (a pod's
//!   first container restarts once more: one MODIFIED watch event each), `churn 0` stops; replies
//!   `ok`, and `churned N` to `churned` (the updates made so far);
//! - `quit` (or end of input): stop.
//!
//! Watch bookmarks come every 60 s by default, like a real API server (the fake's own default,
//! 1 s, suits tests but would make an idle console look busy).

#[path = "../support/fake_kube/mod.rs"]
mod fake_kube;
#[path = "../support/fleet/mod.rs"]
mod fleet;

use fake_kube::{FakeKube, RequestKind, RequestRecord};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

struct Args {
    size: fleet::FleetSize,
    dir: PathBuf,
    bookmark: Duration,
}

fn args() -> Args {
    let mut size = fleet::L;
    let mut dir = None;
    let mut bookmark = Duration::from_secs(60);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--size" => {
                size = match value().as_str() {
                    "M" => fleet::M,
                    "L" => fleet::L,
                    "B" => fleet::B,
                    "XS" => fleet::XS,
                    other => panic!("--size: M, L, B or XS, not {other}"),
                }
            }
            "--dir" => dir = Some(PathBuf::from(value())),
            "--bookmark-secs" => {
                bookmark = Duration::from_secs(value().parse().expect("--bookmark-secs: seconds"))
            }
            other => panic!("unknown argument {other}; see the file's documentation"),
        }
    }
    Args {
        size,
        dir: dir.expect("--dir DIR is required"),
        bookmark,
    }
}

/// An opsdeck config for the given clusters of the fleet, all in one kubeconfig.
fn opsdeck_config(
    size: &fleet::FleetSize,
    clusters: &[fleet::ClusterSpec],
    kubeconfig: &Path,
) -> String {
    let q = |s: &str| serde_json::to_string(s).expect("a string serialises");
    let regions: Vec<String> = size
        .regions()
        .iter()
        .filter(|r| clusters.iter().any(|c| c.region == **r))
        .map(|r| q(r))
        .collect();
    let mut out = format!(
        "regions = [{}]\n\n[fleet]\nname = {}\n\n[aws]\nenabled = false\n",
        regions.join(", "),
        q(&format!("bench fleet {}", size.name))
    );
    for env in fleet::ENVS {
        let ours: Vec<&fleet::ClusterSpec> = clusters.iter().filter(|c| c.env == env).collect();
        if ours.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n[[environments]]\nname = {}\nproduction = {}\n",
            q(env),
            env == "prod"
        ));
        for c in ours {
            out.push_str(&format!(
                "\n[[environments.clusters]]\nname = {}\nregion = {}\ncontext = {}\nkubeconfig = {}\n",
                q(&c.name),
                q(c.region),
                q(&c.name),
                q(&kubeconfig.display().to_string())
            ));
        }
    }
    out
}

fn counts(records: impl Iterator<Item = RequestRecord>) -> Value {
    let mut list: BTreeMap<String, u64> = BTreeMap::new();
    let mut watch: BTreeMap<String, u64> = BTreeMap::new();
    let (mut get, mut discovery, mut other, mut total) = (0u64, 0u64, 0u64, 0u64);
    let mut pages = 0u64;
    for r in records {
        total += 1;
        match r.kind {
            // A paged LIST is one LIST: its continuation pages are counted apart.
            RequestKind::List if r.query.contains("continue=") => pages += 1,
            RequestKind::List => *list.entry(r.resource).or_default() += 1,
            RequestKind::Watch => *watch.entry(r.resource).or_default() += 1,
            RequestKind::Get => get += 1,
            RequestKind::Discovery => discovery += 1,
            _ => other += 1,
        }
    }
    json!({"list": list, "list_pages": pages, "watch": watch, "get": get,
        "discovery": discovery, "other": other, "total": total})
}

/// A pod's position in the churn order: pods of every cluster interleave, so a rate spreads
/// over the fleet.
fn pods_rank(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

/// `rate` pod updates a second, in ticks of 10 ms, until aborted: each bumps the restart count
/// of a pod's first container (one MODIFIED event on that cluster's pod watches).
async fn churn_pods(
    servers: std::sync::Arc<Vec<FakeKube>>,
    pods: std::sync::Arc<Vec<(usize, String, String)>>,
    rate: u32,
    churned: std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    let start = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let mut next = 0usize;
    let mut done = 0u64;
    loop {
        tick.tick().await;
        let due = (start.elapsed().as_secs_f64() * rate as f64) as u64;
        while done < due {
            let (c, ns, name) = &pods[next % pods.len()];
            next += 1;
            done += 1;
            let kube = &servers[*c];
            let Some(mut pod) = kube.get("v1", "Pod", Some(ns), name) else {
                continue;
            };
            // A pending pod has no container statuses yet: its restart count starts here.
            let status = pod["status"].as_object_mut().expect("a pod has a status");
            let statuses = status
                .entry("containerStatuses")
                .or_insert_with(|| json!([{"name": "app", "ready": false, "restartCount": 0}]));
            if let Some(first) = statuses.get_mut(0) {
                let n = first["restartCount"].as_i64().unwrap_or(0);
                first["restartCount"] = json!(n + 1);
            }
            kube.apply(pod);
        }
        churned.store(done, std::sync::atomic::Ordering::Relaxed);
    }
}

fn scale(kube: &FakeKube, ns: &str, name: &str, replicas: i64) -> Result<(), String> {
    let mut d = kube
        .get("apps/v1", "Deployment", Some(ns), name)
        .ok_or_else(|| format!("no deployment {ns}/{name}"))?;
    d["spec"]["replicas"] = json!(replicas);
    for f in [
        "replicas",
        "updatedReplicas",
        "readyReplicas",
        "availableReplicas",
    ] {
        d["status"][f] = json!(replicas);
    }
    kube.apply(d);
    Ok(())
}

#[tokio::main]
async fn main() {
    let args = args();
    std::fs::create_dir_all(&args.dir).expect("creating --dir");
    let clusters = args.size.all_clusters();
    let mut servers = Vec::with_capacity(clusters.len());
    let mut pods: Vec<(usize, String, String)> = Vec::new();
    let mut objects = 0usize;
    for c in &clusters {
        let kube = FakeKube::start().await;
        kube.set_bookmark_interval(args.bookmark);
        for o in fleet::cluster_objects(&args.size, c.index) {
            if o["kind"] == "Pod" {
                let meta = &o["metadata"];
                let (ns, name) = (meta["namespace"].as_str(), meta["name"].as_str());
                pods.push((c.index, ns.unwrap_or("").into(), name.unwrap_or("").into()));
            }
            kube.apply(o);
            objects += 1;
        }
        servers.push(kube);
    }
    // The churn order: every cluster's pods interleaved (by a hash of the name), so a rate
    // spreads over the fleet.
    pods.sort_by_cached_key(|(c, ns, name)| (pods_rank(name), *c, ns.clone()));
    let servers = std::sync::Arc::new(servers);
    let churned = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut churn: Option<tokio::task::JoinHandle<()>> = None;
    let pods = std::sync::Arc::new(pods);
    let named: Vec<(&str, &FakeKube)> = clusters
        .iter()
        .map(|c| c.name.as_str())
        .zip(servers.iter())
        .collect();
    let kubeconfig = fake_kube::write_kubeconfig(&args.dir, &named);
    let write = |file: &str, text: String| {
        std::fs::write(args.dir.join(file), text).expect("writing a config file")
    };
    write(
        "config.toml",
        opsdeck_config(&args.size, &clusters, &kubeconfig),
    );
    write(
        "config-one.toml",
        opsdeck_config(&args.size, &clusters[..1], &kubeconfig),
    );
    let mut out = std::io::stdout();
    let mut say = |line: String| {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    };
    say(format!("ready {} {objects}", servers.len()));
    // Commands are read on a plain thread (tokio's stdin needs a feature the tests do not use).
    let (tx, mut commands) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = commands.recv().await {
        let words: Vec<&str> = line.split_whitespace().collect();
        let reply = match words.as_slice() {
            ["hang", on @ ("on" | "off")] => {
                servers.iter().for_each(|k| k.hang(*on == "on"));
                "ok".to_string()
            }
            ["scale", c, ns, name, n] => match (c.parse::<usize>(), n.parse::<i64>()) {
                (Ok(c), Ok(n)) if c < servers.len() => match scale(&servers[c], ns, name, n) {
                    Ok(()) => "ok".to_string(),
                    Err(e) => format!("error {e}"),
                },
                _ => "error usage: scale CLUSTER NAMESPACE NAME REPLICAS".to_string(),
            },
            ["requests"] => counts(servers.iter().flat_map(|k| k.requests())).to_string(),
            ["requests", c] => match c.parse::<usize>().ok().and_then(|c| servers.get(c)) {
                Some(k) => counts(k.requests().into_iter()).to_string(),
                None => "error no such cluster".to_string(),
            },
            ["churn", rate] => match rate.parse::<u32>() {
                Ok(rate) => {
                    if let Some(task) = churn.take() {
                        task.abort();
                    }
                    if rate > 0 {
                        churn = Some(tokio::spawn(churn_pods(
                            servers.clone(),
                            pods.clone(),
                            rate,
                            churned.clone(),
                        )));
                    }
                    "ok".to_string()
                }
                Err(_) => "error usage: churn RATE (updates per second)".to_string(),
            },
            ["churned"] => format!(
                "churned {}",
                churned.load(std::sync::atomic::Ordering::Relaxed)
            ),
            ["clear"] => {
                servers.iter().for_each(|k| k.clear_requests());
                "ok".to_string()
            }
            ["quit"] => break,
            _ => format!("error unknown command {line:?}"),
        };
        say(reply);
    }
}
