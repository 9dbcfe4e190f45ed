//! One cluster's collector task: connect, watch every resource, probe liveness, and send the
//! console batched deltas and health. It never blocks anything but itself: a dead or hanging
//! cluster only ever makes its own data stale.

use super::actions;
use super::connect::{Endpoint, IdentitySource, connect};
use super::health::{HealthTracker, WatchId};
use super::list_watch::Spec;
use super::model::{ClusterModel, ModelOptions, Record, Resource, Step};
use super::translate;
use super::watch::{CappedBackoff, Incoming, client_failure, watch};
use crate::actions::ActionError;
use crate::app::Msg;
use crate::clock::Clock;
use crate::domain::{
    ClusterDelta, ClusterInfo, ClusterState, SourceHealth, SourceStatus, SourceUpdate,
};
use crate::source::ActionJob;
use futures::stream::{BoxStream, SelectAll, StreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::Client;
use kube::api::{ApiResource, DynamicObject};
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
    /// Liveness probe (`GET /version`): how often when no watch brought data for this long
    /// (a third of it while the server does not answer), and how long an answer may take.
    pub probe_every: Duration,
    pub probe_timeout: Duration,
    /// Retry delays after failures: exponential with jitter between these.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
    /// Changes are batched for this long before they are sent to the console.
    pub batch_every: Duration,
    /// The first data is held until every watch has listed, or this long at most.
    pub initial_sync_grace: Duration,
    /// Watches are ended by the server after this long and resumed (a WATCH, not a LIST).
    pub watch_timeout: Duration,
    /// A watch with no event and no bookmark for this long has stalled: a real API server
    /// sends a bookmark about every minute (`defaultBookmarkFrequency` in its watch cache).
    pub stall_after: Duration,
    /// A LIST page, or a WATCH's status line, that takes longer has failed.
    pub answer_timeout: Duration,
    /// How often discovery is asked again whether a resource it did not serve is served now.
    pub rediscover_every: Duration,
    /// Refreshes asked for (ctrl-r) relist at most this often; one asked sooner waits.
    pub min_refresh_gap: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            connect_timeout: Duration::from_secs(5),
            probe_every: Duration::from_secs(15),
            probe_timeout: Duration::from_secs(5),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            batch_every: Duration::from_millis(100),
            initial_sync_grace: Duration::from_secs(3),
            // kube-runtime's default, below the client-side limit of 295 s.
            watch_timeout: Duration::from_secs(290),
            stall_after: Duration::from_secs(90),
            answer_timeout: Duration::from_secs(30),
            rediscover_every: Duration::from_secs(300),
            min_refresh_gap: Duration::from_secs(10),
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
    jobs: mpsc::Receiver<ActionJob>,
) {
    run_refreshable(target, timings, clock, tx, jobs, None).await
}

