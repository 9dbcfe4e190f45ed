//! moto's AWS server behind a small front (`front.py`), for the AWS tests. Once per test binary:
//! ensure a virtualenv with the pinned `requirements.txt` (under the cargo target folder, reused
//! across runs, recreated when the requirements change), start `front.py` (which starts moto) on
//! ephemeral ports of 127.0.0.1, and keep it until the test binary exits (the front ends when its
//! stdin closes). Missing python3/venv/pip fail the tests with what to install.
//!
//! Tests isolate themselves by account: `Account::new("111111111111")` signs with an access key
//! ending in those digits, and the front keeps moto's data, counters and injected failures per
//! account.
#![allow(dead_code)]

use opsdeck::domain::AlarmState;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

const REQUIREMENTS: &str = include_str!("requirements.txt");

pub struct Moto {
    /// `http://127.0.0.1:PORT` of the front (what clients use).
    pub url: String,
    pub port: u16,
    pub moto_port: u16,
    _process: Mutex<(Child, ChildStdin)>,
}

static MOTO: OnceLock<Moto> = OnceLock::new();

/// The shared server (started on first use).
pub fn moto() -> &'static Moto {
    MOTO.get_or_init(start)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// The virtualenv's python, creating or updating the venv when needed.
pub fn ensure_venv() -> PathBuf {
    let venv = target_dir().join("aws-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("opsdeck-requirements.txt");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(REQUIREMENTS) {
        return python;
    }
    let have_python = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        have_python,
        "the AWS tests need python3 with venv and pip (to run moto); install them, e.g. \
         `sudo apt-get install python3 python3-venv python3-pip`, and run again"
    );
    let _ = std::fs::remove_dir_all(&venv);
    let out = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .expect("running python3 -m venv");
    assert!(
        out.status.success(),
        "`python3 -m venv` failed (install python3-venv, e.g. `sudo apt-get install \
         python3-venv`): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let req = venv.join("requirements.txt");
    std::fs::write(&req, REQUIREMENTS).unwrap();
    let out = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&req)
        .output()
        .expect("running pip");
    assert!(
        out.status.success(),
        "installing moto into {} failed (pip needs access to PyPI): {}",
        venv.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&stamp, REQUIREMENTS).unwrap();
    python
}

fn start() -> Moto {
    let python = ensure_venv();
    let front = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/aws/front.py");
    let mut child = Command::new(python)
        .arg(front)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting tests/support/aws/front.py");
    let stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("moto's front did not start within 60 s");
    let parts: Vec<&str> = line.split_whitespace().collect();
    assert!(
        parts.len() == 3 && parts[0] == "READY",
        "moto's front failed to start: {line:?}"
    );
    let port: u16 = parts[1].parse().unwrap();
    Moto {
        url: format!("http://127.0.0.1:{port}"),
        port,
        moto_port: parts[2].parse().unwrap(),
        _process: Mutex::new((child, stdin)),
    }
}

/// A test's own AWS account in moto.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub access_key: String,
}

impl Account {
    pub fn new(id: &str) -> Account {
        assert_eq!(id.len(), 12);
        Account {
            id: id.to_string(),
            access_key: format!("AKIDTEST{id}"),
        }
    }

    fn authorization(&self, region: &str, service: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={}/20260101/{region}/{service}/aws4_request, \
             SignedHeaders=host, Signature=0",
            self.access_key
        )
    }
}

