//! Simulated CloudWatch series for the demo fleet's sparklines: CPU, 5xx and p95 latency per
//! service instance over the last hour, one point a minute. Each point is a pure function of
//! (cluster, service, minute), so a series does not jump when it is recomputed; an instance
//! with unready replicas shows the errors and latency an incident would.

use crate::domain::{
    ClusterState, MetricSeries, MetricsUpdate, ServiceMetrics, SourceHealth, Timestamp, Workload,
};
use std::collections::BTreeMap;

const MINUTES: i64 = 60;

/// Every service instance's series of one cluster, as of `now`.
pub fn cluster_update(cluster: &ClusterState, now: Timestamp) -> MetricsUpdate {
    let services = cluster
        .workloads
        .values()
        .map(|w| (w.key.clone(), service(cluster, w, now)))
        .collect::<BTreeMap<_, _>>();
    MetricsUpdate {
        cluster: cluster.info.id.clone(),
        services,
        health: SourceHealth::live(now),
    }
}

fn service(cluster: &ClusterState, w: &Workload, now: Timestamp) -> ServiceMetrics {
    let seed = hash(&format!("{}/{}", cluster.info.id, w.key));
    let last_minute = now.as_second().div_euclid(60);
    let troubled = w.ready < w.desired;
    let base_cpu = 15.0 + (seed % 45) as f64;
    let base_latency = 0.06 + (seed >> 8) as f64 % 300.0 / 1000.0;
    let mut cpu = Vec::new();
    let mut errors = Vec::new();
    let mut p95 = Vec::new();
    for m in (last_minute - MINUTES + 1)..=last_minute {
        let at = Timestamp::from_second(m * 60).unwrap_or(now);
        let noise = unit(seed ^ (m as u64).wrapping_mul(0x9e37_79b9));
        let wave = ((m as f64) / 9.0 + (seed % 7) as f64).sin();
        // The last few minutes of a troubled instance: errors and slow answers.
        let incident = troubled && last_minute - m < 8;
        cpu.push((at, (base_cpu + 12.0 * wave + 6.0 * noise).clamp(1.0, 99.0)));
        let e = if incident {
            20.0 + 30.0 * noise
        } else if noise > 0.93 {
            (noise * 10.0).floor() - 8.0
        } else {
            0.0
        };
        errors.push((at, e.max(0.0)));
        let slow = if incident { 4.0 } else { 1.0 };
        p95.push((at, base_latency * slow * (1.0 + 0.25 * wave + 0.2 * noise)));
    }
    ServiceMetrics {
        series: vec![
            series("CPU", "%", cpu),
            series("5xx", "", errors),
            series("p95", "s", p95),
        ],
        fetched: now,
    }
}

fn series(label: &str, unit: &str, points: Vec<(Timestamp, f64)>) -> MetricSeries {
    MetricSeries {
        label: label.into(),
        unit: unit.into(),
        points,
    }
}

/// FNV-1a: stable across runs and platforms (std's hasher is not).
fn hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A stable value in [0, 1) from a seed (splitmix64's finaliser).
fn unit(mut x: u64) -> f64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::demo::DemoWorld;

    #[test]
    fn every_instance_has_an_hour_of_plausible_points_and_recomputing_changes_nothing() {
        let now: Timestamp = "2026-11-21T14:30:00Z".parse().unwrap();
        let world = DemoWorld::generate(7, now);
        let c = &world.clusters[0];
        let a = cluster_update(c, now);
        assert_eq!(a.services.len(), c.workloads.len());
        for m in a.services.values() {
            let labels: Vec<&str> = m.series.iter().map(|s| s.label.as_str()).collect();
            assert_eq!(labels, ["CPU", "5xx", "p95"]);
            assert!(m.series.iter().all(|s| s.points.len() == 60));
            assert!(
                m.series[0]
                    .points
                    .iter()
                    .all(|(_, v)| (1.0..=99.0).contains(v))
            );
            assert!(m.series[1].points.iter().all(|(_, v)| *v >= 0.0));
            assert!(m.series[2].points.iter().all(|(_, v)| *v > 0.0 && *v < 5.0));
        }
        assert_eq!(cluster_update(c, now), a);
        // A minute later the window moved by one point; the shared minutes are unchanged.
        let later = cluster_update(c, now + jiff::SignedDuration::from_secs(60));
        let (k, m) = a.services.iter().next().unwrap();
        assert_eq!(
            m.series[0].points[1..],
            later.services[k].series[0].points[..59]
        );
    }
}
