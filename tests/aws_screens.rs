//! AWS-fed panels as insta snapshots at 80x24 and 200x50 on the demo fleet: the service
//! detail's sparklines when loading, empty and failing, and the Capacity screen's EKS panel
//! when discovery is denied.

mod support;

use opsdeck::app::{Msg, View, update};
use opsdeck::domain::{
    ClusterDelta, ClusterId, MetricSeries, MetricsUpdate, ServiceMetrics, SourceHealth,
    SourceStatus, SourceUpdate, WorkloadKey,
};
use std::collections::BTreeMap;
use support::*;

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

fn snap_all(name: &str, state: &opsdeck::app::State) {
    let theme = theme("dark");
    for (w, h) in SIZES {
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(state, &theme, w, h));
    }
}

/// The gated service's detail, its prod/eu-west-1 instance selected.
fn detail() -> (opsdeck::app::State, ClusterId, WorkloadKey) {
    let mut state = state_with_fleet(20);
    let service = WorkloadKey::new("payments", "checkout-api");
    state.ui.stack = vec![View::Services, View::ServiceDetail(service.clone())];
    for _ in 0..4 {
        update(&mut state, key('j'));
    }
    let id = state
        .fleet
        .clusters()
        .values()
        .find(|c| c.info.name == "prod-euw1")
        .unwrap()
        .info
        .id
        .clone();
    (state, id, service)
}

/// Replace the demo's series of one cluster: `services` and `health` as a source would send.
fn metrics(
    state: &mut opsdeck::app::State,
    id: &ClusterId,
    services: BTreeMap<WorkloadKey, ServiceMetrics>,
    health: SourceHealth,
) {
    state.fleet.metrics.remove(id);
    update(
        state,
        Msg::Source(SourceUpdate::Metrics(Box::new(MetricsUpdate {
            cluster: id.clone(),
            services,
            health,
        }))),
    );
}

#[test]
fn sparklines_loading() {
    let (mut state, id, _) = detail();
    metrics(&mut state, &id, BTreeMap::new(), SourceHealth::connecting());
    snap_all("sparklines_loading", &state);
    let text = render(&state, &theme("dark"), 200, 50);
    assert!(text.contains("loading metrics…"), "{text}");
}

#[test]
fn sparklines_without_data_points() {
    let (mut state, id, key) = detail();
    let now = state.now;
    let empty = |label: &str| MetricSeries {
        label: label.into(),
        unit: String::new(),
        points: Vec::new(),
    };
    let services = BTreeMap::from([(
        key,
        ServiceMetrics {
            series: vec![empty("CPU"), empty("5xx"), empty("p95")],
            fetched: now,
        },
    )]);
    metrics(&mut state, &id, services, SourceHealth::live(now));
    snap_all("sparklines_empty", &state);
    let text = render(&state, &theme("dark"), 200, 50);
    assert!(text.contains("no data points in the last hour"), "{text}");
}

#[test]
fn sparklines_denied() {
    let (mut state, id, _) = detail();
    let why = "CloudWatch metrics: access denied (AccessDeniedException: not authorized to \
               perform: GetMetricData)";
    let health = SourceHealth {
        status: SourceStatus::Failed(why.into()),
        last_data: None,
        reports_every_secs: Some(60),
        next_retry: None,
    };
    metrics(&mut state, &id, BTreeMap::new(), health);
    snap_all("sparklines_denied", &state);
    let text = render(&state, &theme("dark"), 200, 50);
    assert!(text.contains("CloudWatch metrics: access denied"), "{text}");
}

#[test]
fn capacity_with_eks_discovery_denied() {
    let mut state = state_with_fleet(20);
    let id = state
        .fleet
        .clusters()
        .values()
        .find(|c| c.info.name == "prod-euw1")
        .unwrap()
        .info
        .id
        .clone();
    let mut d = ClusterDelta::new(id);
    d.nodegroup_health = Some(SourceHealth {
        status: SourceStatus::Failed(
            "EKS: access denied (AccessDeniedException: User: arn:aws:sts::111:assumed-role/ops/me \
             is not authorized to perform: DescribeNodegroup)"
                .into(),
        ),
        last_data: Some(state.now - jiff::SignedDuration::from_mins(12)),
        reports_every_secs: Some(300),
        next_retry: None,
    });
    update(
        &mut state,
        Msg::Source(SourceUpdate::ClusterDelta(Box::new(d))),
    );
    update(&mut state, key('5'));
    snap_all("capacity_eks_denied", &state);
    let text = render(&state, &theme("dark"), 200, 50);
    assert!(text.contains("EKS discovery"), "{text}");
    assert!(text.contains("nodegroups as of 12m ago"), "{text}");
}
