//! `Status` failures with the codes, reasons and messages a real API server uses.

use super::resources::ResourceDef;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            code,
            reason,
            message: message.into(),
            details: Value::Null,
        }
    }

    fn about(mut self, def: &ResourceDef, name: &str) -> Self {
        let mut d = json!({"group": def.group, "kind": def.plural});
        if !name.is_empty() {
            d["name"] = json!(name);
        }
        self.details = d;
        self
    }

    /// A watch (or a `NotOlderThan` read) from a resourceVersion the server has not reached, as
    /// the watch cache answers once it has waited for it in vain (`storage.
    /// NewTooLargeResourceVersionError`): 504, reason Timeout, cause ResourceVersionTooLarge.
    /// client-go's reflector relists on it. Happens after an etcd restore or a rebuilt cluster
    /// behind the same endpoint.
    pub fn too_large(asked: u64, current: u64) -> Self {
        let mut e = Self::new(
            504,
            "Timeout",
            format!("Too large resource version: {asked}, current: {current}"),
        );
        e.details = json!({
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1,
        });
        e
    }

    pub fn not_found(def: &ResourceDef, name: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("{} \"{name}\" not found", def.qualified()),
        )
        .about(def, name)
    }

    pub fn already_exists(def: &ResourceDef, name: &str) -> Self {
        Self::new(
            409,
            "AlreadyExists",
            format!("{} \"{name}\" already exists", def.qualified()),
        )
        .about(def, name)
    }

    pub fn conflict(def: &ResourceDef, name: &str) -> Self {
        Self::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                def.qualified()
            ),
        )
        .about(def, name)
    }

    /// `resource` may carry a subresource (`deployments/scale`).
    pub fn forbidden(
        def: &ResourceDef,
        resource: &str,
        user: &str,
        verb: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Self {
        let scope = match namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        let what = if name.is_empty() {
            def.qualified()
        } else {
            format!("{} \"{name}\"", def.qualified())
        };
        Self::new(
            403,
            "Forbidden",
            format!(
                "{what} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" \
                 in API group \"{}\" {scope}",
                def.group
            ),
        )
        .about(def, name)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(422, "Invalid", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn path_not_found() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    pub fn unsupported_patch(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type}) - accepted media \
                 types include: application/json-patch+json, application/merge-patch+json, \
                 application/apply-patch+yaml, application/strategic-merge-patch+json"
            ),
        )
    }

    /// A POST/PUT body that is not JSON (kubectl's typed clients send protobuf for some
    /// commands, e.g. `kubectl create configmap`, `kubectl auth can-i`).
    pub fn unsupported_body(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type}) - the fake API \
                 server accepts application/json only"
            ),
        )
    }

    /// `too old resource version: X (Y)`, the 410 a watch gets in-stream.
    pub fn expired(requested: u64, oldest: u64) -> Self {
        Self::new(
            410,
            "Expired",
            format!("too old resource version: {requested} ({oldest})"),
        )
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if !self.details.is_null() {
            v["details"] = self.details.clone();
        }
        v
    }
}
