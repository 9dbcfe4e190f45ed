//! Spend for the demo fleet: 30 days of history per cell and per service, accrual while running,
//! forecast to month end. A few services trend up or down, and one day of batch reprocessing
//! is an anomaly.

use super::world::DemoWorld;
use crate::domain::*;
use jiff::{ToSpan, civil::Date, tz::TimeZone};
use std::collections::BTreeMap;

/// The service whose reprocessing job made one day 60 % dearer, 12 days ago.
pub const ANOMALY_SERVICE: &str = "stream-processor";
const ANOMALY_DAYS_AGO: i64 = 12;
const ANOMALY_FACTOR: f64 = 1.6;

/// Fixed costs besides nodes (load balancers, databases, NAT), USD per hour per cell.
fn overhead(env: &str) -> f64 {
    match env {
        "prod" => 9.5,
        "staging" => 2.2,
        _ => 0.9,
    }
}

/// Daily growth of a service's spend: a new model makes recommendations dearer every day; the
/// others drift by up to ±2 % a day, fixed per name (no dice: the simulation's random stream
/// stays as it was).
fn daily_growth(service: &str) -> f64 {
    if service == "recommendations" {
        return 0.04;
    }
    let h = service.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    ((h % 9) as f64 - 4.0) * 0.005
}

/// Each service's share of its cell's spend `days_ago` days back, given today's shares.
fn shares_on(shares: &[(String, f64)], days_ago: i64) -> Vec<(&str, f64)> {
    let weighted: Vec<(&str, f64)> = shares
        .iter()
        .map(|(s, w)| {
            (
                s.as_str(),
                w * (1.0 + daily_growth(s)).powf(-(days_ago as f64)),
            )
        })
        .collect();
    let total: f64 = weighted
        .iter()
        .map(|(_, w)| w)
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    weighted.into_iter().map(|(s, w)| (s, w / total)).collect()
}

impl DemoWorld {
    pub(super) fn init_cost(&mut self) {
        for c in &self.clusters {
            let nodes: f64 = c
                .nodegroups
                .iter()
                .map(|g| g.hourly_usd * g.desired as f64)
                .sum();
            let key = (c.info.env.clone(), c.info.region.clone());
            *self.rates.entry(key).or_default() += nodes + overhead(&c.info.env);
        }
        self.cost_shares = self.service_shares();
        let today = self.today();
        let hour_frac = self.now.to_zoned(TimeZone::UTC).hour() as f64 / 24.0;
        let first = today.first_of_month();
        let last_month_first = (first - 1.day()).first_of_month();
        let mut daily = Vec::new();
        let mut last_month = 0.0;
        let total_rate: f64 = self.rates.values().sum();
        let mut day = last_month_first;
        while day < today {
            // Weekends are a little cheaper (batch jobs pause); one anomalous day 12 days ago.
            let weekend = matches!(
                day.weekday(),
                jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
            );
            let mut factor = self.dice.jitter(0.06) * if weekend { 0.9 } else { 1.0 };
            let days_ago = (today - day).get_days() as i64;
            if days_ago == ANOMALY_DAYS_AGO {
                factor *= ANOMALY_FACTOR;
            }
            let usd = total_rate * 24.0 * factor;
            if day < first {
                last_month += usd;
            }
            if days_ago <= 30 {
                daily.push(DailyCost { date: day, usd });
            }
            if day >= first {
                let scale = factor;
                for (key, rate) in &self.rates {
                    *self.cost.mtd_by_cell.entry(key.clone()).or_default() += rate * 24.0 * scale;
                }
            }
            self.add_day_to_lines(days_ago, factor, days_ago <= 30, day < first);
            day = day.tomorrow().expect("dates in range");
        }
        for (key, rate) in &self.rates {
            *self.cost.mtd_by_cell.entry(key.clone()).or_default() += rate * 24.0 * hour_frac;
        }
        self.add_day_to_lines(0, hour_frac, true, false);
        daily.push(DailyCost {
            date: today,
            usd: total_rate * 24.0 * hour_frac,
        });
        self.cost.daily = daily;
        self.cost.last_month = last_month;
        self.finish_cost();
    }

    /// Each service's share of its cell's spend today, by requested CPU.
    fn service_shares(&self) -> BTreeMap<CellKey, Vec<(String, f64)>> {
        let mut out: BTreeMap<CellKey, Vec<(String, f64)>> = BTreeMap::new();
        for c in &self.clusters {
            let cell = (c.info.env.clone(), c.info.region.clone());
            let clusters_in_cell = self
                .clusters
                .iter()
                .filter(|o| o.info.env == c.info.env && o.info.region == c.info.region)
                .count() as f64;
            let total: u64 = c
                .workloads
                .values()
                .map(|w| w.cpu_request_m * w.desired as u64)
                .sum::<u64>()
                .max(1);
            let shares = out.entry(cell).or_default();
            for w in c.workloads.values() {
                let share = (w.cpu_request_m * w.desired as u64) as f64 / total as f64;
                shares.push((w.key.name.clone(), share / clusters_in_cell));
            }
        }
        out
    }

