//! Spend per environment/region/service: month to date, daily history and forecast, and what the
//! cost screen derives from it (rows per env/region/service, biggest movers, anomalies).

use super::{FleetLayout, Timestamp};
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

/// Spend of one slice of the fleet (a cell or a service).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CostLine {
    pub mtd: f64,
    pub forecast_month_end: f64,
    pub last_month: f64,
    /// One figure per entry of `CostReport::daily`, same dates, oldest first.
    pub daily: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CostReport {
    /// When the figures were fetched (Cost Explorer data is hours old at best).
    pub as_of: Option<Timestamp>,
    /// Month to date per (env, region).
    pub mtd_by_cell: BTreeMap<CellKey, f64>,
    /// Month to date per service name.
    pub mtd_by_service: BTreeMap<String, f64>,
    /// The last 30 days, whole fleet, oldest first (the last one may be today, partial).
    pub daily: Vec<DailyCost>,
    pub forecast_month_end: f64,
    pub last_month: f64,
    /// Per (env, region) and per service, where the source can split spend that way (empty
    /// otherwise: the screen then shows the fleet figures only).
    pub by_cell: BTreeMap<CellKey, CostLine>,
    pub by_service: BTreeMap<String, CostLine>,
    /// When each group of figures was fetched (e.g. "by env/region", "forecast"), where a
    /// source caches them separately (Cost Explorer answers live for hours): the screen shows
    /// each one's age.
    pub fetched: BTreeMap<String, Timestamp>,
    /// Anomalies reported by the source itself (AWS Cost Anomaly Detection), shown beside the
    /// ones derived from the daily figures.
    pub reported_anomalies: Vec<Anomaly>,
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
    /// How many entries of `daily` are whole days: today's (partial) figure is left out.
    pub fn complete_days(&self) -> usize {
        let today = self
            .as_of
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date());
        match self.daily.last() {
            Some(d) if Some(d.date) == today => self.daily.len() - 1,
            _ => self.daily.len(),
        }
    }
}

/// What a cost row is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "scope", rename_all = "snake_case")]
pub enum CostScope {
    Fleet,
    Env { env: String },
    Cell { env: String, region: String },
    Service { name: String },
}

impl std::fmt::Display for CostScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CostScope::Fleet => f.write_str("fleet"),
            CostScope::Env { env } => f.write_str(env),
            CostScope::Cell { env, region } => write!(f, "{env}/{region}"),
            CostScope::Service { name } => f.write_str(name),
        }
    }
}

/// One line of the cost table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostRow {
    pub scope: CostScope,
    pub production: bool,
    pub mtd: f64,
    pub forecast_month_end: f64,
    pub last_month: f64,
    /// Spend of the last 7 whole days and of the 7 before them (None without 14 days of data).
    pub last7: Option<f64>,
    pub prev7: Option<f64>,
}

impl CostRow {
    /// Last 7 days minus the 7 before, in USD.
    pub fn change7(&self) -> Option<f64> {
        Some(self.last7? - self.prev7?)
    }
    /// The same change in percent of the earlier week.
    pub fn change7_pct(&self) -> Option<f64> {
        let prev = self.prev7?;
        (prev > 0.0).then(|| self.change7().unwrap_or(0.0) / prev * 100.0)
    }
}

/// Rows per environment (sum of its cells), per env/region and per service, in layout order
/// (services by name).
pub fn cost_rows(report: &CostReport, layout: &FleetLayout) -> Vec<CostRow> {
    let days = report.complete_days();
    let row = |scope: CostScope, production, line: &CostLine| {
        let (last7, prev7) = weeks(&line.daily, days);
        CostRow {
            scope,
            production,
            mtd: line.mtd,
            forecast_month_end: line.forecast_month_end,
            last_month: line.last_month,
            last7,
            prev7,
        }
    };
    let mut out = Vec::new();
    for env in &layout.envs {
        let cells: Vec<(&String, &CostLine)> = layout
            .regions
            .iter()
            .filter_map(|r| {
                let line = report.by_cell.get(&(env.name.clone(), r.clone()))?;
                Some((r, line))
            })
            .collect();
        if cells.is_empty() {
            continue;
        }
        let total = sum_lines(cells.iter().map(|(_, l)| *l));
        let scope = CostScope::Env {
            env: env.name.clone(),
        };
        out.push(row(scope, env.production, &total));
        for (region, line) in cells {
            let scope = CostScope::Cell {
                env: env.name.clone(),
                region: region.clone(),
            };
            out.push(row(scope, env.production, line));
        }
    }
    for (name, line) in &report.by_service {
        let scope = CostScope::Service { name: name.clone() };
        out.push(row(scope, false, line));
    }
    out
}

