//! The fake Kubernetes API server (tests/support/fake_kube/) against three kinds of client: plain
//! HTTP requests for the protocol details, kube-rs (Client + runtime watcher), and the real kubectl.

#[path = "support/fake_kube/mod.rs"]
mod fake_kube;

use bytes::Bytes;
use fake_kube::{FakeKube, Kubectl, RequestKind, kubectl_binary};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::time::timeout;

const SMALL_CLUSTER: &str = include_str!("fixtures/kube/small-cluster.yaml");
/// The longest any single await may take before the test fails.
const T: Duration = Duration::from_secs(5);

async fn small_cluster() -> FakeKube {
    FakeKube::start_with_yaml(SMALL_CLUSTER).await
}

// ---------------------------------------------------------------------------------------------
// A plain HTTP client: one fresh connection per call, JSON in and out.

async fn call(
    kube: &FakeKube,
    method: &str,
    path: &str,
    ct: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    call_raw(kube, method, path, ct, &body).await
}

async fn call_raw(kube: &FakeKube, method: &str, path: &str, ct: &str, body: &str) -> (u16, Value) {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let body = body.to_string();
    let req = Request::builder()
        .method(method)
        .uri(format!("{}{path}", kube.url()))
        .header("content-type", ct)
        .header("accept", "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("valid request");
    let resp = timeout(T, client.request(req))
        .await
        .unwrap_or_else(|_| panic!("{method} {path}: no answer within {T:?}"))
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let status = resp.status().as_u16();
    assert_eq!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{method} {path}: every answer is JSON"
    );
    let bytes = timeout(T, resp.into_body().collect())
        .await
        .expect("body within the timeout")
        .expect("a complete body")
        .to_bytes();
    let v = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{method} {path}: not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, v)
}

async fn get(kube: &FakeKube, path: &str) -> (u16, Value) {
    call(kube, "GET", path, "application/json", None).await
}

async fn get_ok(kube: &FakeKube, path: &str) -> Value {
    let (status, v) = get(kube, path).await;
    assert_eq!(status, 200, "GET {path}: {v}");
    v
}

async fn patch(kube: &FakeKube, path: &str, ct: &str, body: Value) -> (u16, Value) {
    call(kube, "PATCH", path, ct, Some(body)).await
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("a list has items")
        .iter()
        .map(|i| i["metadata"]["name"].as_str().expect("a name").to_string())
        .collect()
}

fn rv_of(obj: &Value) -> u64 {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no numeric resourceVersion in {obj}"))
}

const DEPLOY: &str = "/apis/apps/v1/namespaces/payments/deployments/payments-api";

/// A watch stream read line by line.
struct Watch {
    status: u16,
    body: Incoming,
    buf: Vec<u8>,
}

#[derive(Debug)]
enum Item {
    Event(Value),
    /// The server ended the response cleanly.
    End,
    /// The connection broke mid-stream.
    Broken(String),
    Quiet,
}

impl Watch {
    async fn open(kube: &FakeKube, path: &str) -> Watch {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let req = Request::get(format!("{}{path}", kube.url()))
            .body(Full::new(Bytes::new()))
            .expect("valid request");
        let resp = timeout(T, client.request(req))
            .await
            .expect("watch answered within the timeout")
            .expect("watch request");
        Watch {
            status: resp.status().as_u16(),
            body: resp.into_body(),
            buf: Vec::new(),
        }
    }

    /// The next item, or `Quiet` if nothing arrives within `within`.
    async fn next_within(&mut self, within: Duration) -> Item {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Item::Event(serde_json::from_slice(&line).expect("a JSON event per line"));
            }
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Err(_) => return Item::Quiet,
                Ok(None) if self.buf.is_empty() => return Item::End,
                Ok(None) => return Item::Broken("partial line at the end".into()),
                Ok(Some(Err(e))) => return Item::Broken(e.to_string()),
                Ok(Some(Ok(frame))) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                    }
                }
            }
        }
    }

    async fn event(&mut self) -> Value {
        match self.next_within(T).await {
            Item::Event(e) => e,
            other => panic!("expected a watch event, got {other:?}"),
        }
    }

    /// The next non-bookmark event.
    async fn change(&mut self) -> Value {
        loop {
            let e = self.event().await;
            if e["type"] != "BOOKMARK" {
                return e;
            }
        }
    }
}

fn checkout_with_image(kube: &FakeKube, image: &str) -> Value {
    let mut d = kube
        .get("apps/v1", "Deployment", Some("storefront"), "checkout")
        .expect("checkout exists");
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
    d
}

// ---------------------------------------------------------------------------------------------
// LIST, GET, selectors, paging

#[tokio::test]
async fn list_items_carry_type_and_server_fields() {
    let kube = small_cluster().await;
    let list = get_ok(&kube, "/apis/apps/v1/deployments").await;
    assert_eq!(list["kind"], "DeploymentList");
    assert_eq!(list["apiVersion"], "apps/v1");
    assert_eq!(rv_of(&list), kube.resource_version());
    assert_eq!(
        names(&list),
        ["payments-api", "catalog", "checkout"],
        "ordered by namespace, name"
    );
    for item in list["items"].as_array().unwrap() {
        assert_eq!(item["apiVersion"], "apps/v1");
        assert_eq!(item["kind"], "Deployment");
        let m = &item["metadata"];
        assert!(rv_of(item) <= kube.resource_version());
        assert!(m["uid"].as_str().is_some_and(|u| u.len() == 36), "{m}");
        assert!(
            m["creationTimestamp"].is_string() && m["generation"].is_u64(),
            "{m}"
        );
    }
    // Fixture values are kept where given (uid, generation, timestamps), the rv is the server's.
    let d = get_ok(&kube, DEPLOY).await;
    assert_eq!(d["metadata"]["uid"], "5c1f2a3b-4d5e-4f60-8a7b-9c8d7e6f5a41");
    assert_eq!(d["metadata"]["generation"], 9);
    assert!(
        d["metadata"]["managedFields"].is_array(),
        "managedFields are served as stored"
    );

    let pods = get_ok(&kube, "/api/v1/namespaces/storefront/pods").await;
    assert_eq!(pods["kind"], "PodList");
    assert_eq!(names(&pods).len(), 5);
    let nodes = get_ok(&kube, "/api/v1/nodes").await;
    assert_eq!(names(&nodes).len(), 2);
    // Wrong scope: nodes are cluster-scoped, deployments need a namespace for a name.
    assert_eq!(get(&kube, "/api/v1/namespaces/payments/nodes").await.0, 404);
    assert_eq!(
        get(&kube, "/apis/apps/v1/deployments/payments-api").await.0,
        404
    );
}

