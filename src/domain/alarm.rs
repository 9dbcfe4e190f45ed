//! CloudWatch-style alarms and the alerts the console derives from cluster state.

use super::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlarmState {
    Alarm,
    /// Also what an alarm is before anything says otherwise.
    #[default]
    InsufficientData,
    Ok,
}

impl AlarmState {
    pub const ALL: [AlarmState; 3] = [
        AlarmState::Alarm,
        AlarmState::InsufficientData,
        AlarmState::Ok,
    ];

    /// A CloudWatch `StateValue` (`ALARM`, `OK`, `INSUFFICIENT_DATA`): the words `label` writes.
    /// Anything else (a state AWS adds later, none at all) is insufficient data, not firing.
    pub fn from_cloudwatch(state: &str) -> AlarmState {
        AlarmState::ALL
            .into_iter()
            .find(|s| s.label() == state)
            .unwrap_or(AlarmState::InsufficientData)
    }

    /// CloudWatch's word for the state.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudwatch_words_read_back_and_are_the_json_form() {
        for s in AlarmState::ALL {
            assert_eq!(AlarmState::from_cloudwatch(s.label()), s);
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.label())
            );
        }
        assert_eq!(
            AlarmState::from_cloudwatch(""),
            AlarmState::InsufficientData
        );
        assert_eq!(
            AlarmState::from_cloudwatch("alarm"),
            AlarmState::InsufficientData,
            "CloudWatch's words are upper case; a guess is not firing"
        );
    }
}