fn sum_lines<'a>(lines: impl Iterator<Item = &'a CostLine>) -> CostLine {
    let mut total = CostLine::default();
    for l in lines {
        total.mtd += l.mtd;
        total.forecast_month_end += l.forecast_month_end;
        total.last_month += l.last_month;
        if total.daily.len() < l.daily.len() {
            total.daily.resize(l.daily.len(), 0.0);
        }
        for (t, d) in total.daily.iter_mut().zip(&l.daily) {
            *t += d;
        }
    }
    total
}

/// The last 7 of the first `days` figures, and the 7 before them.
fn weeks(daily: &[f64], days: usize) -> (Option<f64>, Option<f64>) {
    let days = days.min(daily.len());
    if days < 14 {
        return (None, None);
    }
    let last: f64 = daily[days - 7..days].iter().sum();
    let prev: f64 = daily[days - 14..days - 7].iter().sum();
    (Some(last), Some(prev))
}

/// Biggest movers: cells and services by the size of their change over the last 7 whole days
/// against the 7 before (largest absolute change in USD first). Environments are left out: their
/// cells say where.
pub fn movers(rows: &[CostRow]) -> Vec<&CostRow> {
    let mut out: Vec<&CostRow> = rows
        .iter()
        .filter(|r| !matches!(r.scope, CostScope::Env { .. }))
        .filter(|r| r.change7().is_some_and(|c| c != 0.0))
        .collect();
    out.sort_by(|a, b| {
        let size = |r: &CostRow| r.change7().unwrap_or(0.0).abs();
        size(b)
            .total_cmp(&size(a))
            .then_with(|| a.scope.cmp(&b.scope))
    });
    out
}

/// A day that cost far more than the week before it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Anomaly {
    pub scope: CostScope,
    pub date: Date,
    pub usd: f64,
    /// The median of the 7 days before.
    pub expected: f64,
}

impl Anomaly {
    pub fn excess_pct(&self) -> f64 {
        if self.expected > 0.0 {
            (self.usd / self.expected - 1.0) * 100.0
        } else {
            0.0
        }
    }
}

/// A whole day is anomalous when it cost more than this times the median of the 7 days before.
pub const ANOMALY_FACTOR: f64 = 1.4;