#[tokio::test]
async fn label_and_field_selectors() {
    let kube = small_cluster().await;
    let q = async |path: &str| names(&get_ok(&kube, path).await);
    assert_eq!(
        q("/api/v1/pods?labelSelector=app.kubernetes.io%2Fname%3Dcheckout")
            .await
            .len(),
        3
    );
    assert_eq!(
        q("/api/v1/pods?labelSelector=app.kubernetes.io%2Fname%3Dcheckout,pod-template-hash!%3D5f6b8d7c9").await,
        ["checkout-7d9c6b8f4-q2w8z"]
    );
    assert_eq!(
        q("/api/v1/pods?labelSelector=app.kubernetes.io%2Fname+in+(catalog,payments-api)")
            .await
            .len(),
        4
    );
    assert_eq!(
        q("/api/v1/pods?labelSelector=!pod-template-hash")
            .await
            .len(),
        0
    );
    assert_eq!(
        q("/api/v1/namespaces?labelSelector=team").await,
        ["payments", "storefront"]
    );
    assert_eq!(
        q("/api/v1/events?fieldSelector=type%3DWarning").await.len(),
        2
    );
    assert_eq!(
        q("/api/v1/events?fieldSelector=type%3DWarning,involvedObject.name%3Dcheckout-7d9c6b8f4-q2w8z").await.len(),
        1
    );
    assert_eq!(
        q("/api/v1/pods?fieldSelector=spec.nodeName%3D").await,
        ["catalog-84c9f7d6b5-9tqwd"]
    );
    assert_eq!(
        q("/api/v1/pods?fieldSelector=status.phase!%3DRunning").await,
        ["catalog-84c9f7d6b5-9tqwd"]
    );
    assert_eq!(
        q("/api/v1/pods?fieldSelector=metadata.namespace%3Dpayments")
            .await
            .len(),
        2
    );
    let (status, err) = get(&kube, "/api/v1/pods?fieldSelector=oops").await;
    assert_eq!((status, err["reason"].as_str()), (400, Some("BadRequest")));
}

#[tokio::test]
async fn paging_with_limit_and_continue() {
    let kube = small_cluster().await;
    let all = names(&get_ok(&kube, "/api/v1/pods").await);
    assert_eq!(all.len(), 7);
    let mut paged = Vec::new();
    let mut path = "/api/v1/pods?limit=3".to_string();
    let mut pages = 0;
    let first_rv = kube.resource_version();
    loop {
        let page = get_ok(&kube, &path).await;
        pages += 1;
        assert_eq!(
            rv_of(&page),
            first_rv,
            "every page carries the first page's resourceVersion"
        );
        paged.extend(names(&page));
        // A write between pages does not disturb the paging.
        kube.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm{pages}"), "namespace": "payments"}}));
        match page["metadata"]["continue"].as_str() {
            Some(token) => {
                assert!(page["metadata"]["remainingItemCount"].as_u64().unwrap() > 0);
                path = format!("/api/v1/pods?limit=3&continue={token}");
            }
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(paged, all);
    let first = get_ok(&kube, "/api/v1/pods?limit=3").await;
    assert_eq!(first["metadata"]["remainingItemCount"], 4);
    let (status, _) = get(&kube, "/api/v1/pods?limit=3&continue=zz").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn get_missing_object_is_a_not_found_status() {
    let kube = small_cluster().await;
    let (status, s) = get(&kube, "/apis/apps/v1/namespaces/payments/deployments/nope").await;
    assert_eq!(status, 404);
    assert_eq!(s["kind"], "Status");
    assert_eq!(s["status"], "Failure");
    assert_eq!(s["reason"], "NotFound");
    assert_eq!(s["code"], 404);
    assert_eq!(s["message"], "deployments.apps \"nope\" not found");
    let (_, s) = get(&kube, "/api/v1/namespaces/payments/pods/nope").await;
    assert_eq!(s["message"], "pods \"nope\" not found");
    let (status, s) = get(&kube, "/apis/nothing.example.com/v1/things").await;
    assert_eq!((status, s["reason"].as_str()), (404, Some("NotFound")));
}

// ---------------------------------------------------------------------------------------------
// Discovery

#[tokio::test]
async fn discovery_documents_and_the_optional_rollouts_crd() {
    let kube = small_cluster().await;
    let v = get_ok(&kube, "/version").await;
    assert_eq!(
        (v["major"].as_str(), v["minor"].as_str()),
        (Some("1"), Some("33"))
    );
    assert_eq!(get_ok(&kube, "/api").await["versions"], json!(["v1"]));

    let core = get_ok(&kube, "/api/v1").await;
    let find = |list: &Value, name: &str| {
        list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} not in {list}"))
    };
    let pods = find(&core, "pods");
    assert_eq!(
        (pods["kind"].as_str(), pods["namespaced"].as_bool()),
        (Some("Pod"), Some(true))
    );
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert!(pods["verbs"].as_array().unwrap().contains(&json!("watch")));
    assert_eq!(find(&core, "nodes")["namespaced"], false);

    let apps = get_ok(&kube, "/apis/apps/v1").await;
    assert_eq!(apps["groupVersion"], "apps/v1");
    assert_eq!(find(&apps, "deployments")["shortNames"], json!(["deploy"]));
    assert_eq!(find(&apps, "replicasets")["shortNames"], json!(["rs"]));
    let scale = find(&apps, "deployments/scale");
    assert_eq!(
        (
            scale["group"].as_str(),
            scale["version"].as_str(),
            scale["kind"].as_str()
        ),
        (Some("autoscaling"), Some("v1"), Some("Scale"))
    );
    find(&apps, "deployments/status");
    assert_eq!(
        find(
            &get_ok(&kube, "/apis/autoscaling/v2").await,
            "horizontalpodautoscalers"
        )["shortNames"],
        json!(["hpa"])
    );

    let group_names = |groups: &Value| -> Vec<String> {
        groups["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["name"].as_str().unwrap().to_string())
            .collect()
    };
    let groups = get_ok(&kube, "/apis").await;
    assert_eq!(groups["kind"], "APIGroupList");
    assert!(group_names(&groups).contains(&"apps".to_string()));
    assert!(!group_names(&groups).contains(&"argoproj.io".to_string()));
    assert_eq!(get(&kube, "/apis/argoproj.io/v1alpha1").await.0, 404);
    assert_eq!(
        get(&kube, "/apis/argoproj.io/v1alpha1/rollouts").await.0,
        404
    );

    kube.enable_argo_rollouts();
    assert!(group_names(&get_ok(&kube, "/apis").await).contains(&"argoproj.io".to_string()));
    assert_eq!(
        get_ok(&kube, "/apis/argoproj.io").await["preferredVersion"]["version"],
        "v1alpha1"
    );
    find(
        &get_ok(&kube, "/apis/argoproj.io/v1alpha1").await,
        "rollouts/scale",
    );
    kube.apply(
        json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
        "metadata": {"name": "web", "namespace": "storefront"}, "spec": {"replicas": 2}}),
    );
    assert_eq!(
        names(&get_ok(&kube, "/apis/argoproj.io/v1alpha1/rollouts").await),
        ["web"]
    );
    assert_eq!(kube.count(RequestKind::Discovery, ""), 10);
}

// ---------------------------------------------------------------------------------------------
// WATCH

#[tokio::test]
async fn watch_replays_history_then_follows_live_writes() {
    let kube = small_cluster().await;
    let from = kube.resource_version();
    kube.apply(checkout_with_image(&kube, "checkout:2.8.1"));
    kube.apply(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "search", "namespace": "storefront"}, "spec": {"replicas": 1}}));
    kube.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "noise", "namespace": "storefront"}}));

    let mut w = Watch::open(
        &kube,
        &format!("/apis/apps/v1/deployments?watch=true&resourceVersion={from}"),
    )
    .await;
    assert_eq!(w.status, 200);
    let e = w.event().await;
    assert_eq!(e["type"], "MODIFIED");
    assert_eq!(
        e["object"]["spec"]["template"]["spec"]["containers"][0]["image"],
        "checkout:2.8.1"
    );
    assert_eq!(
        e["object"]["metadata"]["generation"], 15,
        "a spec change bumps the generation"
    );
    let e2 = w.event().await;
    assert_eq!(
        (
            e2["type"].as_str(),
            e2["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("search"))
    );
    assert!(rv_of(&e2["object"]) > rv_of(&e["object"]));

    // Live: a delete arrives as DELETED, with the deletion's resourceVersion.
    assert!(matches!(
        w.next_within(Duration::from_millis(100)).await,
        Item::Quiet
    ));
    assert!(kube.delete("apps/v1", "Deployment", Some("storefront"), "search"));
    let e3 = w.event().await;
    assert_eq!(
        (
            e3["type"].as_str(),
            e3["object"]["metadata"]["name"].as_str()
        ),
        (Some("DELETED"), Some("search"))
    );
    assert_eq!(rv_of(&e3["object"]), kube.resource_version());
    assert!(!kube.delete("apps/v1", "Deployment", Some("storefront"), "search"));
}

#[tokio::test]
async fn watch_without_resource_version_starts_with_the_current_objects() {
    let kube = small_cluster().await;
    for path in [
        "/api/v1/namespaces/payments/pods?watch=1",
        "/api/v1/namespaces/payments/pods?watch=true&resourceVersion=0",
    ] {
        let mut w = Watch::open(&kube, path).await;
        let first: Vec<Value> = vec![w.event().await, w.event().await];
        assert!(first.iter().all(|e| e["type"] == "ADDED" && e["object"]["metadata"]["namespace"] == "payments"));
        assert!(matches!(
            w.next_within(Duration::from_millis(100)).await,
            Item::Quiet
        ));
    }
    // sendInitialEvents (streaming lists): the initial events end with an annotated bookmark.
    let mut w = Watch::open(&kube, "/api/v1/namespaces/payments/pods?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan").await;
    assert_eq!(w.event().await["type"], "ADDED");
    assert_eq!(w.event().await["type"], "ADDED");
    let b = w.event().await;
    assert_eq!(b["type"], "BOOKMARK");
    assert_eq!(
        b["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

#[tokio::test]
async fn watch_with_a_selector_sees_objects_enter_and_leave_it() {
    let kube = small_cluster().await;
    let mut w = Watch::open(&kube, &format!("/api/v1/namespaces/storefront/pods?watch=true&resourceVersion={}&labelSelector=tier%3Dfront", kube.resource_version())).await;
    let mut pod = kube
        .get("v1", "Pod", Some("storefront"), "catalog-84c9f7d6b5-bx4lm")
        .unwrap();
    pod["metadata"]["labels"]["tier"] = json!("front");
    kube.apply(pod.clone());
    assert_eq!(w.event().await["type"], "ADDED");
    pod["status"]["phase"] = json!("Failed");
    kube.apply(pod.clone());
    assert_eq!(w.event().await["type"], "MODIFIED");
    pod["metadata"]["labels"]["tier"] = json!("back");
    kube.apply(pod);
    assert_eq!(w.event().await["type"], "DELETED");
}

#[tokio::test]
async fn bookmarks_arrive_when_allowed() {
    let kube = small_cluster().await;
    kube.set_bookmark_interval(Duration::from_millis(50));
    let rv = kube.resource_version();
    let mut w = Watch::open(
        &kube,
        &format!(
            "/apis/apps/v1/deployments?watch=true&resourceVersion={rv}&allowWatchBookmarks=true"
        ),
    )
    .await;
    for _ in 0..2 {
        let b = w.event().await;
        assert_eq!(b["type"], "BOOKMARK");
        assert_eq!(b["object"]["kind"], "Deployment");
        assert_eq!(b["object"]["apiVersion"], "apps/v1");
        assert_eq!(
            b["object"]["metadata"],
            json!({"resourceVersion": rv.to_string()})
        );
    }
    kube.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "payments"}}));
    let b = w.event().await;
    assert_eq!(b["type"], "BOOKMARK");
    assert_eq!(
        rv_of(&b["object"]),
        rv + 1,
        "bookmarks advance past other resources' writes"
    );
    // Without allowWatchBookmarks, none.
    let mut quiet = Watch::open(
        &kube,
        &format!("/apis/apps/v1/deployments?watch=true&resourceVersion={rv}"),
    )
    .await;
    assert!(matches!(
        quiet.next_within(Duration::from_millis(200)).await,
        Item::Quiet
    ));
}

