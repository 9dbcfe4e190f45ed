//! CloudWatch-style alarms and the alerts the console derives from cluster state.

use super::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Alarm,
    InsufficientData,
    Ok,
}

impl AlarmState {
    pub fn label(self) -> &'static str {
        match self {
            AlarmState::Alarm => "ALARM",
            AlarmState::InsufficientData => "INSUFFICIENT_DATA",
            AlarmState::Ok => "OK",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarm {
    pub name: String,
    pub account: String,
    pub region: String,
    pub state: AlarmState,
    pub reason: String,
    /// When the alarm entered its current state.
    pub since: Timestamp,
    pub metric: String,
    pub enabled: bool,
    /// Where the console attributes it (through dimensions, tags or naming rules).
    pub env: Option<String>,
    pub service: Option<String>,
}

impl Alarm {
    pub fn firing(&self) -> bool {
        self.state == AlarmState::Alarm
    }
}