/// Anomalous days of the whole fleet, of services and of cells, newest first, then by excess.
/// On a day where services explain it, the cells (which only repeat it) are left out: the
/// responder sees how much it mattered (fleet) and who caused it (service).
pub fn anomalies(report: &CostReport) -> Vec<Anomaly> {
    let days = report.complete_days();
    let dates: Vec<Date> = report.daily.iter().map(|d| d.date).collect();
    let fleet: Vec<f64> = report.daily.iter().map(|d| d.usd).collect();
    let mut out = Vec::new();
    let mut scan = |scope: CostScope, daily: &[f64]| {
        for i in 7..days.min(daily.len()) {
            let mut week: Vec<f64> = daily[i - 7..i].to_vec();
            week.sort_by(f64::total_cmp);
            let expected = week[3];
            if expected > 0.0 && daily[i] > expected * ANOMALY_FACTOR {
                out.push(Anomaly {
                    scope: scope.clone(),
                    date: dates[i],
                    usd: daily[i],
                    expected,
                });
            }
        }
    };
    scan(CostScope::Fleet, &fleet);
    for (name, line) in &report.by_service {
        scan(CostScope::Service { name: name.clone() }, &line.daily);
    }
    for ((env, region), line) in &report.by_cell {
        let scope = CostScope::Cell {
            env: env.clone(),
            region: region.clone(),
        };
        scan(scope, &line.daily);
    }
    let by_service: Vec<Date> = out
        .iter()
        .filter(|a| matches!(a.scope, CostScope::Service { .. }))
        .map(|a| a.date)
        .collect();
    out.retain(|a| !matches!(a.scope, CostScope::Cell { .. }) || !by_service.contains(&a.date));
    for a in &report.reported_anomalies {
        if !out.iter().any(|o| o.scope == a.scope && o.date == a.date) {
            out.push(a.clone());
        }
    }
    out.sort_by(|a, b| {
        b.date
            .cmp(&a.date)
            .then(b.excess_pct().total_cmp(&a.excess_pct()))
            .then_with(|| a.scope.cmp(&b.scope))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::*;

    /// 20 whole days plus today, fleet spend 100/day; `spike` on day 15.
    fn report(service_daily: &[(&str, Vec<f64>)]) -> CostReport {
        let today: Date = "2026-11-21".parse().unwrap();
        let daily: Vec<DailyCost> = (0..21)
            .map(|i| DailyCost {
                date: today - jiff::Span::new().days(20 - i),
                usd: if i == 15 { 200.0 } else { 100.0 },
            })
            .collect();
        let mut by_service = BTreeMap::new();
        for (name, d) in service_daily {
            by_service.insert(
                name.to_string(),
                CostLine {
                    mtd: d.iter().sum(),
                    daily: d.clone(),
                    ..CostLine::default()
                },
            );
        }
        CostReport {
            as_of: Some(t(0)),
            daily,
            by_service,
            ..CostReport::default()
        }
    }

    #[test]
    fn movers_compare_the_last_whole_week_with_the_one_before() {
        let flat = vec![10.0; 21];
        let mut growing = vec![10.0; 21];
        // The last whole week (days 13..20) costs 14/day; today (day 20) is partial and ignored.
        for d in &mut growing[13..20] {
            *d = 14.0;
        }
        growing[20] = 1000.0;
        let mut shrinking = vec![10.0; 21];
        for d in &mut shrinking[13..20] {
            *d = 9.0;
        }
        let r = report(&[("flat", flat), ("grow", growing), ("shrink", shrinking)]);
        assert_eq!(r.complete_days(), 20);
        let rows = cost_rows(&r, fleet().layout());
        let m: Vec<(String, f64)> = movers(&rows)
            .iter()
            .map(|r| (r.scope.to_string(), r.change7().unwrap()))
            .collect();
        assert_eq!(
            m,
            [("grow".to_string(), 28.0), ("shrink".to_string(), -7.0)]
        );
        let grow = rows.iter().find(|r| r.scope.to_string() == "grow").unwrap();
        assert_eq!(grow.change7_pct().map(|p| p.round()), Some(40.0));
    }

    #[test]
    fn too_little_history_has_no_weekly_change() {
        let r = report(&[("short", vec![5.0; 10])]);
        let rows = cost_rows(&r, fleet().layout());
        assert_eq!(rows[0].change7(), None);
        assert!(movers(&rows).is_empty());
    }

    #[test]
    fn env_rows_sum_their_cells_in_layout_order() {
        let mut r = report(&[]);
        let line = |mtd| CostLine {
            mtd,
            forecast_month_end: mtd * 2.0,
            last_month: 1.0,
            daily: vec![1.0; 21],
        };
        r.by_cell
            .insert(("prod".into(), "eu-west-1".into()), line(5.0));
        r.by_cell
            .insert(("prod".into(), "us-east-1".into()), line(7.0));
        r.by_cell
            .insert(("dev".into(), "us-east-1".into()), line(1.0));
        let rows = cost_rows(&r, fleet().layout());
        let scopes: Vec<String> = rows.iter().map(|r| r.scope.to_string()).collect();
        assert_eq!(
            scopes,
            [
                "dev",
                "dev/us-east-1",
                "prod",
                "prod/us-east-1",
                "prod/eu-west-1"
            ]
        );
        assert_eq!(rows[2].mtd, 12.0);
        assert_eq!(rows[2].forecast_month_end, 24.0);
        assert_eq!(rows[2].last7, Some(14.0));
        assert!(rows[2].production && !rows[0].production);
    }

    #[test]
    fn a_day_far_above_its_week_is_an_anomaly_for_the_fleet_and_the_slice() {
        let mut spiky = vec![10.0; 21];
        spiky[15] = 110.0;
        // Steady growth of 4 % a day is a trend, not an anomaly.
        let growing: Vec<f64> = (0..21).map(|i| 10.0 * 1.04f64.powi(i)).collect();
        let mut r = report(&[
            ("batch", spiky),
            ("steady", vec![10.0; 21]),
            ("grow", growing),
        ]);
        // The cell that only repeats the service's spike is left out; another cell's is kept.
        let cell = |spike_day: usize| {
            let mut daily = vec![100.0; 21];
            daily[spike_day] = 200.0;
            CostLine {
                daily,
                ..CostLine::default()
            }
        };
        r.by_cell
            .insert(("prod".into(), "us-east-1".into()), cell(15));
        r.by_cell
            .insert(("dev".into(), "us-east-1".into()), cell(10));
        let found: Vec<(String, String)> = anomalies(&r)
            .iter()
            .map(|a| (a.scope.to_string(), a.date.to_string()))
            .collect();
        let found: Vec<(&str, &str)> = found
            .iter()
            .map(|(s, d)| (s.as_str(), d.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("batch", "2026-11-16"),
                ("fleet", "2026-11-16"),
                ("dev/us-east-1", "2026-11-11")
            ],
            "newest first, biggest excess first"
        );
        assert_eq!(anomalies(&r)[1].excess_pct().round(), 100.0);
    }
}
