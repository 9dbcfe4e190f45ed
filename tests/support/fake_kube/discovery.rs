//! Discovery documents in the legacy format: `/version`, `/api`, `/api/v1`, `/apis`,
//! `/apis/{group}`, `/apis/{group}/{version}`. Clients that ask for aggregated discovery
//! (`as=APIGroupDiscoveryList`, kubectl 1.26+) get these too and fall back, as they do with
//! an API server that does not aggregate.

use super::resources::{ResourceDef, all};
use serde_json::{Value, json};

pub const GIT_VERSION: &str = "v1.33.1";

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": GIT_VERSION,
        "gitCommit": "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828",
        "gitTreeState": "clean",
        "buildDate": "2025-05-15T08:19:08Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// `/api`: the core group's versions.
pub fn core_versions(port: u16) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{port}")}
        ]
    })
}

/// What the server serves: the built-in resources (minus any a test unserved with
/// [`super::FakeKube::unserve`]), and Argo Rollouts once its CRD is installed.
#[derive(Debug, Clone, Default)]
pub struct Serving {
    pub argo: bool,
    pub unserved: std::collections::BTreeSet<String>,
}

impl Serving {
    pub fn serves(&self, d: &ResourceDef) -> bool {
        (self.argo || !d.argo) && !self.unserved.contains(d.plural)
    }
}

fn served(serving: &Serving) -> impl Iterator<Item = &'static ResourceDef> + '_ {
    all().filter(move |d| serving.serves(d))
}

/// Named groups in the order a real server lists them (built-in groups, then CRDs).
fn groups(argo: &Serving) -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for d in served(argo).filter(|d| !d.group.is_empty()) {
        if !out.contains(&(d.group, d.version)) {
            out.push((d.group, d.version));
        }
    }
    out
}

fn group_json(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

/// `/apis`
pub fn group_list(argo: &Serving) -> Value {
    let groups: Vec<Value> = groups(argo)
        .into_iter()
        .map(|(g, v)| group_json(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/{group}`
pub fn group(argo: &Serving, name: &str) -> Option<Value> {
    let (g, v) = groups(argo).into_iter().find(|(g, _)| *g == name)?;
    let mut doc = group_json(g, v);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

/// `/api/v1` (group "") or `/apis/{group}/{version}`.
pub fn resource_list(argo: &Serving, group: &str, version: &str) -> Option<Value> {
    let defs: Vec<&ResourceDef> = served(argo)
        .filter(|d| d.group == group && d.version == version)
        .collect();
    if defs.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for d in defs {
        let mut r = json!({
            "name": d.plural,
            "singularName": d.singular,
            "namespaced": d.namespaced,
            "kind": d.kind,
            "verbs": d.verbs,
        });
        if !d.short_names.is_empty() {
            r["shortNames"] = json!(d.short_names);
        }
        if !d.categories.is_empty() {
            r["categories"] = json!(d.categories);
        }
        resources.push(r);
        for sub in d.subresources {
            let mut s = json!({
                "name": format!("{}/{sub}", d.plural),
                "singularName": "",
                "namespaced": d.namespaced,
                "kind": d.kind,
                "verbs": ["get", "patch", "update"],
            });
            if *sub == "scale" {
                s["group"] = json!("autoscaling");
                s["version"] = json!("v1");
                s["kind"] = json!("Scale");
            }
            resources.push(s);
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}
