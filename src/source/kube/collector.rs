//! One cluster's collector task: connect, watch every resource, probe liveness, and send the
//! console batched deltas and health. It never blocks anything but itself: a dead or hanging
//! cluster only ever makes its own data stale.

use super::actions;
use super::connect::{Endpoint, IdentitySource, connect};
use super::health::{HealthTracker, WatchId};
use super::model::{ClusterModel, ModelOptions, Record, Resource, Step};
use super::translate;
use super::watch::{CappedBackoff, Incoming, client_failure, watch};
use crate::actions::{ActionError, ActionJob};
use crate::app::Msg;
use crate::clock::Clock;
use crate::domain::{
    ClusterDelta, ClusterInfo, ClusterState, SourceHealth, SourceStatus, SourceUpdate,
};
use futures::stream::{BoxStream, SelectAll, StreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{ApiResource, DynamicObject};
use kube::runtime::watcher;
use kube::{Api, Client};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// One cluster to collect from.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub info: ClusterInfo,
    pub endpoint: Endpoint,
    /// Empty: all namespaces.
    pub namespaces: Vec<String>,
    pub model: ModelOptions,
}

/// Timings. The defaults suit real clusters; tests shorten them.
#[derive(Debug, Clone, PartialEq)]
pub struct Timings {
    pub connect_timeout: Duration,
    /// Liveness probe (`GET /version`): how often, and how long an answer may take.
    pub probe_every: Duration,
    pub probe_timeout: Duration,
    /// Retry delays after failures: exponential with jitter between these.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Changes are batched for this long before they are sent to the console.
    pub batch_every: Duration,
    /// The first data is held until every watch has listed, or this long at most.
    pub initial_sync_grace: Duration,
    /// Watches are ended by the server after this long and resumed (a WATCH, not a LIST), so a
    /// connection that died silently is noticed by the read timeout of `connect`.
    pub watch_timeout: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            connect_timeout: Duration::from_secs(5),
            probe_every: Duration::from_secs(10),
            probe_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            batch_every: Duration::from_millis(100),
            initial_sync_grace: Duration::from_secs(3),
            watch_timeout: Duration::from_secs(60),
        }
    }
}

/// Collect from one cluster until the console goes away.
pub async fn run(target: Target, timings: Timings, clock: Arc<dyn Clock>, tx: mpsc::Sender<Msg>) {
    // Nobody sends actions: a closed channel.
    let (_, jobs) = mpsc::channel(1);
    run_with_actions(target, timings, clock, tx, jobs).await
}