#[tokio::test]
async fn watch_ends_at_timeout_seconds_and_on_end_watches() {
    let kube = small_cluster().await;
    let rv = kube.resource_version();
    let started = Instant::now();
    let mut w = Watch::open(
        &kube,
        &format!("/api/v1/pods?watch=true&resourceVersion={rv}&timeoutSeconds=1"),
    )
    .await;
    assert!(matches!(
        w.next_within(Duration::from_secs(3)).await,
        Item::End
    ));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_millis(2500),
        "{took:?}"
    );

    let mut a = Watch::open(
        &kube,
        &format!("/api/v1/pods?watch=true&resourceVersion={rv}"),
    )
    .await;
    let mut b = Watch::open(
        &kube,
        &format!("/apis/apps/v1/deployments?watch=true&resourceVersion={rv}"),
    )
    .await;
    kube.end_watches();
    assert!(matches!(a.next_within(T).await, Item::End));
    assert!(matches!(b.next_within(T).await, Item::End));
}

#[tokio::test]
async fn expire_watches_sends_an_in_stream_410_and_compacts_history() {
    let kube = small_cluster().await;
    let old_rv = kube.resource_version();
    let mut w = Watch::open(
        &kube,
        &format!("/apis/apps/v1/deployments?watch=true&resourceVersion={old_rv}"),
    )
    .await;
    kube.apply(checkout_with_image(&kube, "checkout:2.8.1"));
    assert_eq!(w.event().await["type"], "MODIFIED");
    kube.expire_watches();
    let e = w.event().await;
    assert_eq!(e["type"], "ERROR");
    let s = &e["object"];
    assert_eq!(
        (
            s["kind"].as_str(),
            s["apiVersion"].as_str(),
            s["status"].as_str()
        ),
        (Some("Status"), Some("v1"), Some("Failure"))
    );
    assert_eq!(
        (s["code"].as_u64(), s["reason"].as_str()),
        (Some(410), Some("Expired"))
    );
    assert!(
        s["message"]
            .as_str()
            .unwrap()
            .starts_with("too old resource version: "),
        "{s}"
    );
    assert!(
        matches!(w.next_within(T).await, Item::End),
        "the stream ends after the error"
    );

    // Watching from before the compaction: HTTP 200, then the 410 in the stream.
    let mut again = Watch::open(
        &kube,
        &format!("/apis/apps/v1/deployments?watch=true&resourceVersion={old_rv}"),
    )
    .await;
    assert_eq!(again.status, 200);
    let e = again.event().await;
    assert_eq!(
        (e["type"].as_str(), e["object"]["code"].as_u64()),
        (Some("ERROR"), Some(410))
    );
    assert_eq!(
        e["object"]["message"],
        format!(
            "too old resource version: {old_rv} ({})",
            kube.resource_version() + 1
        )
    );
    assert!(matches!(again.next_within(T).await, Item::End));
    // From now on, fine.
    let mut fresh = Watch::open(
        &kube,
        &format!(
            "/apis/apps/v1/deployments?watch=true&resourceVersion={}",
            kube.resource_version()
        ),
    )
    .await;
    kube.apply(checkout_with_image(&kube, "checkout:2.8.2"));
    assert_eq!(fresh.event().await["type"], "MODIFIED");
}

