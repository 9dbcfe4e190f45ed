//! The resource types the fake serves: group, version, names, scope, verbs and subresources.
//! Discovery documents, URL routing and the object store all read this one table.

/// One served resource type (one row of an `APIResourceList`).
#[derive(Debug)]
pub struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    /// URL segment and RBAC resource name, e.g. `deployments`.
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    pub verbs: &'static [&'static str],
    /// Served subresources (`scale`, `status`).
    pub subresources: &'static [&'static str],
    /// Objects are stored (false for review resources that only answer a POST).
    pub stored: bool,
    /// Served only after `FakeKube::enable_argo_rollouts` (the Argo Rollouts CRD).
    pub argo: bool,
}

const RW: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const ALL: &[&str] = &["all"];

pub const fn def(group: &'static str, version: &'static str, plural: &'static str) -> ResourceDef {
    ResourceDef {
        group,
        version,
        plural,
        singular: "",
        kind: "",
        namespaced: true,
        short_names: &[],
        categories: &[],
        verbs: RW,
        subresources: &[],
        stored: true,
        argo: false,
    }
}

pub const RESOURCES: &[ResourceDef] = &[
    ResourceDef {
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        verbs: &[
            "create", "delete", "get", "list", "patch", "update", "watch",
        ],
        subresources: &["status"],
        ..def("", "v1", "namespaces")
    },
    ResourceDef {
        singular: "node",
        kind: "Node",
        namespaced: false,
        short_names: &["no"],
        subresources: &["status"],
        ..def("", "v1", "nodes")
    },
    ResourceDef {
        singular: "pod",
        kind: "Pod",
        short_names: &["po"],
        categories: ALL,
        subresources: &["status"],
        ..def("", "v1", "pods")
    },
    ResourceDef {
        singular: "event",
        kind: "Event",
        short_names: &["ev"],
        ..def("", "v1", "events")
    },
    ResourceDef {
        singular: "configmap",
        kind: "ConfigMap",
        short_names: &["cm"],
        ..def("", "v1", "configmaps")
    },
    ResourceDef {
        singular: "deployment",
        kind: "Deployment",
        short_names: &["deploy"],
        categories: ALL,
        subresources: &["scale", "status"],
        ..def("apps", "v1", "deployments")
    },
    ResourceDef {
        singular: "replicaset",
        kind: "ReplicaSet",
        short_names: &["rs"],
        categories: ALL,
        subresources: &["scale", "status"],
        ..def("apps", "v1", "replicasets")
    },
    ResourceDef {
        singular: "horizontalpodautoscaler",
        kind: "HorizontalPodAutoscaler",
        short_names: &["hpa"],
        categories: ALL,
        subresources: &["status"],
        ..def("autoscaling", "v2", "horizontalpodautoscalers")
    },
    ResourceDef {
        singular: "rollout",
        kind: "Rollout",
        short_names: &["ro"],
        categories: ALL,
        subresources: &["scale", "status"],
        argo: true,
        ..def("argoproj.io", "v1alpha1", "rollouts")
    },
    ResourceDef {
        singular: "selfsubjectaccessreview",
        kind: "SelfSubjectAccessReview",
        namespaced: false,
        verbs: &["create"],
        stored: false,
        ..def("authorization.k8s.io", "v1", "selfsubjectaccessreviews")
    },
    ResourceDef {
        singular: "selfsubjectreview",
        kind: "SelfSubjectReview",
        namespaced: false,
        verbs: &["create"],
        stored: false,
        ..def("authentication.k8s.io", "v1", "selfsubjectreviews")
    },
];

impl ResourceDef {
    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `deployments.apps`, or `pods` for the core group: how the API server names it in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn has_sub(&self, sub: &str) -> bool {
        self.subresources.contains(&sub)
    }
}

/// Every served resource type: the console's (`RESOURCES`), then the ones only other clients
/// ask for (`more_resources.rs`).
pub fn all() -> impl Iterator<Item = &'static ResourceDef> {
    RESOURCES
        .iter()
        .chain(super::more_resources::MORE_RESOURCES)
}

/// The resource for an object's `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceDef> {
    let (group, version) = split_api_version(api_version);
    all().find(|d| d.group == group && d.version == version && d.kind == kind)
}

/// The resource served at `/api[s]/{group}/{version}/{plural}`.
pub fn by_plural(group: &str, version: &str, plural: &str) -> Option<&'static ResourceDef> {
    all().find(|d| d.group == group && d.version == version && d.plural == plural)
}

pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}
