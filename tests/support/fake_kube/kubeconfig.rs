//! kubeconfig files pointing at fake servers: plain http, a bearer-token user per context.

use std::path::{Path, PathBuf};

/// YAML double-quoted string (JSON string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::to_string(s).expect("a string serialises")
}

/// Write `dir/kubeconfig` with one cluster, user and context per (context name, port);
/// the first context is the current one. Returns the file's path.
pub fn write(dir: &Path, contexts: &[(&str, u16)]) -> PathBuf {
    assert!(
        !contexts.is_empty(),
        "a kubeconfig needs at least one context"
    );
    let mut clusters = String::new();
    let mut users = String::new();
    let mut ctxs = String::new();
    for (name, port) in contexts {
        let n = q(name);
        clusters.push_str(&format!(
            "- name: {n}\n  cluster:\n    server: \"http://127.0.0.1:{port}\"\n"
        ));
        users.push_str(&format!(
            "- name: {n}\n  user:\n    token: {}\n",
            q(&format!("fake-token-{name}"))
        ));
        ctxs.push_str(&format!(
            "- name: {n}\n  context:\n    cluster: {n}\n    user: {n}\n    namespace: default\n"
        ));
    }
    let text = format!(
        "apiVersion: v1\nkind: Config\npreferences: {{}}\ncurrent-context: {}\nclusters:\n{clusters}users:\n{users}contexts:\n{ctxs}",
        q(contexts[0].0)
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    path
}