/// Collect, and carry out the actions sent on `jobs` with this cluster's client.
pub async fn run_with_actions(
    target: Target,
    timings: Timings,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    mut jobs: mpsc::Receiver<ActionJob>,
) {
    let id = target.info.id.clone();
    let send = |update: SourceUpdate| {
        let tx = tx.clone();
        async move { tx.send(Msg::Source(update)).await.is_ok() }
    };
    if !send(SourceUpdate::Cluster(Box::new(ClusterState::new(
        target.info.clone(),
    ))))
    .await
    {
        return;
    }
    let mut health = HealthTracker::new();
    let mut backoff = CappedBackoff::new(timings.backoff_min, timings.backoff_max);
    let connection = loop {
        match connect(&target.endpoint, &timings).await {
            Ok(c) => break c,
            Err(why) => {
                health.setup_failed(why.clone());
                let mut d = ClusterDelta::new(id.clone());
                d.health = Some(health.health());
                if !send(SourceUpdate::ClusterDelta(Box::new(d))).await {
                    return;
                }
                // A fixed kubeconfig is picked up without a restart. Meanwhile actions get a
                // clear answer instead of waiting.
                let retry = tokio::time::sleep(backoff.next().unwrap_or(timings.backoff_max));
                tokio::pin!(retry);
                loop {
                    tokio::select! {
                        _ = &mut retry => break,
                        Some(job) = jobs.recv() => {
                            let why = format!("not connected to {}: {why}", target.info.name);
                            let _ = job.reply.send(Err(ActionError::Failed(why)));
                        }
                    }
                }
            }
        }
    };
    health.setup_ok();
    for w in connection.warnings {
        health.warn(w);
    }
    let client = connection.client;
    // Who we are to this cluster: approvals and audit Events name this identity. Asked now, and
    // again on the next action for as long as the cluster (or STS) has not said.
    let identity = Identity::new(connection.identity, timings.probe_timeout);
    identity.get(&client).await.ok();
    let mut probes = spawn_probe(client.clone(), timings.clone());
    let mut streams = SelectAll::new();
    let rollouts = discover_rollouts(&client, &timings).await;
    // Ticks when the probe reaches the server again after failing: waiting retries go at once.
    let (kick, kicked) = tokio::sync::watch::channel(0u64);
    let mut probe_was_up = true;
    for (watch_id, stream) in watches(&client, &target, rollouts, &timings, &kicked) {
        health.add_watch(watch_id);
        streams.push(stream);
    }
    let mut model = ClusterModel::new(id.clone(), target.model.clone());
    let mut sent_health: Option<SourceHealth> = None;
    let mut known_version = String::new();
    let started = tokio::time::Instant::now();
    // Changes go to the console at most once per `batch_every`, and the timer runs only while
    // something may be pending: an interval ticking on every idle cluster (10 wake-ups a second
    // each) was most of the console's idle CPU on 30 clusters.
    let mut batch = Batch::new(timings.batch_every);
    loop {
        tokio::select! {
            Some(incoming) = streams.next() => {
                ingest(&mut model, &mut health, incoming, clock.now());
                batch.arm();
            }
            Some(probe) = probes.rx.recv() => {
                if let Ok(v) = &probe
                    && !v.is_empty()
                    && *v != known_version
                {
                    known_version = v.clone();
                    let mut d = ClusterDelta::new(id.clone());
                    d.kubernetes_version = Some(known_version.clone());
                    if !send(SourceUpdate::ClusterDelta(Box::new(d))).await {
                        return;
                    }
                }
                let up = probe.is_ok();
                if up && !probe_was_up {
                    kick.send_modify(|n| *n += 1);
                }
                probe_was_up = up;
                health.probed(probe.map(|_| ()), clock.now());
                // Retries come at most twice `backoff_max` apart (jitter), plus their answer.
                health.settle(clock.now(), timings.backoff_max * 3);
                batch.arm();
            }
            _ = batch.due() => {
                let current = health.health();
                let hold = current.status == SourceStatus::Connecting
                    && started.elapsed() < timings.initial_sync_grace;
                if hold {
                    // The first data waits for every watch to list, or for the grace to end.
                    batch.arm();
                    continue;
                }
                let health_changed = sent_health.as_ref() != Some(&current);
                if !(health_changed || model.has_changes()) {
                    continue;
                }
                batch.flushed();
                let mut delta = model.flush();
                if health_changed {
                    delta.health = Some(current.clone());
                    sent_health = Some(current);
                }
                if !send(SourceUpdate::ClusterDelta(Box::new(delta))).await {
                    return;
                }
            }
            Some(job) = jobs.recv() => {
                start_action(client.clone(), job, identity.clone(), &target.model, clock.clone());
            }
            _ = tx.closed() => return,
        }
    }
}

/// When a collector next sends its changes: armed when something may be pending (a watch event,
/// a probe's answer), at most once per `every` since the last send.
struct Batch {
    every: std::time::Duration,
    last_sent: tokio::time::Instant,
    due: Option<tokio::time::Instant>,
}

impl Batch {
    /// Armed at once: the first check comes one period after the start.
    fn new(every: std::time::Duration) -> Batch {
        let now = tokio::time::Instant::now();
        Batch {
            every,
            last_sent: now,
            due: Some(now + every),
        }
    }

    fn arm(&mut self) {
        if self.due.is_none() {
            let now = tokio::time::Instant::now();
            self.due = Some((self.last_sent + self.every).max(now));
        }
    }

    fn flushed(&mut self) {
        self.last_sent = tokio::time::Instant::now();
    }

