//! The Cost Explorer queries opsdeck makes, their answers in a compact cacheable form, and the
//! `CostReport` assembled from them. Pure: dates come from the caller's clock.

use crate::domain::{Anomaly, CostLine, CostReport, CostScope, DailyCost, Timestamp};
use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One distinct request. Its canonical JSON is the cache key: the same query is asked at most
/// once per TTL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op")]
pub enum CostQuery {
    /// GetCostAndUsage, DAILY, UnblendedCost, grouped by these keys (`TAG:<key>` or
    /// `DIMENSION:<key>`), over [start, end).
    Usage {
        start: Date,
        end: Date,
        group_by: Vec<String>,
    },
    /// GetCostForecast, MONTHLY, UNBLENDED_COST, over [start, end).
    Forecast { start: Date, end: Date },
    /// GetAnomalies over [start, end].
    Anomalies { start: Date, end: Date },
}

impl CostQuery {
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// What the screen calls the figures this query gives.
    pub fn figure(&self) -> String {
        match self {
            CostQuery::Usage { group_by, .. } => {
                let names: Vec<&str> = group_by
                    .iter()
                    .map(|g| g.split_once(':').map_or(g.as_str(), |(_, k)| k))
                    .collect();
                format!("by {}", names.join("/").to_lowercase())
            }
            CostQuery::Forecast { .. } => "forecast".into(),
            CostQuery::Anomalies { .. } => "anomalies".into(),
        }
    }
}

/// The queries for `today` (UTC): daily spend since the first day of last month by env tag and
/// region, the same by service tag, the forecast to month end, and the last 30 days' anomalies.
pub fn queries(today: Date, env_tag: &str, service_tag: &str) -> Vec<CostQuery> {
    let month_start = today.first_of_month();
    let start = month_start.saturating_sub(1.month());
    let end = today.saturating_add(1.day());
    vec![
        CostQuery::Usage {
            start,
            end,
            group_by: vec![format!("TAG:{env_tag}"), "DIMENSION:REGION".into()],
        },
        CostQuery::Usage {
            start,
            end,
            group_by: vec![format!("TAG:{service_tag}")],
        },
        CostQuery::Forecast {
            start: today,
            end: month_start.saturating_add(1.month()),
        },
        CostQuery::Anomalies {
            start: today.saturating_sub(30.days()),
            end: today,
        },
    ]
}

/// Spend per day: each group's keys (tag prefixes like `env$` removed) and its amount in USD.
pub type DailyGroups = Vec<(Date, Vec<(Vec<String>, f64)>)>;