/// As `run_with_actions`; every tick of `refresh` (a person's ctrl-r) relists every watch,
/// at most once per `Timings::min_refresh_gap`.
pub async fn run_refreshable(
    target: Target,
    timings: Timings,
    clock: Arc<dyn Clock>,
    tx: mpsc::Sender<Msg>,
    mut jobs: mpsc::Receiver<ActionJob>,
    refresh: Option<tokio::sync::watch::Receiver<u64>>,
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
    // When a watch last brought data: the probe asks only when none came for a while.
    let (data_seen, data_seen_rx) = tokio::sync::watch::channel(tokio::time::Instant::now());
    let mut probes = spawn_probe(client.clone(), timings.clone(), data_seen_rx);
    let mut streams = SelectAll::new();
    let mut served = discover(&client, &timings).await;
    let (kick, kicked) = tokio::sync::watch::channel(0u64);
    let (relist, relisted) = tokio::sync::watch::channel(0u64);
    let signals = Signals {
        kick: kicked,
        relist: relisted,
    };
    let mut refresh = crate::source::refresh::Requests::new(refresh, timings.min_refresh_gap);
    let mut probe_was_up = true;
    for (watch_id, stream) in watches(&client, &target, &served, &timings, &signals) {
        health.add_watch(watch_id);
        streams.push(stream);
    }
    let mut rediscovery = Box::pin(tokio::time::sleep(timings.rediscover_every));
    // Discovery asked again runs beside the loop: a hanging server must not stall the watches'
    // batches, the health or the actions for the discovery's timeouts.
    let mut discovering: Option<tokio::task::JoinHandle<Served>> = None;
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
                if ingest(&mut model, &mut health, incoming, clock.now()) {
                    data_seen.send_replace(tokio::time::Instant::now());
                }
                batch.arm();
            }
            _ = &mut rediscovery, if !served.everything() && discovering.is_none() => {
                let (c, t, before) = (client.clone(), timings.clone(), served.clone());
                discovering = Some(tokio::spawn(async move {
                    rediscover(&c, &t, Some(&before)).await
                }));
                rediscovery.as_mut().reset(tokio::time::Instant::now() + timings.rediscover_every);
            }
            found = async {
                match discovering.as_mut() {
                    Some(task) => task.await,
                    None => std::future::pending().await,
                }
            } => {
                discovering = None;
                if let Ok(now_served) = found {
                    for (watch_id, stream) in newly_served(&client, &target, &served, &now_served, &timings, &signals) {
                        health.add_watch(watch_id);
                        streams.push(stream);
                    }
                    served = now_served;
                }
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
                // Retries come at most `backoff_max` apart (`CappedBackoff`), plus their answer:
                // three caps leave room for both.
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
                let health_changed = worth_sending(sent_health.as_ref(), &current, clock.now());
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
            _ = refresh.due() => {
                relist.send_modify(|n| *n += 1);
                rediscovery.as_mut().reset(tokio::time::Instant::now());
            }
            Some(job) = jobs.recv() => {
                start_action(client.clone(), job, identity.clone(), &target.model, clock.clone());
            }
            _ = tx.closed() => return,
        }
    }
}

/// Whether the console needs `current` after `sent`: a new status or reason, or data at least
/// `HEALTH_AGE_STEP` newer. Contact comes with every bookmark and probe (a dozen times a minute
/// on an idle cluster); the console judges staleness at a 30 s granularity and shows ages to
/// the minute, so sending each one would only wake it up.
fn worth_sending(
    sent: Option<&SourceHealth>,
    current: &SourceHealth,
    now: crate::domain::Timestamp,
) -> bool {
    let Some(sent) = sent else {
        return true;
    };
    if sent.status != current.status || sent.reports_every_secs != current.reports_every_secs {
        return true;
    }
    // A new retry time, once the one the console shows has come (once per backoff step, not
    // at every watch's failure).
    if sent.next_retry != current.next_retry && sent.next_retry.is_none_or(|at| at <= now) {
        return true;
    }
    match (sent.last_data, current.last_data) {
        (Some(a), Some(b)) => b < a || b.duration_since(a) >= HEALTH_AGE_STEP,
        (a, b) => a != b,
    }
}

const HEALTH_AGE_STEP: jiff::SignedDuration = jiff::SignedDuration::from_secs(5);

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

