//! Pure translations from Kubernetes objects to the little the console keeps of them.
//!
//! Every function takes a borrowed API object and returns an owned, compact record, so the
//! full object (managedFields, specs, ...) is dropped as soon as the watcher hands it over.
//! Missing fields get neutral defaults; nothing here can fail or panic on odd input.

mod deployment;
mod event;
mod hpa;
mod node;
mod pod;
mod replicaset;
mod rollout;

pub use deployment::{GateRecord, WorkloadRecord, deployment};
pub use event::event;
pub use hpa::{HpaRecord, hpa};
pub use node::node;
pub use pod::pod;
pub use replicaset::{ReplicaSetRecord, replicaset};
pub use rollout::rollout;

use crate::domain::Timestamp;
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// Longest string kept from cluster data (messages, reasons): bounded memory per object.
pub const MAX_TEXT: usize = 512;

/// The version an image runs: its tag, without registry, repository or digest.
/// `repo/app:1.4.2@sha256:..` → `1.4.2`; no tag → the digest's first 12 hex digits or `latest`.
pub fn image_version(image: &str) -> String {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    match (last.split_once(':'), digest) {
        (Some((_, tag)), _) if !tag.is_empty() => clip(tag),
        (_, Some(d)) if !d.is_empty() => {
            clip(d.trim_start_matches("sha256:").get(..12).unwrap_or(d))
        }
        _ => "latest".to_string(),
    }
}

/// A string bounded to `MAX_TEXT` bytes (cut on a char boundary).
pub fn clip(s: &str) -> String {
    if s.len() <= MAX_TEXT {
        return s.to_string();
    }
    let mut end = MAX_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Counts from the API are i32 and may be absent or (in hostile data) negative.
pub fn count(v: Option<i32>) -> u32 {
    v.unwrap_or(0).max(0) as u32
}

pub fn namespace(meta: &ObjectMeta) -> String {
    meta.namespace.clone().unwrap_or_else(|| "default".into())
}

pub fn created(meta: &ObjectMeta) -> Timestamp {
    meta.creation_timestamp
        .as_ref()
        .map_or(Timestamp::UNIX_EPOCH, |t| t.0)
}

fn annotation<'a>(meta: &'a ObjectMeta, key: &str) -> Option<&'a str> {
    meta.annotations.as_ref()?.get(key).map(String::as_str)
}

fn label<'a>(labels: Option<&'a BTreeMap<String, String>>, key: &str) -> Option<&'a str> {
    labels?.get(key).map(String::as_str)
}

/// Image, version and summed resource requests of a pod template's containers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateFacts {
    pub image: String,
    pub version: String,
    pub cpu_request_m: u64,
    pub mem_request_mib: u64,
}

pub fn template_facts(t: Option<&PodTemplateSpec>) -> TemplateFacts {
    let labels = t
        .and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.as_ref());
    let containers = t
        .and_then(|t| t.spec.as_ref())
        .map_or(&[][..], |s| &s.containers[..]);
    containers_facts(containers, labels)
}

pub fn containers_facts(
    containers: &[Container],
    labels: Option<&BTreeMap<String, String>>,
) -> TemplateFacts {
    let image = containers
        .first()
        .and_then(|c| c.image.as_deref())
        .unwrap_or("");
    let version = label(labels, crate::source::kube::annotations::VERSION_LABEL)
        .map(clip)
        .unwrap_or_else(|| image_version(image));
    let (mut cpu, mut mem) = (0u64, 0u64);
    for c in containers {
        if let Some(req) = c.resources.as_ref().and_then(|r| r.requests.as_ref()) {
            cpu = cpu.saturating_add(
                req.get("cpu")
                    .map_or(0, |q| super::quantity::cpu_millis(&q.0)),
            );
            mem = mem.saturating_add(
                req.get("memory")
                    .map_or(0, |q| super::quantity::mem_mib(&q.0)),
            );
        }
    }
    TemplateFacts {
        image: clip(image),
        version,
        cpu_request_m: cpu,
        mem_request_mib: mem,
    }
}

/// The team label of a workload or its template.
pub fn team(meta: &ObjectMeta) -> Option<String> {
    crate::source::kube::annotations::TEAM_LABELS
        .iter()
        .find_map(|k| label(meta.labels.as_ref(), k))
        .map(clip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_images() {
        assert_eq!(image_version("ghcr.io/acme/checkout-api:1.4.2"), "1.4.2");
        assert_eq!(image_version("localhost:5000/app:v2"), "v2");
        assert_eq!(image_version("localhost:5000/app"), "latest");
        assert_eq!(image_version("nginx"), "latest");
        assert_eq!(
            image_version("app@sha256:0123456789abcdef0123"),
            "0123456789ab"
        );
        assert_eq!(image_version("app:1.2@sha256:0123456789abcdef"), "1.2");
        assert_eq!(image_version(""), "latest");
        assert_eq!(image_version("app@"), "latest");
    }

    #[test]
    fn clip_bounds_long_unicode() {
        let s = "é".repeat(MAX_TEXT);
        let c = clip(&s);
        assert!(c.len() <= MAX_TEXT + '…'.len_utf8());
        assert!(c.ends_with('…'));
    }

    #[test]
    fn negative_counts_are_zero() {
        assert_eq!(count(Some(-3)), 0);
        assert_eq!(count(None), 0);
        assert_eq!(count(Some(i32::MAX)), i32::MAX as u32);
    }
}