    /// Spread one day's spend (`factor` days' worth of each cell's rate) over the cell and
    /// service lines: appended to their daily figures when `keep` (the last 31 days), added to
    /// last month or month to date. The anomalous day's extra goes to one service.
    fn add_day_to_lines(&mut self, days_ago: i64, factor: f64, keep: bool, last: bool) {
        let anomaly = if days_ago == ANOMALY_DAYS_AGO {
            ANOMALY_FACTOR
        } else {
            1.0
        };
        let mut services: BTreeMap<&str, f64> = BTreeMap::new();
        for (key, rate) in &self.rates {
            let usd = rate * 24.0 * factor;
            let base = usd / anomaly;
            let line = self.cost.by_cell.entry(key.clone()).or_default();
            add_to_line(line, usd, keep, last);
            let shares = self.cost_shares.get(key).map(Vec::as_slice).unwrap_or(&[]);
            for (service, share) in shares_on(shares, days_ago) {
                *services.entry(service).or_default() += base * share;
            }
            if anomaly > 1.0 {
                *services.entry(ANOMALY_SERVICE).or_default() += usd - base;
            }
        }
        for (service, usd) in services {
            let line = self.cost.by_service.entry(service.to_string()).or_default();
            add_to_line(line, usd, keep, last);
        }
    }

    /// Spend accrues with every simulated second.
    pub(super) fn accrue_cost(&mut self, elapsed_secs: f64) {
        let today = self.today();
        if self.cost.daily.last().is_some_and(|d| d.date != today) {
            self.cost.daily.push(DailyCost {
                date: today,
                usd: 0.0,
            });
            let excess = self.cost.daily.len().saturating_sub(31);
            self.cost.daily.drain(..excess);
            let lines = self.cost.by_cell.values_mut();
            for line in lines.chain(self.cost.by_service.values_mut()) {
                line.daily.push(0.0);
                line.daily.drain(..line.daily.len().saturating_sub(31));
            }
        }
        let mut added = 0.0;
        let mut services: BTreeMap<&str, f64> = BTreeMap::new();
        for (key, rate) in &self.rates {
            let usd = rate * elapsed_secs / 3600.0;
            *self.cost.mtd_by_cell.entry(key.clone()).or_default() += usd;
            added += usd;
            add_to_today(self.cost.by_cell.entry(key.clone()).or_default(), usd);
            let shares = self.cost_shares.get(key).map(Vec::as_slice).unwrap_or(&[]);
            for (service, share) in shares_on(shares, 0) {
                *services.entry(service).or_default() += usd * share;
            }
        }
        for (service, usd) in services {
            add_to_today(self.cost.by_service.entry(service.into()).or_default(), usd);
        }
        if let Some(d) = self.cost.daily.last_mut() {
            d.usd += added;
        }
        self.finish_cost();
    }

    fn finish_cost(&mut self) {
        let today = self.today();
        let days_in_month = today.days_in_month() as f64;
        let elapsed =
            today.day() as f64 - 1.0 + self.now.to_zoned(TimeZone::UTC).hour() as f64 / 24.0;
        let remaining = (days_in_month - elapsed).max(0.0);
        let total_rate: f64 = self.rates.values().sum();
        self.cost.forecast_month_end = self.cost.mtd_total() + total_rate * 24.0 * remaining;
        // Forecasts per line: today's rate for the rest of the month.
        let mut service_rates: BTreeMap<&str, f64> = BTreeMap::new();
        for (key, rate) in &self.rates {
            if let Some(line) = self.cost.by_cell.get_mut(key) {
                line.forecast_month_end = line.mtd + rate * 24.0 * remaining;
            }
            let shares = self.cost_shares.get(key).map(Vec::as_slice).unwrap_or(&[]);
            for (service, share) in shares_on(shares, 0) {
                *service_rates.entry(service).or_default() += rate * share;
            }
        }
        for (service, line) in &mut self.cost.by_service {
            let rate = service_rates.get(service.as_str()).copied().unwrap_or(0.0);
            line.forecast_month_end = line.mtd + rate * 24.0 * remaining;
        }
        self.cost.mtd_by_service = self
            .cost
            .by_service
            .iter()
            .map(|(s, l)| (s.clone(), l.mtd))
            .collect();
        self.cost.as_of = Some(self.now);
        self.cost_dirty = true;
    }

    pub fn today(&self) -> Date {
        self.now.to_zoned(TimeZone::UTC).date()
    }
}

fn add_to_line(line: &mut CostLine, usd: f64, keep: bool, last_month: bool) {
    if keep {
        line.daily.push(usd);
    }
    if last_month {
        line.last_month += usd;
    } else {
        line.mtd += usd;
    }
}

fn add_to_today(line: &mut CostLine, usd: f64) {
    line.mtd += usd;
    if let Some(d) = line.daily.last_mut() {
        *d += usd;
    }
}
