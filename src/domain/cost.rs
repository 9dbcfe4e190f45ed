//! Spend per environment/region/service: month to date, daily history and forecast.

use super::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use std::collections::BTreeMap;

/// A cost figure's dimensions: environment and region (the overview's cells).
pub type CellKey = (String, String);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyCost {
    pub date: Date,
    pub usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CostReport {
    /// When the figures were fetched (Cost Explorer data is hours old at best).
    pub as_of: Option<Timestamp>,
    /// Month to date per (env, region).
    pub mtd_by_cell: BTreeMap<CellKey, f64>,
    /// Month to date per service name.
    pub mtd_by_service: BTreeMap<String, f64>,
    /// The last 30 days, whole fleet, oldest first.
    pub daily: Vec<DailyCost>,
    pub forecast_month_end: f64,
    pub last_month: f64,
}

impl CostReport {
    pub fn mtd_total(&self) -> f64 {
        self.mtd_by_cell.values().sum()
    }
    pub fn mtd_for(&self, env: &str, region: &str) -> Option<f64> {
        self.mtd_by_cell
            .get(&(env.to_string(), region.to_string()))
            .copied()
    }
}
