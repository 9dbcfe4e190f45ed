//! Sending a `Call` through kube's client, and the API's errors in the person's words.

use super::requests::Call;
use crate::actions::ActionError;
use serde_json::Value;

pub async fn send(client: &kube::Client, call: &Call, dry_run: bool) -> kube::Result<Value> {
    client.request::<Value>(call.to_http(dry_run)).await
}

/// The HTTP status of an API error (0 when it is not one: network, TLS, ...).
pub fn code(e: &kube::Error) -> u16 {
    match e {
        kube::Error::Api(s) => s.code,
        _ => 0,
    }
}

/// 403 → Forbidden with the API's message, 404 → NotFound, 409 → Conflict, else Failed.
pub fn api_error(e: kube::Error) -> ActionError {
    match e {
        kube::Error::Api(s) => {
            let msg = if s.message.is_empty() {
                s.reason.clone()
            } else {
                s.message.clone()
            };
            match s.code {
                403 => ActionError::Forbidden(msg),
                404 => ActionError::NotFound(msg),
                409 => ActionError::Conflict(msg),
                c => ActionError::Failed(format!("{msg} (HTTP {c})")),
            }
        }
        other => ActionError::Failed(other.to_string()),
    }
}
