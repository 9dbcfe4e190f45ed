//! CloudWatch-style alarms for the demo fleet, one alarm source per account and region.

use super::catalog::ENVS;
use super::world::DemoWorld;
use crate::domain::*;
use jiff::ToSpan;
use std::collections::BTreeMap;

/// The alarm that flips between OK and ALARM every few minutes.
pub const FLAPPING_ALARM: &str = "storefront-5xx-rate";

/// The crash-looping canary's error-rate alarm (staging/eu-west-1): it fires ten seconds in.
pub const CANARY_ALARM: &str = "recommendations-error-rate";
const CANARY_ALARM_TICK: u64 = 10;

pub fn source_name(account: &str, region: &str) -> String {
    format!("{account}/{region}")
}

pub fn initial_alarms(world: &DemoWorld) -> BTreeMap<String, Vec<Alarm>> {
    let now = world.now;
    let mut out: BTreeMap<String, Vec<Alarm>> = BTreeMap::new();
    for c in &world.clusters {
        let Some((_, _, account)) = ENVS.iter().find(|(e, _, _)| *e == c.info.env) else {
            continue;
        };
        let list = out.entry(source_name(account, &c.info.region)).or_default();
        let mut add = |name: String,
                       service: &str,
                       metric: &str,
                       state: AlarmState,
                       reason: &str,
                       ago: i64| {
            list.push(Alarm {
                name,
                account: account.to_string(),
                region: c.info.region.clone(),
                state,
                reason: reason.to_string(),
                since: now - ago.minutes(),
                metric: metric.to_string(),
                enabled: true,
                env: Some(c.info.env.clone()),
                service: Some(service.to_string()),
            });
        };
        for svc in [
            "checkout-api",
            "payment-gateway",
            "auth",
            "storefront",
            "catalog-api",
        ] {
            let ok = "Threshold Crossed: 3 datapoints were not greater than the threshold";
            add(
                format!("{svc}-5xx-rate"),
                svc,
                "AWS/ApplicationELB HTTPCode_Target_5XX_Count",
                AlarmState::Ok,
                ok,
                300,
            );
            add(
                format!("{svc}-p95-latency"),
                svc,
                "AWS/ApplicationELB TargetResponseTime p95",
                AlarmState::Ok,
                ok,
                600,
            );
        }
        if c.info.env == "staging" && c.info.region == "eu-west-1" {
            let reason = "Insufficient Data: 1 datapoint was unknown";
            add(
                CANARY_ALARM.into(),
                "recommendations",
                "opsdeck/app Errors",
                AlarmState::InsufficientData,
                reason,
                3,
            );
        }
    }
    // The incident in progress: payment-gateway latency in prod us-east-1.
    if let Some(list) = out.get_mut(&source_name("333333333333", "us-east-1"))
        && let Some(a) = list
            .iter_mut()
            .find(|a| a.name == "payment-gateway-p95-latency")
    {
        a.state = AlarmState::Alarm;
        a.reason = "Threshold Crossed: 3 out of the last 3 datapoints [1.82 (21/11/26 23:41:00), 1.77, 1.69] were greater than the threshold (1.5)".into();
        a.since = now - 18.minutes();
    }
    out
}

impl DemoWorld {
    /// The canary's errors trip its alarm once; every few minutes the storefront's 5xx alarm in
    /// prod flips state.
    pub(super) fn flip_alarms(&mut self) {
        if self.tick == CANARY_ALARM_TICK {
            let now = self.now;
            for a in self.alarms.values_mut().flatten().filter(|a| {
                a.name == CANARY_ALARM
                    && a.env.as_deref() == Some("staging")
                    && a.region == "eu-west-1"
            }) {
                a.state = AlarmState::Alarm;
                a.reason = "Threshold Crossed: 1 out of the last 1 datapoints [14.2] was greater than the threshold (5.0)".into();
                a.since = now;
                self.alarms_dirty = true;
            }
        }
        if !self.tick.is_multiple_of(45) {
            return;
        }
        let now = self.now;
        for list in self.alarms.values_mut() {
            for a in list.iter_mut().filter(|a| {
                a.name == FLAPPING_ALARM
                    && a.env.as_deref() == Some("prod")
                    && a.region == "eu-west-1"
            }) {
                (a.state, a.reason) = match a.state {
                    AlarmState::Ok => (AlarmState::Alarm, "Threshold Crossed: 2 out of the last 3 datapoints were greater than the threshold (25.0)".into()),
                    _ => (AlarmState::Ok, "Threshold Crossed: 3 datapoints were not greater than the threshold (25.0)".into()),
                };
                a.since = now;
                self.alarms_dirty = true;
            }
        }
    }
}
