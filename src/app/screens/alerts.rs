//! Alerts: CloudWatch alarms in ALARM and what the console noticed in the clusters.

use super::{ListScreen, ListUi, Opens};
use crate::app::filter::{Fields, ListFilter};
use crate::app::state::{SortOrder, State, UiState};
use crate::domain::{Alert, AlertOrigin, Stage};

pub struct Alerts;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertSort {
    /// Severity, production first, newest first.
    #[default]
    Severity,
    Newest,
    /// Grouped by environment and region, then service.
    Stage,
    /// Grouped by service, then stage.
    Service,
}

impl SortOrder for AlertSort {
    const ALL: &'static [Self] = &[Self::Severity, Self::Newest, Self::Stage, Self::Service];
    fn label(self) -> &'static str {
        match self {
            AlertSort::Severity => "severity",
            AlertSort::Newest => "newest",
            AlertSort::Stage => "env/region",
            AlertSort::Service => "service",
        }
    }
}

/// An alert across re-derivations: where it comes from, what it is called, whose it is.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertKey {
    pub origin: AlertOrigin,
    pub title: String,
    pub region: String,
    pub namespace: Option<String>,
    pub service: Option<String>,
}

impl ListScreen for Alerts {
    type Row<'s> = Alert;
    type Key = AlertKey;
    type Sort = AlertSort;

    fn list(ui: &UiState) -> &ListUi<AlertKey, AlertSort> {
        &ui.lists.alerts
    }
    fn list_mut(ui: &mut UiState) -> &mut ListUi<AlertKey, AlertSort> {
        &mut ui.lists.alerts
    }
    fn rows(state: &State) -> Vec<Alert> {
        visible_alerts(state)
    }
    fn key(a: &Alert) -> AlertKey {
        AlertKey {
            origin: a.origin.clone(),
            title: a.title.clone(),
            region: a.region.clone(),
            namespace: a.namespace.clone(),
            service: a.service.clone(),
        }
    }
    fn is(a: &Alert, k: &AlertKey) -> bool {
        a.origin == k.origin
            && a.title == k.title
            && a.region == k.region
            && a.namespace == k.namespace
            && a.service == k.service
    }
    fn opens(_: &State, a: &Alert) -> Opens {
        match &a.service {
            Some(name) => Opens::Service {
                namespace: a.namespace.clone(),
                name: name.clone(),
                stage: a.stage(),
            },
            None => Opens::Notice("this alert names no service".into()),
        }
    }
}

/// Alerts after the filter, in the chosen order (the default is the domain's urgency order).
pub fn visible_alerts(state: &State) -> Vec<Alert> {
    let ui = &state.ui.lists.alerts;
    let mut rows = state.fleet.alerts(state.now).into_owned();
    ListFilter::new(&ui.filter).retain(&mut rows, |a| Fields {
        env: a.env.as_deref(),
        region: Some(&a.region),
        service: a.service.as_deref(),
        text: format!(
            "{} {} {} {} {} {}",
            a.severity.label(),
            a.env.as_deref().unwrap_or(""),
            a.region,
            a.service.as_deref().unwrap_or(""),
            a.title,
            a.detail
        ),
    });
    let order = stage_order(state);
    match ui.sort {
        AlertSort::Severity => {}
        AlertSort::Newest => rows.sort_by_key(|a| std::cmp::Reverse(a.since)),
        AlertSort::Stage => rows.sort_by(|a, b| {
            order(a.stage().as_ref())
                .cmp(&order(b.stage().as_ref()))
                .then_with(|| a.service.cmp(&b.service))
                .then(b.severity.cmp(&a.severity))
        }),
        AlertSort::Service => rows.sort_by(|a, b| {
            a.service
                .cmp(&b.service)
                .then_with(|| order(a.stage().as_ref()).cmp(&order(b.stage().as_ref())))
                .then(b.severity.cmp(&a.severity))
        }),
    }
    rows
}

/// Position of a stage in the layout's order (unknown stages last), for grouping.
fn stage_order(state: &State) -> impl Fn(Option<&Stage>) -> usize {
    let order = state.fleet.stages();
    move |s| {
        s.and_then(|s| order.iter().position(|o| o == s))
            .unwrap_or(usize::MAX)
    }
}
