//! Resource types the console never reads but general-purpose clients list on start (kdash,
//! `kubectl get all`, k9s): services, workloads other than Deployments, RBAC, storage,
//! networking and the metrics API. Served like the others (stored, listed, watched), so such a
//! client gets proper empty lists with a resourceVersion instead of 404s, and tests may still
//! apply objects of these kinds.

use super::resources::{ResourceDef, def};

const READ: &[&str] = &["get", "list"];

pub const MORE_RESOURCES: &[ResourceDef] = &[
    ResourceDef {
        singular: "service",
        kind: "Service",
        short_names: &["svc"],
        subresources: &["status"],
        ..def("", "v1", "services")
    },
    ResourceDef {
        singular: "secret",
        kind: "Secret",
        ..def("", "v1", "secrets")
    },
    ResourceDef {
        singular: "serviceaccount",
        kind: "ServiceAccount",
        short_names: &["sa"],
        ..def("", "v1", "serviceaccounts")
    },
    ResourceDef {
        singular: "replicationcontroller",
        kind: "ReplicationController",
        short_names: &["rc"],
        ..def("", "v1", "replicationcontrollers")
    },
    ResourceDef {
        singular: "persistentvolumeclaim",
        kind: "PersistentVolumeClaim",
        short_names: &["pvc"],
        ..def("", "v1", "persistentvolumeclaims")
    },
    ResourceDef {
        singular: "persistentvolume",
        kind: "PersistentVolume",
        namespaced: false,
        short_names: &["pv"],
        ..def("", "v1", "persistentvolumes")
    },
    ResourceDef {
        singular: "statefulset",
        kind: "StatefulSet",
        short_names: &["sts"],
        subresources: &["status"],
        ..def("apps", "v1", "statefulsets")
    },
    ResourceDef {
        singular: "daemonset",
        kind: "DaemonSet",
        short_names: &["ds"],
        subresources: &["status"],
        ..def("apps", "v1", "daemonsets")
    },
    ResourceDef {
        singular: "job",
        kind: "Job",
        subresources: &["status"],
        ..def("batch", "v1", "jobs")
    },
    ResourceDef {
        singular: "cronjob",
        kind: "CronJob",
        short_names: &["cj"],
        subresources: &["status"],
        ..def("batch", "v1", "cronjobs")
    },
    ResourceDef {
        singular: "ingress",
        kind: "Ingress",
        short_names: &["ing"],
        ..def("networking.k8s.io", "v1", "ingresses")
    },
    ResourceDef {
        singular: "networkpolicy",
        kind: "NetworkPolicy",
        short_names: &["netpol"],
        ..def("networking.k8s.io", "v1", "networkpolicies")
    },
    ResourceDef {
        singular: "storageclass",
        kind: "StorageClass",
        namespaced: false,
        short_names: &["sc"],
        ..def("storage.k8s.io", "v1", "storageclasses")
    },
    ResourceDef {
        singular: "role",
        kind: "Role",
        ..def("rbac.authorization.k8s.io", "v1", "roles")
    },
    ResourceDef {
        singular: "rolebinding",
        kind: "RoleBinding",
        ..def("rbac.authorization.k8s.io", "v1", "rolebindings")
    },
    ResourceDef {
        singular: "clusterrole",
        kind: "ClusterRole",
        namespaced: false,
        ..def("rbac.authorization.k8s.io", "v1", "clusterroles")
    },
    ResourceDef {
        singular: "clusterrolebinding",
        kind: "ClusterRoleBinding",
        namespaced: false,
        ..def("rbac.authorization.k8s.io", "v1", "clusterrolebindings")
    },
    ResourceDef {
        singular: "",
        kind: "NodeMetrics",
        namespaced: false,
        verbs: READ,
        ..def("metrics.k8s.io", "v1beta1", "nodes")
    },
    ResourceDef {
        singular: "",
        kind: "PodMetrics",
        verbs: READ,
        ..def("metrics.k8s.io", "v1beta1", "pods")
    },
];