#[tokio::test]
async fn a_resource_version_older_than_the_history_is_too_old() {
    let kube = small_cluster().await;
    kube.set_history_limit(5);
    let old_rv = kube.resource_version();
    for i in 0..6 {
        kube.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}"), "namespace": "payments"}}));
    }
    let mut w = Watch::open(
        &kube,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={old_rv}"),
    )
    .await;
    let e = w.event().await;
    assert_eq!(
        (e["type"].as_str(), e["object"]["reason"].as_str()),
        (Some("ERROR"), Some("Expired"))
    );
    // One event later is still in the window.
    let mut w = Watch::open(
        &kube,
        &format!(
            "/api/v1/configmaps?watch=true&resourceVersion={}",
            old_rv + 1
        ),
    )
    .await;
    assert_eq!(w.event().await["object"]["metadata"]["name"], "c1");
}

/// A watch from a resourceVersion the server has not reached (it was restored from a backup):
/// 504, reason Timeout, cause ResourceVersionTooLarge, as a real API server's watch cache
/// answers (`storage.NewTooLargeResourceVersionError`); after a restore the counter is behind.
#[tokio::test]
async fn a_future_resource_version_is_too_large_and_a_restore_goes_back_in_time() {
    let kube = small_cluster().await;
    let rv = kube.resource_version();
    let (code, status) = get(
        &kube,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={}", rv + 50),
    )
    .await;
    assert_eq!(code, 504);
    assert_eq!(status["reason"], "Timeout");
    assert_eq!(
        status["message"],
        format!("Too large resource version: {}, current: {rv}", rv + 50)
    );
    assert_eq!(
        status["details"]["causes"][0]["reason"],
        "ResourceVersionTooLarge"
    );
    assert_eq!(status["details"]["retryAfterSeconds"], 1);
    // The current version itself is fine.
    let (code, _) = get(&kube, &format!("/api/v1/configmaps?resourceVersion={rv}")).await;
    assert_eq!(code, 200);
    for i in 0..10 {
        kube.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}"), "namespace": "payments"}}));
    }
    let seen = kube.resource_version();
    kube.restore_from_backup("").await;
    assert!(kube.resource_version() < seen);
    let (code, _) = get(
        &kube,
        &format!("/api/v1/configmaps?watch=true&resourceVersion={seen}"),
    )
    .await;
    assert_eq!(code, 504, "a client resuming from what it saw is told so");
}

// ---------------------------------------------------------------------------------------------
// Writes

#[tokio::test]
async fn merge_and_strategic_merge_patches() {
    let kube = small_cluster().await;
    let before = get_ok(&kube, DEPLOY).await;
    let (status, d) = patch(&kube, DEPLOY, "application/merge-patch+json",
        json!({"spec": {"paused": true}, "metadata": {"annotations": {"deployment.kubernetes.io/revision": null, "team": "pay"}}})).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["spec"]["paused"], true);
    assert_eq!(
        d["metadata"]["annotations"],
        json!({"team": "pay"}),
        "null removes a key"
    );
    assert_eq!(d["metadata"]["generation"], 10);
    assert!(rv_of(&d) > rv_of(&before));
    assert_eq!(d["status"], before["status"]);
    assert_eq!(
        kube.get("apps/v1", "Deployment", Some("payments"), "payments-api")
            .unwrap(),
        d
    );

    // What `kubectl set image` sends: containers merge by name, other fields stay.
    let (status, d) = patch(&kube, DEPLOY, "application/strategic-merge-patch+json",
        json!({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "api"}, {"name": "sidecar"}],
            "containers": [{"name": "api", "image": "payments-api:1.43.0"}, {"name": "sidecar", "image": "envoy:1.31"}]}}}})).await;
    assert_eq!(status, 200, "{d}");
    let containers = d["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap();
    assert_eq!(containers.len(), 2);
    assert_eq!(containers[0]["image"], "payments-api:1.43.0");
    assert_eq!(
        containers[0]["ports"][0]["containerPort"], 8080,
        "unpatched fields of the item stay"
    );
    assert_eq!(containers[1]["name"], "sidecar");
    // A merge patch replaces the list instead.
    let (_, d) = patch(
        &kube,
        DEPLOY,
        "application/merge-patch+json",
        json!({"spec": {"template": {"spec": {"containers": [{"name": "api", "image": "x"}]}}}}),
    )
    .await;
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"],
        json!([{"name": "api", "image": "x"}])
    );
    // `$patch: delete` removes a list item; `kubectl rollout restart` adds a template annotation.
    let (_, d) = patch(&kube, DEPLOY, "application/strategic-merge-patch+json",
        json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-21T14:31:00Z"}},
            "spec": {"containers": [{"name": "api", "$patch": "delete"}]}}}})).await;
    assert_eq!(d["spec"]["template"]["spec"]["containers"], json!([]));
    assert_eq!(
        d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
        "2026-11-21T14:31:00Z"
    );
    assert_eq!(
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        "payments-api"
    );

    // A patch that changes nothing writes nothing.
    let rv = kube.resource_version();
    let (status, same) = patch(
        &kube,
        DEPLOY,
        "application/merge-patch+json",
        json!({"spec": {"paused": true}}),
    )
    .await;
    assert_eq!(
        (status, kube.resource_version(), rv_of(&same)),
        (200, rv, rv)
    );
    // Status changes through the main resource are ignored, through /status they land.
    let (_, d) = patch(
        &kube,
        DEPLOY,
        "application/merge-patch+json",
        json!({"status": {"replicas": 9}}),
    )
    .await;
    assert_eq!(d["status"]["replicas"], 2);
    let (_, d) = patch(
        &kube,
        &format!("{DEPLOY}/status"),
        "application/merge-patch+json",
        json!({"status": {"replicas": 9}, "spec": {"replicas": 7}}),
    )
    .await;
    assert_eq!(
        (
            d["status"]["replicas"].as_u64(),
            d["spec"]["replicas"].as_u64()
        ),
        (Some(9), Some(2))
    );
    let (status, s) = patch(&kube, DEPLOY, "text/plain", json!({})).await;
    assert_eq!(
        (status, s["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
    let (status, _) = patch(
        &kube,
        "/apis/apps/v1/namespaces/payments/deployments/nope",
        "application/merge-patch+json",
        json!({}),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn server_side_apply_creates_then_merges() {
    let kube = small_cluster().await;
    let path = "/api/v1/namespaces/payments/configmaps/flags?fieldManager=opsdeck";
    let ct = "application/apply-patch+yaml";
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  a: \"1\"\n";
    let (status, created) = call_raw(&kube, "PATCH", path, ct, yaml).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["metadata"]["namespace"], "payments");
    // kube-rs sends its apply patches as JSON, which is YAML too.
    let (status, merged) = patch(
        &kube,
        path,
        ct,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "flags"}, "data": {"b": "2"}}),
    )
    .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(merged["data"], json!({"a": "1", "b": "2"}));
}