    /// Completes when armed and due, and disarms; pending forever when not armed.
    async fn due(&mut self) {
        match self.due {
            Some(at) => {
                tokio::time::sleep_until(at).await;
                self.due = None;
            }
            None => std::future::pending().await,
        }
    }
}

/// Who we are to this cluster, as it verified it (`IdentitySource`: SelfSubjectReview, or STS
/// GetCallerIdentity for an EKS cluster reached natively), kept once known; a failed lookup is
/// tried again on the next action, never taken from `$USER`.
#[derive(Clone)]
struct Identity {
    source: IdentitySource,
    known: Arc<tokio::sync::Mutex<Option<String>>>,
    timeout: Duration,
}

impl Identity {
    fn new(source: IdentitySource, timeout: Duration) -> Identity {
        Identity {
            source,
            known: Arc::new(tokio::sync::Mutex::new(None)),
            timeout,
        }
    }

    /// The verified identity, or why it cannot be established (naming what was asked).
    /// Concurrent actions wait for one lookup rather than each sending their own.
    async fn get(&self, client: &Client) -> Result<String, String> {
        let mut known = self.known.lock().await;
        if let Some(who) = &*known {
            return Ok(who.clone());
        }
        match tokio::time::timeout(self.timeout, self.lookup(client)).await {
            Ok(Ok(who)) => {
                *known = Some(who.clone());
                Ok(who)
            }
            Ok(Err(why)) => Err(why),
            Err(_) => Err(format!(
                "{}: no answer within {} ms",
                self.source.name(),
                self.timeout.as_millis()
            )),
        }
    }

    async fn lookup(&self, client: &Client) -> Result<String, String> {
        match &self.source {
            IdentitySource::SelfSubjectReview => actions::whoami(client)
                .await
                .map_err(|e| format!("SelfSubjectReview: {e}")),
            IdentitySource::Sts { client, profile } => {
                crate::source::aws::sts::caller_arn(client, profile.as_deref()).await
            }
        }
    }
}

/// Run one job beside the watches: who we are, RBAC, or the action itself (identity, RBAC,
/// then the exact requests; see `actions`).
fn start_action(
    client: Client,
    job: ActionJob,
    identity: Identity,
    opts: &ModelOptions,
    clock: Arc<dyn Clock>,
) {
    use crate::actions::policy::{needs_verified_identity, unverified_refusal};
    use crate::actions::{JobMode, Outcome, UNVERIFIED};
    let (read_only, required) = (opts.read_only, opts.required_approvals);
    let policy = opts.policy.clone();
    tokio::spawn(async move {
        let mut req = job.request;
        let ctx = actions::PerformContext {
            read_only,
            dry_run_first: job.production,
            required_approvals: required,
            policy,
            now: clock.now(),
            max_conflict_retries: 5,
        };
        let mode = job.mode;
        let result = async {
            if read_only {
                // Read-only: not even the identity or access review is sent.
                return actions::perform(&client, &req, &ctx).await;
            }
            let who = identity.get(&client).await;
            if mode == JobMode::Identify {
                return who
                    .map(|summary| Outcome {
                        summary,
                        before: String::new(),
                        after: String::new(),
                    })
                    .map_err(ActionError::Refused);
            }
            match who {
                Ok(who) => req.who = who,
                // Refused before the action is offered (the dialog's access check) and when it
                // is sent: an approval nobody verified is never recorded.
                Err(why) if needs_verified_identity(&req.action) => {
                    return Err(ActionError::Refused(unverified_refusal(&req.action, &why)));
                }
                Err(_) => req.who = UNVERIFIED.into(),
            }
            let ns = &req.target.workload.namespace;
            let kind = req
                .target
                .kind
                .workload()
                .ok_or_else(actions::not_a_workload)?;
            actions::check_access(&client, &req.action, kind, ns).await?;
            if mode == JobMode::CheckAccess {
                return Ok(Outcome {
                    summary: "allowed".into(),
                    before: String::new(),
                    after: String::new(),
                });
            }
            actions::perform(&client, &req, &ctx).await
        }
        .await;
        let _ = job.reply.send(result);
    });
}

