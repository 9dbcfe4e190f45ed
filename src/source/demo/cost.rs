//! Spend for the demo fleet: 30 days of history, accrual while running, forecast to month end.

use super::world::DemoWorld;
use crate::domain::*;
use jiff::{ToSpan, civil::Date, tz::TimeZone};

/// Fixed costs besides nodes (load balancers, databases, NAT), USD per hour per cell.
fn overhead(env: &str) -> f64 {
    match env {
        "prod" => 9.5,
        "staging" => 2.2,
        _ => 0.9,
    }
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
            if day == today - 12.days() {
                factor *= 1.45;
            }
            let usd = total_rate * 24.0 * factor;
            if day < first {
                last_month += usd;
            }
            if (today - day).get_days() <= 30 {
                daily.push(DailyCost { date: day, usd });
            }
            if day >= first {
                let scale = factor;
                for (key, rate) in &self.rates {
                    *self.cost.mtd_by_cell.entry(key.clone()).or_default() += rate * 24.0 * scale;
                }
            }
            day = day.tomorrow().expect("dates in range");
        }
        for (key, rate) in &self.rates {
            *self.cost.mtd_by_cell.entry(key.clone()).or_default() += rate * 24.0 * hour_frac;
        }
        daily.push(DailyCost {
            date: today,
            usd: total_rate * 24.0 * hour_frac,
        });
        self.cost.daily = daily;
        self.cost.last_month = last_month;
        self.finish_cost();
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
        }
        let mut added = 0.0;
        for (key, rate) in &self.rates {
            let usd = rate * elapsed_secs / 3600.0;
            *self.cost.mtd_by_cell.entry(key.clone()).or_default() += usd;
            added += usd;
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
        let total_rate: f64 = self.rates.values().sum();
        self.cost.forecast_month_end =
            self.cost.mtd_total() + total_rate * 24.0 * (days_in_month - elapsed).max(0.0);
        // Split each cell's spend over its services by their share of requested CPU.
        let mut by_service = std::collections::BTreeMap::new();
        for c in &self.clusters {
            let cell = (c.info.env.clone(), c.info.region.clone());
            let mtd = self.cost.mtd_by_cell.get(&cell).copied().unwrap_or(0.0);
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
            for w in c.workloads.values() {
                let share = (w.cpu_request_m * w.desired as u64) as f64 / total as f64;
                *by_service.entry(w.key.name.clone()).or_insert(0.0) +=
                    mtd / clusters_in_cell * share;
            }
        }
        self.cost.mtd_by_service = by_service;
        self.cost.as_of = Some(self.now);
        self.cost_dirty = true;
    }

    pub fn today(&self) -> Date {
        self.now.to_zoned(TimeZone::UTC).date()
    }
}