#[tokio::test]
async fn json_patch_operations_and_a_failing_test() {
    let kube = small_cluster().await;
    let ct = "application/json-patch+json";
    let (status, d) = patch(&kube, DEPLOY, ct, json!([
        {"op": "test", "path": "/spec/replicas", "value": 2},
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/metadata/labels/tier", "value": "backend"},
        {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "sidecar", "image": "envoy"}},
        {"op": "copy", "from": "/metadata/labels/tier", "path": "/metadata/labels/copy"},
        {"op": "move", "from": "/metadata/labels/copy", "path": "/metadata/labels/moved"},
        {"op": "remove", "path": "/spec/template/spec/containers/0/resources"},
        {"op": "add", "path": "/metadata/annotations/a~1b", "value": "escaped"},
    ])).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["spec"]["replicas"], 3);
    assert_eq!(d["metadata"]["labels"]["tier"], "backend");
    assert_eq!(d["metadata"]["labels"]["moved"], "backend");
    assert!(d["metadata"]["labels"].get("copy").is_none());
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][1]["name"],
        "sidecar"
    );
    assert!(
        d["spec"]["template"]["spec"]["containers"][0]
            .get("resources")
            .is_none()
    );
    assert_eq!(d["metadata"]["annotations"]["a/b"], "escaped");

    let rv = kube.resource_version();
    let (status, s) = patch(
        &kube,
        DEPLOY,
        ct,
        json!([
            {"op": "replace", "path": "/spec/replicas", "value": 8},
            {"op": "test", "path": "/spec/replicas", "value": 2},
        ]),
    )
    .await;
    assert_eq!(
        (status, s["kind"].as_str(), s["code"].as_u64()),
        (422, Some("Status"), Some(422)),
        "{s}"
    );
    assert_eq!(
        kube.resource_version(),
        rv,
        "a failed patch changes nothing"
    );
    assert_eq!(get_ok(&kube, DEPLOY).await["spec"]["replicas"], 3);
    let (status, _) = patch(
        &kube,
        DEPLOY,
        ct,
        json!([{"op": "remove", "path": "/spec/nope"}]),
    )
    .await;
    assert_eq!(status, 422);
    // A patch carrying a stale resourceVersion is a conflict.
    let (status, s) = patch(
        &kube,
        DEPLOY,
        "application/merge-patch+json",
        json!({"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 1}}),
    )
    .await;
    assert_eq!((status, s["reason"].as_str()), (409, Some("Conflict")));
}

#[tokio::test]
async fn put_post_delete_and_conflicts() {
    let kube = small_cluster().await;
    let mut d = get_ok(&kube, DEPLOY).await;
    d["spec"]["replicas"] = json!(4);
    let (status, put) = call(&kube, "PUT", DEPLOY, "application/json", Some(d.clone())).await;
    assert_eq!(status, 200, "{put}");
    assert_eq!(put["spec"]["replicas"], 4);
    assert_eq!(put["metadata"]["uid"], d["metadata"]["uid"]);
    // The same PUT again carries the old resourceVersion now.
    d["spec"]["replicas"] = json!(5);
    let (status, s) = call(&kube, "PUT", DEPLOY, "application/json", Some(d)).await;
    assert_eq!(status, 409);
    assert_eq!(s["reason"], "Conflict");
    assert_eq!(
        s["message"],
        "Operation cannot be fulfilled on deployments.apps \"payments-api\": the object has been modified; \
         please apply your changes to the latest version and try again"
    );
    assert_eq!(
        s["details"],
        json!({"name": "payments-api", "group": "apps", "kind": "deployments"})
    );

    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flags"}, "data": {"a": "1"}});
    let (status, created) = call(
        &kube,
        "POST",
        "/api/v1/namespaces/payments/configmaps",
        "application/json",
        Some(cm.clone()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["metadata"]["namespace"], "payments");
    assert_eq!(created["metadata"]["generation"], 1);
    let (status, s) = call(
        &kube,
        "POST",
        "/api/v1/namespaces/payments/configmaps",
        "application/json",
        Some(cm),
    )
    .await;
    assert_eq!((status, s["reason"].as_str()), (409, Some("AlreadyExists")));
    assert_eq!(s["message"], "configmaps \"flags\" already exists");
    let (status, s) = call(
        &kube,
        "POST",
        "/api/v1/namespaces/payments/configmaps",
        "application/vnd.kubernetes.protobuf",
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, s["reason"].as_str()),
        (415, Some("UnsupportedMediaType"))
    );
    let generated = json!({"metadata": {"generateName": "job-"}});
    let (status, g) = call(
        &kube,
        "POST",
        "/api/v1/namespaces/payments/configmaps",
        "application/json",
        Some(generated),
    )
    .await;
    assert_eq!(status, 201);
    assert!(g["metadata"]["name"].as_str().unwrap().starts_with("job-"));
    let (status, _) = call(
        &kube,
        "DELETE",
        "/api/v1/namespaces/payments/configmaps/flags",
        "application/json",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&kube, "/api/v1/namespaces/payments/configmaps/flags")
            .await
            .0,
        404
    );
    let (status, _) = call(
        &kube,
        "DELETE",
        "/api/v1/namespaces/payments/configmaps/flags",
        "application/json",
        None,
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn scale_subresource() {
    let kube = small_cluster().await;
    let path = format!("{DEPLOY}/scale");
    let scale = get_ok(&kube, &path).await;
    assert_eq!(
        (scale["kind"].as_str(), scale["apiVersion"].as_str()),
        (Some("Scale"), Some("autoscaling/v1"))
    );
    assert_eq!(scale["spec"]["replicas"], 2);
    assert_eq!(scale["status"]["replicas"], 2);
    assert_eq!(
        scale["status"]["selector"],
        "app.kubernetes.io/name=payments-api"
    );
    assert_eq!(scale["metadata"]["name"], "payments-api");

    let mut put = scale.clone();
    put["spec"]["replicas"] = json!(4);
    let (status, s) = call(&kube, "PUT", &path, "application/json", Some(put.clone())).await;
    assert_eq!((status, s["spec"]["replicas"].as_u64()), (200, Some(4)));
    let d = kube
        .get("apps/v1", "Deployment", Some("payments"), "payments-api")
        .unwrap();
    assert_eq!(d["spec"]["replicas"], 4);
    assert_eq!(d["metadata"]["generation"], 10);
    let (status, _) = call(&kube, "PUT", &path, "application/json", Some(put)).await;
    assert_eq!(
        status, 409,
        "a Scale with a stale resourceVersion conflicts"
    );

    let (status, s) = patch(
        &kube,
        &path,
        "application/merge-patch+json",
        json!({"spec": {"replicas": 6}}),
    )
    .await;
    assert_eq!((status, s["spec"]["replicas"].as_u64()), (200, Some(6)));
    assert_eq!(get_ok(&kube, DEPLOY).await["spec"]["replicas"], 6);
    let rs = get_ok(
        &kube,
        "/apis/apps/v1/namespaces/payments/replicasets/payments-api-6d8f7b9c5d/scale",
    )
    .await;
    assert_eq!(
        rs["status"]["selector"],
        "app.kubernetes.io/name=payments-api,pod-template-hash=6d8f7b9c5d"
    );
    assert_eq!(
        get(
            &kube,
            "/api/v1/namespaces/payments/pods/payments-api-6d8f7b9c5d-x7k2p/scale"
        )
        .await
        .0,
        404
    );
    assert_eq!(kube.count(RequestKind::Patch, "deployments/scale"), 1);
    assert_eq!(kube.count(RequestKind::Put, "deployments/scale"), 2);
}

// ---------------------------------------------------------------------------------------------
// Faults

#[tokio::test]
async fn forbidden_resources_get_403_and_access_reviews_say_no() {
    let kube = small_cluster().await;
    kube.set_user("system:serviceaccount:ops:opsdeck");
    kube.forbid("pods", true);
    let (status, s) = get(&kube, "/api/v1/pods").await;
    assert_eq!(status, 403);
    assert_eq!(
        (s["kind"].as_str(), s["reason"].as_str(), s["code"].as_u64()),
        (Some("Status"), Some("Forbidden"), Some(403))
    );
    assert_eq!(
        s["message"],
        "pods is forbidden: User \"system:serviceaccount:ops:opsdeck\" cannot list resource \"pods\" in API group \"\" at the cluster scope"
    );
    let (_, s) = get(&kube, "/api/v1/namespaces/payments/pods?watch=true").await;
    assert_eq!(
        s["message"],
        "pods is forbidden: User \"system:serviceaccount:ops:opsdeck\" cannot watch resource \"pods\" in API group \"\" in the namespace \"payments\""
    );
    let (status, _) = get(
        &kube,
        "/api/v1/namespaces/payments/pods/payments-api-6d8f7b9c5d-x7k2p",
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        get(&kube, "/apis/apps/v1/deployments").await.0,
        200,
        "other resources still answer"
    );

    let review = |resource: &str| {
        json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "list", "resource": resource, "namespace": "payments"}}})
    };
    let ssar = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    let (status, r) = call(
        &kube,
        "POST",
        ssar,
        "application/json",
        Some(review("pods")),
    )
    .await;
    assert_eq!(
        (status, r["status"]["allowed"].as_bool()),
        (201, Some(false))
    );
    let (_, r) = call(
        &kube,
        "POST",
        ssar,
        "application/json",
        Some(review("deployments")),
    )
    .await;
    assert_eq!(r["status"]["allowed"], true);
    assert_eq!(r["spec"]["resourceAttributes"]["resource"], "deployments");
    let (status, who) = call(
        &kube,
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        "application/json",
        Some(json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})),
    )
    .await;
    assert_eq!(
        (status, who["status"]["userInfo"]["username"].as_str()),
        (201, Some("system:serviceaccount:ops:opsdeck"))
    );

    kube.forbid("pods", false);
    assert_eq!(get(&kube, "/api/v1/pods").await.0, 200);
    kube.forbid("deployments/scale", true);
    assert_eq!(get(&kube, &format!("{DEPLOY}/scale")).await.0, 403);
    assert_eq!(get(&kube, DEPLOY).await.0, 200);
}