/// An answer, as cached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum CostAnswer {
    /// Per day: the groups' keys (tag prefixes like `env$` removed) and amounts in USD.
    Usage {
        days: DailyGroups,
    },
    Forecast {
        usd: f64,
    },
    Anomalies {
        anomalies: Vec<RawAnomaly>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawAnomaly {
    pub date: Date,
    /// The root cause's AWS service, when Cost Explorer names one.
    pub service: Option<String>,
    pub actual: f64,
    pub expected: f64,
}

/// A tag group key from Cost Explorer (`env$prod`) → its value (`prod`); dimensions as they are.
pub fn group_value(key: &str) -> String {
    match key.split_once('$') {
        Some((_, v)) => v.to_string(),
        None => key.to_string(),
    }
}

/// Build the report from whichever answers are available (each with when it was fetched).
/// `envs` and `regions` are the fleet's; spend outside them counts for the fleet only.
pub fn assemble(
    today: Date,
    answers: &[(CostQuery, CostAnswer, Timestamp)],
    envs: &[String],
    regions: &[String],
) -> CostReport {
    let mut report = CostReport::default();
    let month_start = today.first_of_month();
    let last_month_start = month_start.saturating_sub(1.month());
    let first_daily = today.saturating_sub(29.days());
    let daily_dates: Vec<Date> = (0..30)
        .map(|i| first_daily.saturating_add(i.days()))
        .collect();
    let mut forecast_rest: Option<f64> = None;
    for (query, answer, at) in answers {
        report.fetched.insert(query.figure(), *at);
        report.as_of = Some(report.as_of.map_or(*at, |a: Timestamp| a.min(*at)));
        match (query, answer) {
            (CostQuery::Usage { group_by, .. }, CostAnswer::Usage { days }) => {
                let by_cell = group_by.len() == 2;
                let mut lines: BTreeMap<Vec<String>, CostLine> = BTreeMap::new();
                let mut fleet_daily = vec![0.0; daily_dates.len()];
                let mut fleet_mtd = 0.0;
                let mut fleet_last_month = 0.0;
                for (date, groups) in days {
                    for (keys, usd) in groups {
                        let line = lines.entry(keys.clone()).or_insert_with(|| CostLine {
                            daily: vec![0.0; daily_dates.len()],
                            ..CostLine::default()
                        });
                        if let Some(i) = daily_dates.iter().position(|d| d == date) {
                            line.daily[i] += usd;
                            fleet_daily[i] += usd;
                        }
                        if *date >= month_start && *date <= today {
                            line.mtd += usd;
                            fleet_mtd += usd;
                        } else if *date >= last_month_start && *date < month_start {
                            line.last_month += usd;
                            fleet_last_month += usd;
                        }
                    }
                }
                if by_cell {
                    report.daily = daily_dates
                        .iter()
                        .zip(&fleet_daily)
                        .map(|(date, usd)| DailyCost {
                            date: *date,
                            usd: *usd,
                        })
                        .collect();
                    report.last_month = fleet_last_month;
                    let _ = fleet_mtd;
                    for (keys, line) in lines {
                        let [env, region] = [&keys[0], &keys[1]];
                        if envs.contains(env) && regions.contains(region) {
                            report
                                .mtd_by_cell
                                .insert((env.clone(), region.clone()), line.mtd);
                            report.by_cell.insert((env.clone(), region.clone()), line);
                        }
                    }
                } else {
                    for (keys, line) in lines {
                        let name = keys.first().cloned().unwrap_or_default();
                        if name.is_empty() {
                            continue;
                        }
                        report.mtd_by_service.insert(name.clone(), line.mtd);
                        report.by_service.insert(name, line);
                    }
                }
            }
            (CostQuery::Forecast { .. }, CostAnswer::Forecast { usd }) => {
                forecast_rest = Some(*usd)
            }
            (CostQuery::Anomalies { .. }, CostAnswer::Anomalies { anomalies }) => {
                report.reported_anomalies = anomalies
                    .iter()
                    .map(|a| Anomaly {
                        scope: match &a.service {
                            Some(s) => CostScope::Service { name: s.clone() },
                            None => CostScope::Fleet,
                        },
                        date: a.date,
                        usd: a.actual,
                        expected: a.expected,
                    })
                    .collect();
            }
            _ => {}
        }
    }
    // The forecast covers today to month end; whole days of this month come from the figures.
    // Each line gets the share of it that its last 7 days had of the fleet's.
    if let Some(rest) = forecast_rest {
        let today_index = daily_dates.len() - 1;
        let whole_mtd = |l: &CostLine| l.mtd - l.daily.get(today_index).copied().unwrap_or(0.0);
        let week = |l: &CostLine| {
            l.daily
                .get(today_index.saturating_sub(7)..today_index)
                .map_or(0.0, |w| w.iter().sum::<f64>())
        };
        let fleet_today = report.daily.last().map_or(0.0, |d| d.usd);
        let fleet_mtd: f64 = report
            .daily
            .iter()
            .filter(|d| d.date >= month_start)
            .map(|d| d.usd)
            .sum::<f64>()
            - fleet_today;
        report.forecast_month_end = fleet_mtd + rest;
        let fleet_week: f64 = report
            .daily
            .get(today_index.saturating_sub(7)..today_index)
            .map_or(0.0, |w| w.iter().map(|d| d.usd).sum());
        let share = |l: &CostLine| {
            if fleet_week > 0.0 {
                week(l) / fleet_week
            } else {
                0.0
            }
        };
        for line in report
            .by_cell
            .values_mut()
            .chain(report.by_service.values_mut())
        {
            line.forecast_month_end = whole_mtd(line) + rest * share(line);
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn queries_cover_last_month_to_today_and_are_stable() {
        let q = queries(d("2026-11-21"), "env", "service");
        assert_eq!(
            q[0],
            CostQuery::Usage {
                start: d("2026-10-01"),
                end: d("2026-11-22"),
                group_by: vec!["TAG:env".into(), "DIMENSION:REGION".into()],
            }
        );
        assert_eq!(
            q[2],
            CostQuery::Forecast {
                start: d("2026-11-21"),
                end: d("2026-12-01")
            }
        );
        assert_eq!(q[0].figure(), "by env/region");
        assert_eq!(q[1].figure(), "by service");
        assert_eq!(q, queries(d("2026-11-21"), "env", "service"));
        assert_ne!(
            q[0].canonical(),
            queries(d("2026-11-22"), "env", "service")[0].canonical()
        );
    }

    #[test]
    fn usage_splits_into_cells_services_months_and_days() {
        let today = d("2026-11-21");
        let q = queries(today, "env", "service");
        let at = Timestamp::from_second(1_800_000_000).unwrap();
        let mut cells = Vec::new();
        let mut services = Vec::new();
        let mut day = d("2026-10-01");
        while day <= today {
            cells.push((
                day,
                vec![
                    (vec!["prod".into(), "us-east-1".into()], 10.0),
                    (vec!["dev".into(), "us-east-1".into()], 1.0),
                    (vec!["".into(), "us-east-1".into()], 0.5),
                ],
            ));
            services.push((day, vec![(vec!["checkout".into()], 4.0)]));
            day = day.saturating_add(1.day());
        }
        let answers = vec![
            (q[0].clone(), CostAnswer::Usage { days: cells }, at),
            (q[1].clone(), CostAnswer::Usage { days: services }, at),
            (q[2].clone(), CostAnswer::Forecast { usd: 115.0 }, at),
            (
                q[3].clone(),
                CostAnswer::Anomalies {
                    anomalies: vec![RawAnomaly {
                        date: d("2026-11-18"),
                        service: Some("Amazon EC2".into()),
                        actual: 90.0,
                        expected: 30.0,
                    }],
                },
                at,
            ),
        ];
        let envs = vec!["dev".to_string(), "prod".to_string()];
        let regions = vec!["us-east-1".to_string()];
        let r = assemble(today, &answers, &envs, &regions);
        assert_eq!(r.daily.len(), 30);
        assert_eq!(r.daily[29].date, today);
        assert_eq!(r.daily[29].usd, 11.5);
        let prod = &r.by_cell[&("prod".to_string(), "us-east-1".to_string())];
        assert_eq!(prod.mtd, 210.0);
        assert_eq!(prod.last_month, 310.0);
        assert_eq!(r.mtd_for("prod", "us-east-1"), Some(210.0));
        assert_eq!(r.last_month, 31.0 * 11.5);
        assert_eq!(r.by_service["checkout"].mtd, 84.0);
        // Fleet: 20 whole days at 11.5 plus the forecast for today to month end.
        assert_eq!(r.forecast_month_end, 20.0 * 11.5 + 115.0);
        let share = 10.0 / 11.5;
        assert!((prod.forecast_month_end - (200.0 + 115.0 * share)).abs() < 1e-9);
        assert_eq!(r.reported_anomalies[0].usd, 90.0);
        assert_eq!(r.fetched.len(), 4);
        assert_eq!(r.as_of, Some(at));
    }
}