/// A minimal blocking HTTP/1.1 request to the front: (status, body).
pub fn http(method: &str, path: &str, headers: &[(&str, String)], body: &str) -> (u16, String) {
    let m = moto();
    let mut s = TcpStream::connect(("127.0.0.1", m.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        m.port,
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (status, body)
}

fn ok(what: &str, (status, body): (u16, String)) -> Value {
    assert!(status < 300, "{what}: {status} {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

impl Account {
    /// A JSON-protocol call forwarded to moto (`X-Amz-Target`).
    pub fn json(&self, region: &str, service: &str, target: &str, body: Value) -> Value {
        let content = if service == "monitoring" {
            "1.0"
        } else {
            "1.1"
        };
        ok(
            target,
            http(
                "POST",
                "/",
                &[
                    ("Authorization", self.authorization(region, service)),
                    ("X-Amz-Target", target.to_string()),
                    ("Content-Type", format!("application/x-amz-json-{content}")),
                ],
                &body.to_string(),
            ),
        )
    }

    pub fn rest(
        &self,
        region: &str,
        service: &str,
        method: &str,
        path: &str,
        body: Value,
    ) -> Value {
        ok(
            path,
            http(
                method,
                path,
                &[
                    ("Authorization", self.authorization(region, service)),
                    ("Content-Type", "application/json".to_string()),
                ],
                &body.to_string(),
            ),
        )
    }

    fn control(&self, path: &str, mut body: Value) -> Value {
        body["account"] = json!(self.id);
        ok(path, http("POST", path, &[], &body.to_string()))
    }

    // ---- seeding ----

    pub fn create_cluster(&self, region: &str, name: &str, version: &str) {
        self.rest(
            region,
            "eks",
            "POST",
            "/clusters",
            json!({
                "name": name,
                "version": version,
                "roleArn": format!("arn:aws:iam::{}:role/eks", self.id),
                "resourcesVpcConfig": {"subnetIds": ["subnet-1"]},
            }),
        );
    }

    pub fn create_nodegroup(
        &self,
        region: &str,
        cluster: &str,
        name: &str,
        (min, desired, max): (u32, u32, u32),
        types: &[&str],
    ) {
        self.rest(
            region,
            "eks",
            "POST",
            &format!("/clusters/{cluster}/node-groups"),
            json!({
                "nodegroupName": name,
                "nodeRole": format!("arn:aws:iam::{}:role/node", self.id),
                "subnets": ["subnet-1"],
                "scalingConfig": {"minSize": min, "desiredSize": desired, "maxSize": max},
                "instanceTypes": types,
            }),
        );
    }

    /// A metric alarm in `state` (`ALARM`, `OK`, `INSUFFICIENT_DATA`).
    pub fn put_alarm(
        &self,
        region: &str,
        name: &str,
        state: AlarmState,
        dimensions: &[(&str, &str)],
    ) {
        let dims: Vec<Value> = dimensions
            .iter()
            .map(|(k, v)| json!({"Name": k, "Value": v}))
            .collect();
        let target = |op: &str| format!("GraniteServiceVersion20100801.{op}");
        self.json(
            region,
            "monitoring",
            &target("PutMetricAlarm"),
            json!({
                "AlarmName": name,
                "Namespace": "AWS/ApplicationELB",
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Statistic": "Sum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 5.0,
                "ComparisonOperator": "GreaterThanThreshold",
                "Dimensions": dims,
            }),
        );
        // moto starts alarms in OK (AWS in INSUFFICIENT_DATA): always set the state.
        let reason = format!("test put it in {}", state.label());
        self.set_alarm_state(region, name, state, &reason);
    }

    /// Data points of one metric, `(epoch seconds, value)`.
    pub fn put_metric_data(
        &self,
        region: &str,
        namespace: &str,
        metric: &str,
        dimensions: &[(&str, &str)],
        points: &[(i64, f64)],
    ) {
        let dims: Vec<Value> = dimensions
            .iter()
            .map(|(k, v)| json!({"Name": k, "Value": v}))
            .collect();
        let data: Vec<Value> = points
            .iter()
            .map(|(t, v)| json!({"MetricName": metric, "Dimensions": dims, "Timestamp": t, "Value": v}))
            .collect();
        self.json(
            region,
            "monitoring",
            "GraniteServiceVersion20100801.PutMetricData",
            json!({"Namespace": namespace, "MetricData": data}),
        );
    }

    /// Tags on a CloudWatch alarm (by ARN).
    pub fn tag_alarm(&self, region: &str, name: &str, tags: &[(&str, &str)]) {
        let tags: Vec<Value> = tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        self.json(
            region,
            "monitoring",
            "GraniteServiceVersion20100801.TagResource",
            json!({
                "ResourceARN": format!("arn:aws:cloudwatch:{region}:{}:alarm:{name}", self.id),
                "Tags": tags,
            }),
        );
    }

    pub fn set_alarm_state(&self, region: &str, name: &str, state: AlarmState, reason: &str) {
        self.json(
            region,
            "monitoring",
            "GraniteServiceVersion20100801.SetAlarmState",
            json!({"AlarmName": name, "StateValue": state.label(), "StateReason": reason}),
        );
    }

    /// Composite alarms (moto has none): the front adds them to DescribeAlarms.
    pub fn put_composite_alarms(&self, region: &str, alarms: Value) {
        self.control(
            "/_front/seed",
            json!({"operation": format!("CompositeAlarms/{region}"), "result": alarms}),
        );
    }

    /// moto's queue of GetCostAndUsage results for this account, taken in request order.
    pub fn seed_cost_and_usage(&self, results: Vec<Value>) {
        ok(
            "cost-and-usage-results",
            http(
                "POST",
                "/moto-api/static/ce/cost-and-usage-results",
                &[],
                &json!({"account_id": self.id, "results": results}).to_string(),
            ),
        );
    }

    /// GetCostForecast / GetAnomalies answers (served by the front).
    pub fn seed_ce(&self, operation: &str, result: Value) {
        self.control(
            "/_front/seed",
            json!({"operation": operation, "result": result}),
        );
    }

    /// The next `count` requests of `operation` fail with `error`: `AccessDenied`,
    /// `Throttling`, `ExpiredToken`, `InvalidClientTokenId`, `UnrecognizedClient`,
    /// `SignatureDoesNotMatch`, `InternalError` (500), `ServiceUnavailable` (503), `Reset`
    /// (the connection is cut, no answer), `Malformed` (200 with a body cut short), or `Slow`
    /// (the real answer, 2 s late).
    pub fn fail(&self, operation: &str, error: &str, count: u32) {
        self.control(
            "/_front/fail",
            json!({"operation": operation, "error": error, "count": count}),
        );
    }

    /// Forget this account's pending failures (and its request counts).
    pub fn clear_faults(&self) {
        self.control("/_front/reset", json!({}));
    }

    /// DescribeCluster answers this endpoint (and CA data) for `cluster`.
    pub fn set_eks_endpoint(&self, cluster: &str, endpoint: &str, ca: &str) {
        self.control(
            "/_front/endpoint",
            json!({"cluster": cluster, "endpoint": endpoint, "ca": ca}),
        );
    }

    /// Requests per operation so far.
    pub fn count(&self, operation: &str) -> u64 {
        let (_, body) = http(
            "GET",
            &format!("/_front/counts?account={}", self.id),
            &[],
            "",
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        v[operation].as_u64().unwrap_or(0)
    }

    /// The user agents (`x-amz-user-agent | User-Agent`) each operation arrived with so far.
    pub fn user_agents(&self) -> std::collections::BTreeMap<String, Vec<String>> {
        let (_, body) = http(
            "GET",
            &format!("/_front/agents?account={}", self.id),
            &[],
            "",
        );
        serde_json::from_str(&body).unwrap()
    }

    /// Collector options talking to the front as this account, with fast timings.
    pub fn options(&self) -> opsdeck::source::aws::Options {
        use opsdeck::source::aws::clients::{Auth, ClientSettings};
        let url = moto().url.clone();
        let mut o =
            opsdeck::source::aws::Options::from_config(&opsdeck::config::Config::default(), None);
        o.clients = ClientSettings {
            auth: Auth::Static {
                access_key_id: self.access_key.clone(),
                secret_access_key: "test-secret".into(),
            },
            endpoints: opsdeck::config::EndpointUrls {
                eks: Some(url.clone()),
                cloudwatch: Some(url.clone()),
                ce: Some(url.clone()),
                sts: Some(url),
            },
            connect_timeout: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(10),
        };
        o.alarm_poll = Duration::from_millis(200);
        o.eks_poll = Duration::from_millis(200);
        o.metrics_poll = Duration::from_millis(200);
        o.heartbeat = Duration::from_secs(300);
        o.backoff_min = Duration::from_millis(20);
        o.backoff_max = Duration::from_millis(100);
        o.cost.recheck = Duration::from_millis(200);
        o
    }
}