#[tokio::test]
async fn go_down_refuses_and_drops_then_comes_back_on_the_same_port() {
    let kube = small_cluster().await;
    let port = kube.port();
    let rv = kube.resource_version();
    let mut w = Watch::open(
        &kube,
        &format!("/apis/apps/v1/deployments?watch=true&resourceVersion={rv}"),
    )
    .await;
    timeout(T, kube.go_down()).await.expect("go_down finishes");
    match w.next_within(T).await {
        Item::Broken(why) => assert!(!why.is_empty()),
        other => panic!("the watch should break off, got {other:?}"),
    }
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
    assert_eq!(
        refused.map_err(|e| e.kind()).err(),
        Some(std::io::ErrorKind::ConnectionRefused)
    );
    // Data can still change while down; clients see it after.
    kube.apply(checkout_with_image(&kube, "checkout:2.8.1"));

    timeout(T, kube.come_back())
        .await
        .expect("come_back finishes");
    assert_eq!(kube.port(), port);
    let list = get_ok(&kube, "/apis/apps/v1/deployments").await;
    assert_eq!(names(&list).len(), 3);
    assert_eq!(rv_of(&list), rv + 1, "resourceVersions continue");
    let mut w = Watch::open(
        &kube,
        &format!("/apis/apps/v1/deployments?watch=true&resourceVersion={rv}"),
    )
    .await;
    assert_eq!(w.change().await["type"], "MODIFIED", "history survives");
}

#[tokio::test]
async fn hang_times_out_while_another_server_answers() {
    let a = small_cluster().await;
    let b = small_cluster().await;
    let rv = a.resource_version();
    let mut w = Watch::open(
        &a,
        &format!("/apis/apps/v1/deployments?watch=true&resourceVersion={rv}"),
    )
    .await;
    a.hang(true);
    let hung = timeout(
        Duration::from_millis(300),
        get(&a, "/apis/apps/v1/deployments"),
    )
    .await;
    assert!(hung.is_err(), "a hung server answered: {hung:?}");
    let ok = timeout(Duration::from_secs(1), get(&b, "/apis/apps/v1/deployments")).await;
    assert_eq!(ok.expect("the other server answers at once").0, 200);
    // The open watch is frozen too.
    a.apply(checkout_with_image(&a, "checkout:2.8.1"));
    assert!(matches!(
        w.next_within(Duration::from_millis(200)).await,
        Item::Quiet
    ));
    let unanswered = a.requests().into_iter().filter(|r| r.status == 0).count();
    assert_eq!(unanswered, 1, "{:?}", a.requests());

    a.hang(false);
    assert_eq!(w.event().await["type"], "MODIFIED");
    assert_eq!(get(&a, "/apis/apps/v1/deployments").await.0, 200);
}

