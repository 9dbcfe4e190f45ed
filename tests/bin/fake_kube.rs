//! The fake Kubernetes API server of the tests (tests/support/fake_kube/), served by hand so
//! kubectl or opsdeck can be pointed at it:
//!
//! ```text
//! cargo run --example fake_kube [-- [--argo-rollouts] [FIXTURE.yaml ...]]
//! ```
//!
//! Loads `tests/fixtures/kube/small-cluster.yaml` unless fixtures are given, writes a kubeconfig
//! and prints how to use it. Ctrl-C stops it.

#[path = "../support/fake_kube/mod.rs"]
mod fake_kube;

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let argo = args.iter().any(|a| a == "--argo-rollouts");
    args.retain(|a| a != "--argo-rollouts");
    if args.is_empty() {
        args.push("tests/fixtures/kube/small-cluster.yaml".to_string());
    }
    let kube = fake_kube::FakeKube::start().await;
    if argo {
        kube.enable_argo_rollouts();
    }
    for file in &args {
        let yaml = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("reading the fixture {file}: {e}"));
        kube.apply_yaml(&yaml);
    }
    let dir = std::env::temp_dir().join(format!("fake-kube-{}", kube.port()));
    std::fs::create_dir_all(&dir).expect("creating a temp directory");
    let kubeconfig = kube.write_kubeconfig(&dir, "fake");
    println!("fake Kubernetes API server on {} with {args:?}", kube.url());
    println!(
        "  kubectl --kubeconfig {} --cache-dir {} get deploy -A",
        kubeconfig.display(),
        dir.join("cache").display()
    );
    println!("Ctrl-C stops it.");
    let _ = tokio::signal::ctrl_c().await;
}
