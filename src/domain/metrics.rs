//! CloudWatch metric series per service instance (cluster × workload), for the sparklines of
//! the service detail screen. Numbers only: the view decides how to draw them.

use super::{ClusterId, SourceHealth, Timestamp, WorkloadKey};
use std::collections::BTreeMap;

/// One metric over the last hour: data points in time order (gaps are simply absent).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSeries {
    /// e.g. "CPU", "5xx", "p95".
    pub label: String,
    /// e.g. "%", "s" (seconds; the view shows ms), "" (a count).
    pub unit: String,
    pub points: Vec<(Timestamp, f64)>,
}

impl MetricSeries {
    pub fn latest(&self) -> Option<f64> {
        self.points.last().map(|(_, v)| *v)
    }
}

/// A service instance's series, as of one fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceMetrics {
    pub series: Vec<MetricSeries>,
    pub fetched: Timestamp,
}

impl ServiceMetrics {
    /// No series has a single point (the metrics exist in config but CloudWatch has no data).
    pub fn is_empty(&self) -> bool {
        self.series.iter().all(|s| s.points.is_empty())
    }
}

/// What the console knows of one cluster's metrics: the services fetched so far (the last
/// answer for each stays, with its time) and the health of the source asking.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterMetrics {
    pub services: BTreeMap<WorkloadKey, ServiceMetrics>,
    pub health: SourceHealth,
}

/// A metrics source's report for one cluster: new series for some services (the others keep
/// theirs) and the source's health.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsUpdate {
    pub cluster: ClusterId,
    pub services: BTreeMap<WorkloadKey, ServiceMetrics>,
    pub health: SourceHealth,
}

impl ClusterMetrics {
    /// Merge an update in; whether anything visible changed.
    pub fn merge(
        &mut self,
        services: BTreeMap<WorkloadKey, ServiceMetrics>,
        health: SourceHealth,
    ) -> bool {
        let mut changed = false;
        for (key, m) in services {
            if self.services.get(&key) != Some(&m) {
                self.services.insert(key, m);
                changed = true;
            }
        }
        if self.health != health {
            self.health = health;
            changed = true;
        }
        changed
    }
}