#[tokio::test]
async fn latency_delays_answers() {
    let kube = FakeKube::start().await;
    kube.set_latency(Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(get(&kube, "/api/v1/pods").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    kube.set_latency(Duration::ZERO);
    let started = Instant::now();
    let empty = get_ok(&kube, "/api/v1/pods").await;
    assert!(started.elapsed() < Duration::from_millis(300));
    assert_eq!(empty["items"], json!([]), "start() is an empty cluster");
}

#[tokio::test]
async fn requests_are_recorded_by_kind_and_resource() {
    let kube = small_cluster().await;
    get_ok(&kube, "/api").await;
    get_ok(&kube, "/apis/apps/v1/deployments?limit=500").await;
    get_ok(&kube, DEPLOY).await;
    get(&kube, "/openapi/v3").await;
    let mut w = Watch::open(&kube, "/apis/apps/v1/deployments?watch=true").await;
    w.event().await;
    let r = kube.requests();
    let kinds: Vec<_> = r
        .iter()
        .map(|r| (r.kind, r.resource.as_str(), r.status))
        .collect();
    assert_eq!(
        kinds,
        [
            (RequestKind::Discovery, "", 200),
            (RequestKind::List, "deployments", 200),
            (RequestKind::Get, "deployments", 200),
            (RequestKind::Other, "", 404),
            (RequestKind::Watch, "deployments", 200),
        ]
    );
    assert_eq!(
        (
            r[1].method.as_str(),
            r[1].path.as_str(),
            r[1].query.as_str()
        ),
        ("GET", "/apis/apps/v1/deployments", "limit=500")
    );
    assert_eq!(kube.count(RequestKind::List, "deployments"), 1);
    kube.clear_requests();
    assert!(kube.requests().is_empty());
}

#[tokio::test]
async fn yaml_lists_and_test_helpers() {
    let kube = FakeKube::start().await;
    kube.apply_yaml(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: a\n\
         - apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c\n    namespace: a\n---\n---\n\
         apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  namespace: ignored\n",
    );
    assert_eq!(kube.list("v1", "Namespace").len(), 1);
    assert_eq!(
        kube.get("v1", "ConfigMap", Some("a"), "c").unwrap()["metadata"]["resourceVersion"],
        "3"
    );
    let node = kube.get("v1", "Node", None, "n1").unwrap();
    assert!(
        node["metadata"].get("namespace").is_none(),
        "cluster-scoped objects have no namespace"
    );
    let uid = node["metadata"]["uid"].clone();
    let mut w = Watch::open(&kube, "/api/v1/nodes?watch=true&resourceVersion=4").await;
    kube.apply(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1", "labels": {"x": "y"}}}));
    let e = w.event().await;
    assert_eq!(
        (e["type"].as_str(), &e["object"]["metadata"]["uid"]),
        (Some("MODIFIED"), &uid),
        "replacing keeps the uid"
    );
    kube.delete("v1", "Node", None, "n1");
    assert_eq!(w.event().await["type"], "DELETED");
    assert!(kube.get("v1", "Node", None, "n1").is_none());
}

// ---------------------------------------------------------------------------------------------
// kube-rs

#[tokio::test]
async fn kube_rs_client_and_watcher_sync_follow_and_relist_after_expiry() {
    use futures::StreamExt;
    use k8s_openapi::api::apps::v1::Deployment;
    use kube::api::{Api, ListParams};
    use kube::config::{KubeConfigOptions, Kubeconfig};
    use kube::runtime::watcher;

    let a = small_cluster().await;
    let b = FakeKube::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = fake_kube::write_kubeconfig(dir.path(), &[("prod-a", &a), ("prod-b", &b)]);
    let client_for = |context: &str| {
        let path = path.clone();
        let context = context.to_string();
        async move {
            let kc = Kubeconfig::read_from(&path).expect("the written kubeconfig parses");
            let opts = KubeConfigOptions {
                context: Some(context),
                ..Default::default()
            };
            let config = kube::Config::from_custom_kubeconfig(kc, &opts)
                .await
                .expect("a kube config");
            kube::Client::try_from(config).expect("a kube client")
        }
    };
    let deployments_b: Api<Deployment> = Api::all(client_for("prod-b").await);
    let listed = timeout(T, deployments_b.list(&ListParams::default()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        listed.items.is_empty(),
        "context prod-b is the empty server"
    );
    let client = client_for("prod-a").await;
    let pods = Api::<k8s_openapi::api::core::v1::Pod>::namespaced(client.clone(), "storefront");
    assert_eq!(
        timeout(T, pods.list(&ListParams::default()))
            .await
            .unwrap()
            .unwrap()
            .items
            .len(),
        5
    );

    let mut stream = watcher(Api::<Deployment>::all(client), watcher::Config::default()).boxed();
    let mut next = async || -> Result<watcher::Event<Deployment>, String> {
        match timeout(T, stream.next()).await {
            Ok(Some(Ok(e))) => Ok(e),
            Ok(Some(Err(e))) => Err(e.to_string()),
            Ok(None) => panic!("the watcher stream ended"),
            Err(_) => panic!("no watcher event within {T:?}"),
        }
    };
    let image = |d: &Deployment| {
        d.spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0]
            .image
            .clone()
            .unwrap()
    };

    // Initial sync: Init, one InitApply per Deployment, InitDone.
    assert!(matches!(next().await, Ok(watcher::Event::Init)));
    let mut initial = Vec::new();
    loop {
        match next().await {
            Ok(watcher::Event::InitApply(d)) => initial.push(d.metadata.name.unwrap()),
            Ok(watcher::Event::InitDone) => break,
            other => panic!("unexpected during the initial sync: {other:?}"),
        }
    }
    assert_eq!(initial, ["payments-api", "catalog", "checkout"]);
    assert_eq!(a.count(RequestKind::List, "deployments"), 1);

    // A change arrives as Apply.
    a.apply(checkout_with_image(&a, "checkout:2.8.1"));
    match next().await {
        Ok(watcher::Event::Apply(d)) => assert_eq!(image(&d), "checkout:2.8.1"),
        other => panic!("expected the change, got {other:?}"),
    }

    // Expired: the watcher reports the 410, lists again and goes on.
    a.expire_watches();
    let err = next()
        .await
        .expect_err("the in-stream 410 surfaces as an error");
    assert!(
        err.contains("410") || err.to_lowercase().contains("expired"),
        "{err}"
    );
    assert!(matches!(next().await, Ok(watcher::Event::Init)));
    let mut relisted = 0;
    loop {
        match next().await {
            Ok(watcher::Event::InitApply(_)) => relisted += 1,
            Ok(watcher::Event::InitDone) => break,
            other => panic!("unexpected during the relist: {other:?}"),
        }
    }
    assert_eq!(relisted, 3);
    assert_eq!(
        a.count(RequestKind::List, "deployments"),
        2,
        "{:?}",
        a.requests()
    );
    a.apply(checkout_with_image(&a, "checkout:2.8.2"));
    match next().await {
        Ok(watcher::Event::Apply(d)) => assert_eq!(image(&d), "checkout:2.8.2"),
        other => panic!("expected the change after the relist, got {other:?}"),
    }
    assert!(a.count(RequestKind::Watch, "deployments") >= 2);
}

#[tokio::test]
async fn kube_rs_watcher_with_streaming_lists() {
    use futures::StreamExt;
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::Api;
    use kube::runtime::watcher;

    let kube = small_cluster().await;
    let client = kube::Client::try_from(kube::Config::new(kube.url().parse().unwrap())).unwrap();
    let config = watcher::Config::default().streaming_lists();
    let mut stream = watcher(Api::<Pod>::namespaced(client, "payments"), config).boxed();
    let mut seen = Vec::new();
    loop {
        match timeout(T, stream.next())
            .await
            .expect("a watcher event in time")
        {
            Some(Ok(watcher::Event::Init)) => {}
            Some(Ok(watcher::Event::InitApply(p))) => seen.push(p.metadata.name.unwrap()),
            Some(Ok(watcher::Event::InitDone)) => break,
            other => panic!("unexpected during a streaming list: {other:?}"),
        }
    }
    assert_eq!(
        seen,
        [
            "payments-api-6d8f7b9c5d-m4q9t",
            "payments-api-6d8f7b9c5d-x7k2p"
        ]
    );
    assert_eq!(
        kube.count(RequestKind::List, "pods"),
        0,
        "no LIST with streaming lists"
    );
    kube.delete(
        "v1",
        "Pod",
        Some("payments"),
        "payments-api-6d8f7b9c5d-m4q9t",
    );
    match timeout(T, stream.next())
        .await
        .expect("the deletion in time")
    {
        Some(Ok(watcher::Event::Delete(p))) => {
            assert_eq!(
                p.metadata.name.as_deref(),
                Some("payments-api-6d8f7b9c5d-m4q9t")
            )
        }
        other => panic!("expected the deletion, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// kubectl

#[tokio::test]
async fn kubectl_reads_scales_pauses_resumes_and_undoes() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let kube = small_cluster().await;
    let dir = tempfile::tempdir().unwrap();
    let k = Kubectl {
        bin: kubectl_binary(),
        kubeconfig: kube.write_kubeconfig(dir.path(), "fake"),
        cache: dir.path().join("cache"),
    };
    let deploy = |kube: &FakeKube| {
        kube.get("apps/v1", "Deployment", Some("payments"), "payments-api")
            .unwrap()
    };

    let out = k.run(&["get", "deploy", "-A"]).await;
    let rows: Vec<&str> = out.lines().collect();
    assert!(rows[0].starts_with("NAMESPACE"), "{out}");
    for name in ["payments-api", "catalog", "checkout"] {
        assert!(
            rows.iter()
                .any(|r| r.split_whitespace().nth(1) == Some(name)),
            "{name} missing:\n{out}"
        );
    }

    k.run(&[
        "scale",
        "deploy/payments-api",
        "-n",
        "payments",
        "--replicas=5",
    ])
    .await;
    assert_eq!(deploy(&kube)["spec"]["replicas"], 5);
    assert!(
        kube.count(RequestKind::Patch, "deployments/scale")
            + kube.count(RequestKind::Put, "deployments/scale")
            >= 1
    );

    k.run(&["rollout", "pause", "deploy/payments-api", "-n", "payments"])
        .await;
    assert_eq!(deploy(&kube)["spec"]["paused"], true);
    k.run(&["rollout", "resume", "deploy/payments-api", "-n", "payments"])
        .await;
    assert_ne!(deploy(&kube)["spec"]["paused"], true);

    // Undo: the template becomes revision 3's (ReplicaSet payments-api-58b4c7d9f6), without
    // its pod-template-hash label.
    let rs = kube
        .get(
            "apps/v1",
            "ReplicaSet",
            Some("payments"),
            "payments-api-58b4c7d9f6",
        )
        .unwrap();
    k.run(&["rollout", "undo", "deploy/payments-api", "-n", "payments"])
        .await;
    let d = deploy(&kube);
    let mut expected = rs["spec"]["template"].clone();
    expected["metadata"]["labels"]
        .as_object_mut()
        .unwrap()
        .remove("pod-template-hash");
    assert_eq!(d["spec"]["template"], expected);
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments-api:1.41.0"
    );
    assert_eq!(d["spec"]["replicas"], 5, "undo keeps the scale");
    assert!(kube.count(RequestKind::List, "replicasets") >= 1);

    let json: Value = serde_json::from_str(&k.run(&["get", "pods", "-A", "-o", "json"]).await)
        .expect("kubectl -o json prints JSON");
    assert_eq!(json["items"].as_array().unwrap().len(), 7);
    assert_eq!(json["items"][0]["kind"], "Pod");

    // Watch: kubectl prints the list, then the events as they come.
    let mut child = k
        .command(&[
            "get",
            "pods",
            "-n",
            "storefront",
            "-w",
            "--output-watch-events",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("kubectl starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let mut deleted = false;
    while !seen
        .iter()
        .any(|l: &String| l.starts_with("DELETED") && l.contains("catalog-84c9f7d6b5-9tqwd"))
    {
        let line = timeout(T, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("kubectl -w printed nothing more; so far: {seen:#?}"))
            .expect("reading kubectl's output")
            .unwrap_or_else(|| panic!("kubectl -w ended; printed: {seen:#?}"));
        seen.push(line);
        if !deleted && seen.iter().filter(|l| l.starts_with("ADDED")).count() == 5 {
            kube.delete("v1", "Pod", Some("storefront"), "catalog-84c9f7d6b5-9tqwd");
            deleted = true;
        }
    }
    child.kill().await.ok();
    assert!(kube.count(RequestKind::Watch, "pods") >= 1);
}

#[tokio::test]
async fn dry_runs_stale_resource_versions_injected_conflicts_and_recorded_bodies() {
    let kube = small_cluster().await;
    let before = kube.get("apps/v1", "Deployment", Some("payments"), "payments-api");
    let rv = kube.resource_version();
    let ct = "application/merge-patch+json";
    // A dry run answers with the patched object and stores nothing.
    let (status, d) = patch(
        &kube,
        &format!("{DEPLOY}?dryRun=All"),
        ct,
        json!({"spec": {"replicas": 7}}),
    )
    .await;
    assert_eq!((status, &d["spec"]["replicas"]), (200, &json!(7)));
    assert_eq!(kube.resource_version(), rv, "no new resourceVersion");
    assert_eq!(
        kube.get("apps/v1", "Deployment", Some("payments"), "payments-api"),
        before
    );
    let (status, _) = patch(&kube, &format!("{DEPLOY}?dryRun=Some"), ct, json!({})).await;
    assert_eq!(status, 400);
    // A merge patch carrying a stale resourceVersion is a 409, dry run or not.
    let stale = json!({"metadata": {"resourceVersion": "1"}, "spec": {"replicas": 7}});
    let (status, s) = patch(&kube, DEPLOY, ct, stale.clone()).await;
    assert_eq!((status, &s["reason"]), (409, &json!("Conflict")));
    let (status, _) = patch(&kube, &format!("{DEPLOY}?dryRun=All"), ct, stale).await;
    assert_eq!(status, 409);
    // Injected conflicts: the next N writes on the resource.
    kube.inject_conflicts("deployments", 1);
    let (first, _) = patch(&kube, DEPLOY, ct, json!({"spec": {"replicas": 7}})).await;
    let (second, _) = patch(&kube, DEPLOY, ct, json!({"spec": {"replicas": 7}})).await;
    assert_eq!((first, second), (409, 200));
    // Bodies and content types are recorded.
    let last = kube.requests().pop().unwrap();
    assert_eq!(last.content_type, ct);
    assert_eq!(last.json(), json!({"spec": {"replicas": 7}}));
    assert!(last.is_write() && !last.dry_run());
}
