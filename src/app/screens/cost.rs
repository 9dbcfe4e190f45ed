//! Cost: spend by environment, region and service (month to date, forecast, 7-day change).

use super::{ListScreen, ListUi, Opens};
use crate::app::filter::{Fields, ListFilter};
use crate::app::state::{SortOrder, State, UiState};
use crate::domain::{CostRow, CostScope, Stage, cost_rows};

pub struct Cost;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CostSort {
    /// Environments with their regions, then services by name.
    #[default]
    Scope,
    /// Month to date, highest first.
    Spend,
    Forecast,
    /// Largest 7-day change first (either way).
    Change,
}

impl SortOrder for CostSort {
    const ALL: &'static [Self] = &[Self::Scope, Self::Spend, Self::Forecast, Self::Change];
    fn label(self) -> &'static str {
        match self {
            CostSort::Scope => "env/region",
            CostSort::Spend => "mtd",
            CostSort::Forecast => "forecast",
            CostSort::Change => "7d change",
        }
    }
}

impl ListScreen for Cost {
    type Row<'s> = CostRow;
    type Key = CostScope;
    type Sort = CostSort;

    fn list(ui: &UiState) -> &ListUi<CostScope, CostSort> {
        &ui.lists.cost
    }
    fn list_mut(ui: &mut UiState) -> &mut ListUi<CostScope, CostSort> {
        &mut ui.lists.cost
    }
    fn rows(state: &State) -> Vec<CostRow> {
        visible_cost_rows(state)
    }
    fn key(row: &CostRow) -> CostScope {
        row.scope.clone()
    }
    fn is(row: &CostRow, key: &CostScope) -> bool {
        row.scope == *key
    }
    fn opens(_: &State, row: &CostRow) -> Opens {
        match &row.scope {
            CostScope::Service { name } => Opens::Service {
                namespace: None,
                name: name.clone(),
                stage: None,
            },
            CostScope::Cell { env, region } => Opens::Stage(Stage {
                env: env.clone(),
                region: region.clone(),
            }),
            CostScope::Env { .. } | CostScope::Fleet => Opens::Nothing,
        }
    }
}

/// Cost rows after the filter, in the chosen order.
pub fn visible_cost_rows(state: &State) -> Vec<CostRow> {
    let ui = &state.ui.lists.cost;
    let mut rows = cost_rows(state.fleet.cost(), state.fleet.layout());
    ListFilter::new(&ui.filter).retain(&mut rows, |r| {
        let (env, region, service) = match &r.scope {
            CostScope::Env { env } => (Some(env.as_str()), None, None),
            CostScope::Cell { env, region } => (Some(env.as_str()), Some(region.as_str()), None),
            CostScope::Service { name } => (None, None, Some(name.as_str())),
            CostScope::Fleet => (None, None, None),
        };
        Fields {
            env,
            region,
            service,
            text: r.scope.to_string(),
        }
    });
    let desc = |f: fn(&CostRow) -> f64| move |a: &CostRow, b: &CostRow| f(b).total_cmp(&f(a));
    match ui.sort {
        CostSort::Scope => {}
        CostSort::Spend => rows.sort_by(desc(|r| r.mtd)),
        CostSort::Forecast => rows.sort_by(desc(|r| r.forecast_month_end)),
        CostSort::Change => rows.sort_by(desc(|r| r.change7().unwrap_or(0.0).abs())),
    }
    rows
}
