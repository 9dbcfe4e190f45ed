//! core/v1 Event → a short cluster event row.

use super::{clip, created, namespace};
use crate::domain::{ClusterEvent, EventKind};
use k8s_openapi::api::core::v1::Event;

pub fn event(e: &Event) -> Option<ClusterEvent> {
    e.metadata.name.as_deref().filter(|n| !n.is_empty())?;
    let obj = &e.involved_object;
    // Newest of the times the API offers; series events update lastTimestamp / series.
    let at = e
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref().map(|t| t.0))
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0))
        .or_else(|| e.event_time.as_ref().map(|t| t.0))
        .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
        .unwrap_or_else(|| created(&e.metadata));
    Some(ClusterEvent {
        at,
        kind: match e.type_.as_deref() {
            Some("Warning") => EventKind::Warning,
            _ => EventKind::Normal,
        },
        namespace: obj
            .namespace
            .clone()
            .unwrap_or_else(|| namespace(&e.metadata)),
        object: clip(&format!(
            "{}/{}",
            obj.kind.as_deref().unwrap_or("Object"),
            obj.name.as_deref().unwrap_or("?")
        )),
        reason: clip(e.reason.as_deref().unwrap_or("")),
        message: clip(e.message.as_deref().unwrap_or("").trim_end()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_event() {
        let e: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "x.17a", "namespace": "payments"},
            "involvedObject": {"kind": "Pod", "name": "checkout-api-7d9f-x2x",
                "namespace": "payments"},
            "type": "Warning", "reason": "BackOff",
            "message": "Back-off restarting failed container\n",
            "firstTimestamp": "2026-11-21T14:00:00Z",
            "lastTimestamp": "2026-11-21T14:20:00Z"
        }))
        .unwrap();
        let e = event(&e).unwrap();
        assert_eq!(e.kind, EventKind::Warning);
        assert_eq!(e.object, "Pod/checkout-api-7d9f-x2x");
        assert_eq!(e.message, "Back-off restarting failed container");
        assert_eq!(e.at, "2026-11-21T14:20:00Z".parse().unwrap());
    }

    #[test]
    fn huge_message_is_bounded() {
        let e: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "y"}, "involvedObject": {},
            "message": "x".repeat(100_000)
        }))
        .unwrap();
        let e = event(&e).unwrap();
        assert!(e.message.len() < 1024);
        assert_eq!(e.object, "Object/?");
    }
}