fn ingest(
    model: &mut ClusterModel,
    health: &mut HealthTracker,
    incoming: Incoming,
    now: crate::domain::Timestamp,
) {
    let Incoming { watch, result } = incoming;
    match result {
        Ok(step) => {
            // kube-runtime announces a (re)list before making the request: not a sign of life.
            // A resumed watch ends its own failure but proves nothing about the server: the
            // probe says whether it answers.
            if step == Some(Step::Resumed) {
                health.resumed(&watch);
            } else if step != Some(Step::Begin) {
                let synced = step == Some(Step::Synced);
                health.delivered(&watch, synced, now);
            }
            if let Some(step) = step {
                model.apply(watch.0, &watch.1, step);
            }
        }
        Err(failure) => {
            tracing::debug!(resource = watch.0.plural(), ?failure, "watch failed");
            health.failed(&watch, failure, now);
        }
    }
}

/// The liveness probe runs beside the watchers so a hanging server cannot stall the collector.
struct Probe {
    rx: mpsc::Receiver<Result<String, String>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn spawn_probe(client: Client, timings: Timings) -> Probe {
    let (tx, rx) = mpsc::channel(2);
    let task = tokio::spawn(async move {
        loop {
            let result =
                match tokio::time::timeout(timings.probe_timeout, client.apiserver_version()).await
                {
                    Ok(Ok(info)) => Ok(info.git_version),
                    Ok(Err(e)) => match (&e, client_failure(&e)) {
                        (_, super::health::Failure::Unreachable(why)) => Err(why),
                        // Overloaded or unavailable (429, 503, 504): there, but not serving.
                        (kube::Error::Api(s), _) if matches!(s.code, 429 | 503 | 504) => Err(
                            format!("API server unavailable: HTTP {} {}", s.code, s.reason),
                        ),
                        // Any other HTTP answer means the server is there and serving.
                        _ => Ok(String::new()),
                    },
                    Err(_) => Err(format!(
                        "API server not answering (no reply in {}s)",
                        timings.probe_timeout.as_secs_f32()
                    )),
                };
            if tx.send(result).await.is_err() {
                return;
            }
            tokio::time::sleep(timings.probe_every).await;
        }
    });
    Probe { rx, task }
}

/// The Argo Rollouts CRD, when the cluster serves it. Absent (or undiscoverable) is not an error.
async fn discover_rollouts(client: &Client, timings: &Timings) -> Option<ApiResource> {
    let found = tokio::time::timeout(
        timings.probe_timeout,
        kube::discovery::group(client, "argoproj.io"),
    )
    .await;
    match found {
        Ok(Ok(group)) => group.recommended_kind("Rollout").map(|(ar, _)| ar),
        _ => None,
    }
}

type Watches = Vec<(WatchId, BoxStream<'static, Incoming>)>;

fn watches(
    client: &Client,
    target: &Target,
    rollouts: Option<ApiResource>,
    t: &Timings,
    kick: &tokio::sync::watch::Receiver<u64>,
) -> Watches {
    let scopes: Vec<Option<String>> = if target.namespaces.is_empty() {
        vec![None]
    } else {
        target.namespaces.iter().cloned().map(Some).collect()
    };
    let backoff = || super::watch::Retry {
        backoff: CappedBackoff::new(t.backoff_min, t.backoff_max),
        relist_after: t.watch_timeout,
        // Past the pacing of watch starts (`connect::watch_pacing`) and an answer's time.
        resumed_after: t.backoff_max.min(Duration::from_secs(1)) + Duration::from_secs(1),
        kick: Some(kick.clone()),
    };
    let watch_secs = t.watch_timeout.as_secs().clamp(1, u32::MAX as u64) as u32;
    let all = || watcher::Config::default().timeout(watch_secs);
    let mut out: Watches = Vec::new();
    let nodes_id = (Resource::Nodes, None);
    out.push((
        nodes_id.clone(),
        watch(
            Api::<Node>::all(client.clone()),
            all(),
            nodes_id,
            backoff(),
            |o| translate::node(o).map(Record::Node),
        ),
    ));
    for scope in scopes {
        let id = |r: Resource| (r, scope.clone());
        out.push((
            id(Resource::Deployments),
            watch(
                api::<Deployment>(client, &scope),
                all(),
                id(Resource::Deployments),
                backoff(),
                |o| translate::deployment(o).map(Record::Workload),
            ),
        ));
        out.push((
            id(Resource::ReplicaSets),
            watch(
                api::<ReplicaSet>(client, &scope),
                all(),
                id(Resource::ReplicaSets),
                backoff(),
                |o| translate::replicaset(o).map(Record::ReplicaSet),
            ),
        ));
        out.push((
            id(Resource::Pods),
            watch(
                api::<Pod>(client, &scope),
                all(),
                id(Resource::Pods),
                backoff(),
                |o| translate::pod(o).map(Record::Pod),
            ),
        ));
        out.push((
            id(Resource::Hpas),
            watch(
                api::<HorizontalPodAutoscaler>(client, &scope),
                all(),
                id(Resource::Hpas),
                backoff(),
                |o| translate::hpa(o).map(Record::Hpa),
            ),
        ));
        out.push((
            id(Resource::Events),
            watch(
                api::<Event>(client, &scope),
                all().fields("type=Warning"),
                id(Resource::Events),
                backoff(),
                |o| {
                    let key = (
                        o.metadata.namespace.clone().unwrap_or_default(),
                        o.metadata.name.clone()?,
                    );
                    translate::event(o).map(|event| Record::Event { key, event })
                },
            ),
        ));
        out.push((
            id(Resource::ActionEvents),
            watch(
                api::<Event>(client, &scope),
                all().fields("reportingComponent=opsdeck"),
                id(Resource::ActionEvents),
                backoff(),
                |o| {
                    let key = (
                        o.metadata.namespace.clone().unwrap_or_default(),
                        o.metadata.name.clone()?,
                    );
                    translate::event(o).map(|event| Record::ActionEvent { key, event })
                },
            ),
        ));
        if let Some(ar) = &rollouts {
            let api = match &scope {
                Some(ns) => Api::<DynamicObject>::namespaced_with(client.clone(), ns, ar),
                None => Api::<DynamicObject>::all_with(client.clone(), ar),
            };
            out.push((
                id(Resource::Rollouts),
                watch(api, all(), id(Resource::Rollouts), backoff(), |o| {
                    translate::rollout(o).map(Record::Workload)
                }),
            ));
        }
    }
    out
}

fn api<K>(client: &Client, scope: &Option<String>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    match scope {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::aws::clients::{self, Auth, ClientSettings, Scope};

    /// An STS client for a server that accepts and never answers (the connection stays open).
    async fn silent_sts() -> (aws_sdk_sts::Client, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                open.push(socket);
            }
        });
        let mut settings = ClientSettings {
            auth: Auth::Static {
                access_key_id: "AKIDEXAMPLE".into(),
                secret_access_key: "secret".into(),
            },
            ..ClientSettings::default()
        };
        settings.endpoints.sts = Some(url);
        let scope = Scope {
            profile: None,
            region: "eu-west-1".into(),
        };
        let sdk = clients::sdk_config(&scope, &settings).await;
        (clients::sts(&sdk, &settings), server)
    }

    #[tokio::test]
    async fn an_sts_identity_that_does_not_answer_names_sts_and_is_asked_again() {
        let (sts, server) = silent_sts().await;
        let identity = Identity::new(
            IdentitySource::Sts {
                client: sts,
                profile: None,
            },
            Duration::from_millis(200),
        );
        // Never contacted: the identity comes from STS, not the cluster.
        let kube =
            Client::try_from(kube::Config::new("http://127.0.0.1:1".parse().unwrap())).unwrap();
        for _ in 0..2 {
            let started = tokio::time::Instant::now();
            assert_eq!(
                identity.get(&kube).await,
                Err("STS GetCallerIdentity: no answer within 200 ms".into())
            );
            assert!(
                started.elapsed() >= Duration::from_millis(200),
                "asked again"
            );
        }
        assert!(identity.known.lock().await.is_none());
        server.abort();
    }
}