/// Apply one watch's step to the model and the health; true when it was data from the server.
fn ingest(
    model: &mut ClusterModel,
    health: &mut HealthTracker,
    incoming: Incoming,
    now: crate::domain::Timestamp,
) -> bool {
    let Incoming {
        watch,
        result,
        retry_in,
    } = incoming;
    match result {
        Ok(step) => {
            let data = match &step {
                // Said before the LIST is sent: not a sign of life.
                Some(Step::Begin) => {
                    health.listing(&watch);
                    false
                }
                Some(Step::Alive) => {
                    health.alive(&watch, now);
                    true
                }
                Some(Step::Unreadable(why)) => {
                    tracing::warn!(
                        resource = watch.0.plural(),
                        why,
                        "skipped an unreadable object"
                    );
                    health.unreadable(&watch, why.clone());
                    true
                }
                other => {
                    health.delivered(&watch, *other == Some(Step::Synced), now);
                    true
                }
            };
            if let Some(step) = step {
                model.apply(watch.0, &watch.1, step);
            }
            data
        }
        Err(failure) => {
            tracing::debug!(resource = watch.0.plural(), ?failure, "watch failed");
            health.failed(&watch, failure, now);
            if let Some(at) = retry_in
                .and_then(|d| jiff::SignedDuration::try_from(d).ok())
                .and_then(|d| now.checked_add(d).ok())
            {
                health.retrying(&watch, at);
            }
            false
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

/// Asks `/version` when no watch brought data for `probe_every` (a quiet cluster's watches
/// bring a bookmark about every minute each, so an idle cluster is asked a few times a minute
/// and a busy one not at all), and every third of that while the server does not answer.
fn spawn_probe(
    client: Client,
    timings: Timings,
    data_seen: tokio::sync::watch::Receiver<tokio::time::Instant>,
) -> Probe {
    let (tx, rx) = mpsc::channel(2);
    let task = tokio::spawn(async move {
        let mut up = true;
        let mut first = true;
        loop {
            if !first {
                let every = if up {
                    timings.probe_every
                } else {
                    timings.probe_every / 3
                };
                tokio::time::sleep(every).await;
                let quiet_for = data_seen.borrow().elapsed();
                if up && quiet_for < timings.probe_every {
                    continue;
                }
            }
            first = false;
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
                        // An answer we cannot read is no sign of a working server.
                        (_, super::health::Failure::BadAnswer(why)) => {
                            Err(format!("API server answers with {why}"))
                        }
                        // A server error: there, but not serving data.
                        (kube::Error::Api(s), _) if s.code >= 500 => {
                            Err(format!("API server error: HTTP {} {}", s.code, s.reason))
                        }
                        // Any other HTTP answer (401, 403, 404) means the server is there and
                        // serving; the watches say what it refuses.
                        _ => Ok(String::new()),
                    },
                    Err(_) => Err(format!(
                        "API server not answering (no reply in {}s)",
                        timings.probe_timeout.as_secs_f32()
                    )),
                };
            up = result.is_ok();
            if tx.send(result).await.is_err() {
                return;
            }
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

/// What every watch of a collector listens to besides the server.
struct Signals {
    /// Ticks when the probe reaches the server again after failing: waiting retries go at once.
    kick: tokio::sync::watch::Receiver<u64>,
    /// Ticks when a refresh was asked for: every watch lists afresh.
    relist: tokio::sync::watch::Receiver<u64>,
}

/// The resources a collector watches, in each scope (all namespaces, or each configured one).
const WATCHED: [Resource; 7] = [
    Resource::Deployments,
    Resource::ReplicaSets,
    Resource::Pods,
    Resource::Hpas,
    Resource::Events,
    Resource::ActionEvents,
    Resource::Rollouts,
];

fn scopes(target: &Target) -> Vec<Option<String>> {
    if target.namespaces.is_empty() {
        vec![None]
    } else {
        target.namespaces.iter().cloned().map(Some).collect()
    }
}

/// A watch for every resource the cluster serves (`served`), in every scope.
fn watches(
    client: &Client,
    target: &Target,
    served: &Served,
    t: &Timings,
    signals: &Signals,
) -> Watches {
    let ids = std::iter::once((Resource::Nodes, None)).chain(
        scopes(target)
            .into_iter()
            .flat_map(|scope| WATCHED.map(|r| (r, scope.clone()))),
    );
    ids.filter_map(|id| Some((id.clone(), watch_of(client, id, served, t, signals)?)))
        .collect()
}

/// The watch of one resource in one scope; None when the cluster does not serve it.
fn watch_of(
    client: &Client,
    id: WatchId,
    served: &Served,
    t: &Timings,
    signals: &Signals,
) -> Option<BoxStream<'static, Incoming>> {
    if !served.serves(id.0) {
        return None;
    }
    use kube::Resource as _;
    let retry = super::watch::Retry {
        backoff: CappedBackoff::new(t.backoff_min, t.backoff_max),
        relist_after: t.watch_timeout,
        kick: Some(signals.kick.clone()),
        relist: Some(signals.relist.clone()),
    };
    let ns = id.1.as_deref();
    let spec = |path: String, fields: Option<&str>| Spec {
        path,
        field_selector: fields.map(str::to_string),
        watch_timeout_secs: t.watch_timeout.as_secs().clamp(1, 294) as u32,
        page_size: 500,
        stall_after: t.stall_after,
        answer_timeout: t.answer_timeout,
        // Past the pacing of watch starts (`connect::watch_pacing`) and an answer's time.
        resumed_after: t.backoff_max.min(Duration::from_secs(1)) + Duration::from_secs(1),
    };
    let c = client.clone();
    fn event_key(o: &Event) -> Option<(String, String)> {
        Some((
            o.metadata.namespace.clone().unwrap_or_default(),
            o.metadata.name.clone()?,
        ))
    }
    Some(match id.0 {
        Resource::Nodes => watch(
            c,
            spec(Node::url_path(&(), None), None),
            id,
            retry,
            |o: &Node| translate::node(o).map(Record::Node),
        ),
        Resource::Deployments => watch(
            c,
            spec(Deployment::url_path(&(), ns), None),
            id,
            retry,
            |o: &Deployment| translate::deployment(o).map(Record::Workload),
        ),
        Resource::ReplicaSets => watch(
            c,
            spec(ReplicaSet::url_path(&(), ns), None),
            id,
            retry,
            |o: &ReplicaSet| translate::replicaset(o).map(Record::ReplicaSet),
        ),
        Resource::Pods => watch(
            c,
            spec(Pod::url_path(&(), ns), None),
            id,
            retry,
            |o: &Pod| translate::pod(o).map(Record::Pod),
        ),
        Resource::Hpas => watch(
            c,
            spec(HorizontalPodAutoscaler::url_path(&(), ns), None),
            id,
            retry,
            |o: &HorizontalPodAutoscaler| translate::hpa(o).map(Record::Hpa),
        ),
        Resource::Events => watch(
            c,
            spec(Event::url_path(&(), ns), Some("type=Warning")),
            id,
            retry,
            |o: &Event| {
                let key = event_key(o)?;
                translate::event(o).map(|event| Record::Event { key, event })
            },
        ),
        Resource::ActionEvents => watch(
            c,
            spec(Event::url_path(&(), ns), Some("reportingComponent=opsdeck")),
            id,
            retry,
            |o: &Event| {
                let key = event_key(o)?;
                translate::event(o).map(|event| Record::ActionEvent { key, event })
            },
        ),
        Resource::Rollouts => {
            let ar = served.rollouts.as_ref()?;
            watch(
                c,
                spec(DynamicObject::url_path(ar, ns), None),
                id,
                retry,
                |o: &DynamicObject| translate::rollout(o).map(Record::Workload),
            )
        }
    })
}

/// Which of the watched resources the cluster serves, from discovery. A resource it does not
/// serve is not listed at all (a LIST of it is a 404 every time) until discovery says it is.
#[derive(Debug, Clone, Default)]
pub struct Served {
    /// Resources discovery answered for and did not list.
    absent: std::collections::BTreeSet<Resource>,
    /// The Argo Rollouts CRD's preferred version, when served.
    rollouts: Option<ApiResource>,
}

impl Served {
    /// Nothing left for discovery to find.
    pub fn everything(&self) -> bool {
        self.absent.is_empty() && self.rollouts.is_some()
    }

    pub fn serves(&self, r: Resource) -> bool {
        match r {
            Resource::Rollouts => self.rollouts.is_some(),
            r => !self.absent.contains(&r),
        }
    }
}

/// The watches of resources `now` serves and `before` did not.
fn newly_served(
    client: &Client,
    target: &Target,
    before: &Served,
    now: &Served,
    t: &Timings,
    signals: &Signals,
) -> Watches {
    watches(client, target, now, t, signals)
        .into_iter()
        .filter(|((r, _), _)| !before.serves(*r))
        .collect()
}

/// Where each watched built-in resource is served: (resource, group/version path, plural).
/// Rollouts are a CRD, found by `discover_rollouts`.
const HOMES: [(Resource, &str, &str); 7] = [
    (Resource::Nodes, "api/v1", "nodes"),
    (Resource::Pods, "api/v1", "pods"),
    (Resource::Events, "api/v1", "events"),
    (Resource::ActionEvents, "api/v1", "events"),
    (Resource::Deployments, "apis/apps/v1", "deployments"),
    (Resource::ReplicaSets, "apis/apps/v1", "replicasets"),
    (
        Resource::Hpas,
        "apis/autoscaling/v2",
        "horizontalpodautoscalers",
    ),
];

/// Ask discovery which watched resources are served. A group version that answers 404 serves
/// none of them; one that cannot be asked (timeout, 403, 5xx) is assumed served, so a failing
/// discovery never hides a resource.
async fn discover(client: &Client, timings: &Timings) -> Served {
    rediscover(client, timings, None).await
}

/// As `discover`, asking only about what `before` found absent (everything when None).
async fn rediscover(client: &Client, timings: &Timings, before: Option<&Served>) -> Served {
    let mut served = Served {
        rollouts: match before.and_then(|b| b.rollouts.clone()) {
            Some(known) => Some(known),
            None => discover_rollouts(client, timings).await,
        },
        ..Served::default()
    };
    let mut asked: std::collections::BTreeMap<&str, Option<Vec<String>>> = Default::default();
    for (r, gv, plural) in HOMES {
        if before.is_some_and(|b| b.serves(r)) {
            continue;
        }
        if !asked.contains_key(gv) {
            let names = group_resources(client, gv, timings).await;
            asked.insert(gv, names);
        }
        if let Some(Some(names)) = asked.get(gv)
            && !names.iter().any(|n| n == plural)
        {
            tracing::info!(
                resource = plural,
                "not served by this API server: not watched"
            );
            served.absent.insert(r);
        }
    }
    served
}

/// The resources a group version serves; `Some(empty)` when it is not served (404); None when
/// discovery could not say.
async fn group_resources(client: &Client, gv: &str, timings: &Timings) -> Option<Vec<String>> {
    let asked = async {
        match gv.strip_prefix("api/") {
            Some(v) => client.list_core_api_resources(v).await,
            None => {
                client
                    .list_api_group_resources(gv.trim_start_matches("apis/"))
                    .await
            }
        }
    };
    match tokio::time::timeout(timings.probe_timeout, asked).await {
        Ok(Ok(list)) => Some(list.resources.into_iter().map(|r| r.name).collect()),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Some(Vec::new()),
        _ => None,
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

    #[test]
    fn health_goes_to_the_console_when_it_says_something_new() {
        let at = |s: i64| jiff::Timestamp::from_second(1_800_000_000 + s).unwrap();
        let live = SourceHealth::live(at(0));
        let now = at(10);
        assert!(worth_sending(None, &live, now));
        assert!(!worth_sending(Some(&live), &SourceHealth::live(at(4)), now));
        assert!(worth_sending(Some(&live), &SourceHealth::live(at(5)), now));
        let stale = SourceHealth {
            status: SourceStatus::Stale("x".into()),
            ..live.clone()
        };
        assert!(worth_sending(Some(&live), &stale, now));
        assert!(
            worth_sending(Some(&SourceHealth::live(at(3))), &live, now),
            "older data"
        );
        let retrying = |s| SourceHealth {
            next_retry: Some(at(s)),
            ..stale.clone()
        };
        assert!(
            worth_sending(Some(&stale), &retrying(12), now),
            "the first retry time"
        );
        assert!(
            !worth_sending(Some(&retrying(12)), &retrying(14), now),
            "another watch's retry, while the one shown is still ahead"
        );
        assert!(
            worth_sending(Some(&retrying(9)), &retrying(14), now),
            "the retry shown has come: the next one"
        );
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
