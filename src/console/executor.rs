//! Runs the effects `update` returns. Never blocks the UI task: requests are handed to the
//! sources' own tasks. Confirmed actions are checked against read-only, written to the audit
//! log (on disk before anything is sent), routed to the source that owns the cluster, and their
//! results come back as `Msg::ActionDone`.

use crate::actions::TargetKind;
use crate::actions::audit::AuditLog;
use crate::actions::policy::{needs_verified_identity, unverified_refusal};
use crate::actions::{ActionError, ActionRequest, JobMode, Outcome, UNVERIFIED};
use crate::app::{Effect, Msg, Perform};
use crate::clock::Clock;
use crate::domain::{ClusterId, EnvName};
use crate::source::ActionJob;
use crate::source::aws::clients::EksEndpoint;
use crate::source::demo::DemoControl;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// A session runs for hours: keep only a short tail of effects.
const LOG_LEN: usize = 64;

#[derive(Default)]
pub struct Executor {
    pub demo: Option<mpsc::Sender<DemoControl>>,
    /// Real clusters: the collector task of each, which owns its client.
    pub clusters: HashMap<ClusterId, mpsc::Sender<ActionJob>>,
    /// Configured EKS clusters: their nodegroups are scaled through the EKS API.
    pub eks: HashMap<ClusterId, EksEndpoint>,
    /// Where results go (the console's own channel).
    pub reply: Option<mpsc::Sender<Msg>>,
    pub audit: Option<Arc<AuditLog>>,
    pub clock: Option<Arc<dyn Clock>>,
    /// `--read-only`, and environments configured read-only: refused here, before any request.
    pub read_only: bool,
    pub read_only_envs: HashSet<EnvName>,
    /// `ctrl-r` on a configured fleet: every polling source (AWS alarms, metrics, cost, EKS
    /// nodegroups; the Kubernetes collectors may subscribe too) holds a receiver and polls at
    /// once when it changes, rate-limited per poller (`source::refresh`).
    pub refresh: Option<tokio::sync::watch::Sender<u64>>,
    /// The most recent effects run (tests read this), at most `LOG_LEN`.
    pub log: Vec<Effect>,
}

impl Executor {
    pub fn run(&mut self, effect: Effect) {
        tracing::debug!(?effect, "effect");
        match &effect {
            Effect::RefreshSources => {
                if let Some(demo) = &self.demo {
                    // A full control queue already holds a refresh: dropping this one is fine.
                    let _ = demo.try_send(DemoControl::Refresh);
                }
                if let Some(refresh) = &self.refresh {
                    refresh.send_modify(|n| *n += 1);
                }
            }
            Effect::CheckAccess(requests) => {
                for r in requests {
                    self.check_access(r.clone());
                }
            }
            Effect::Perform(performs) => {
                for p in performs {
                    self.perform(p.clone());
                }
            }
        }
        if self.log.len() >= LOG_LEN {
            self.log.remove(0);
        }
        self.log.push(effect);
    }

    /// RBAC for a real cluster's action; the demo fleet allows everything (no answer needed),
    /// and IAM decides about nodegroups when the request is sent.
    fn check_access(&self, request: ActionRequest) {
        if request.target.kind == TargetKind::Nodegroup {
            return;
        }
        let (Some(reply), Some(cluster)) = (
            self.reply.clone(),
            self.clusters.get(&request.target.cluster).cloned(),
        ) else {
            return;
        };
        tokio::spawn(async move {
            let (tx, rx) = oneshot::channel();
            let job = ActionJob {
                request: request.clone(),
                production: false,
                mode: JobMode::CheckAccess,
                reply: tx,
            };
            let result = match cluster.send(job).await {
                Ok(()) => match rx.await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => return,
                },
                Err(_) => return,
            };
            let _ = reply.send(Msg::AccessChecked { request, result }).await;
        });
    }

    fn perform(&self, p: Perform) {
        let Some(reply) = self.reply.clone() else {
            tracing::error!("an action was confirmed but the executor has no reply channel");
            return;
        };
        let env = &p.request.target.cluster.env;
        let refused = if self.read_only {
            Some(ActionError::ReadOnly("the console runs read-only".into()))
        } else if self.read_only_envs.contains(env) {
            Some(ActionError::ReadOnly(format!(
                "environment {env} is read-only"
            )))
        } else {
            None
        };
        let cluster = &p.request.target.cluster;
        let route = if p.request.target.kind == TargetKind::Nodegroup {
            match (self.eks.get(cluster), &self.demo) {
                (Some(eks), _) => Route::Eks(Box::new(eks.clone())),
                (None, Some(demo)) => Route::Demo(demo.clone()),
                (None, None) => Route::Nowhere,
            }
        } else if let Some(tx) = self.clusters.get(cluster) {
            Route::Cluster(tx.clone())
        } else if let Some(demo) = &self.demo {
            Route::Demo(demo.clone())
        } else {
            Route::Nowhere
        };
        // A nodegroup of a cluster the config gives no EKS name: nothing could carry it out, so
        // say why rather than audit a request that cannot be sent.
        let refused = refused.or_else(|| {
            (p.request.target.kind == TargetKind::Nodegroup && matches!(route, Route::Nowhere))
                .then(|| {
                    ActionError::Refused(format!(
                        "{cluster} has no eks_cluster in the config: its nodegroups are not scaled from here"
                    ))
                })
        });
        let (audit, clock) = (self.audit.clone(), self.clock.clone());
        tokio::spawn(async move {
            let request = p.request.clone();
            let result = match refused {
                Some(e) => Err(e),
                None => audited(p, route, audit, clock).await,
            };
            let _ = reply.send(Msg::ActionDone { request, result }).await;
        });
    }
}

enum Route {
    Demo(mpsc::Sender<DemoControl>),
    Cluster(mpsc::Sender<ActionJob>),
    Eks(Box<EksEndpoint>),
    Nowhere,
}

/// Who acts, as the cluster verified it: asked of the cluster's task before the audit entry is
/// written (it keeps the answer, and asks again next time when the cluster could not say). An
/// action whose policy counts approvers or forbids self-approval is refused without it; others
/// are recorded as `UNVERIFIED`. The console's placeholder (`$USER`) stays as `local_user`.
async fn identify(mut p: Perform, route: &Route) -> Result<Perform, ActionError> {
    if p.request.local_user.is_empty() {
        p.request.local_user = p.request.who.clone();
    }
    let answer = match route {
        Route::Cluster(c) => {
            let (tx, rx) = oneshot::channel();
            let job = ActionJob {
                request: p.request.clone(),
                production: p.production,
                mode: JobMode::Identify,
                reply: tx,
            };
            if c.send(job).await.is_err() {
                Err(format!(
                    "no connection to {} is open",
                    p.request.target.cluster
                ))
            } else {
                match rx.await {
                    Ok(Ok(o)) => Ok(o.summary),
                    Ok(Err(ActionError::Refused(why))) => Err(why),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("the cluster's task stopped before answering".into()),
                }
            }
        }
        // The demo's simulated clusters verify the person as the local user (nothing is real).
        Route::Demo(_) => Ok(p.request.local_user.clone()),
        // IAM decides about a nodegroup; nothing here verified who asked.
        Route::Eks(_) | Route::Nowhere => Err("no cluster identity for this target".into()),
    };
    match answer {
        Ok(who) => p.request.who = who,
        Err(why) if needs_verified_identity(&p.request.action) => {
            return Err(ActionError::Refused(unverified_refusal(
                &p.request.action,
                &why,
            )));
        }
        Err(_) => p.request.who = UNVERIFIED.into(),
    }
    Ok(p)
}

/// Who acts (`identify`), the audit entry on disk, then the request, then the completion. No
/// identity where the policy needs one, no audit entry; no audit entry, no request.
async fn audited(
    p: Perform,
    route: Route,
    audit: Option<Arc<AuditLog>>,
    clock: Option<Arc<dyn Clock>>,
) -> Result<Outcome, ActionError> {
    let now = || {
        clock
            .as_ref()
            .map_or_else(jiff::Timestamp::now, |c| c.now())
    };
    let Some(audit) = audit else {
        return Err(ActionError::Failed(
            "no audit log is available, so nothing was sent".into(),
        ));
    };
    let p = identify(p, &route).await?;
    let (a, req, before, at) = (audit.clone(), p.request.clone(), p.before.clone(), now());
    let id = tokio::task::spawn_blocking(move || a.begin(&req, &before, at))
        .await
        .map_err(|e| ActionError::Failed(e.to_string()))?
        .map_err(|e| {
            ActionError::Failed(format!(
                "cannot write the audit log {}: {e}; nothing was sent",
                audit.path().display()
            ))
        })?;
    let (tx, rx) = oneshot::channel();
    let sent = match route {
        Route::Demo(demo) => demo
            .send(DemoControl::Perform {
                request: Box::new(p.request.clone()),
                reply: tx,
            })
            .await
            .is_ok(),
        Route::Cluster(c) => c
            .send(ActionJob {
                request: p.request.clone(),
                production: p.production,
                mode: JobMode::Perform,
                reply: tx,
            })
            .await
            .is_ok(),
        Route::Eks(eks) => {
            let (request, tx) = (p.request.clone(), tx);
            tokio::spawn(async move {
                let _ = tx.send(crate::source::aws::nodegroup_scale::scale(&eks, &request).await);
            });
            true
        }
        Route::Nowhere => false,
    };
    let result = if sent {
        rx.await.unwrap_or_else(|_| {
            Err(ActionError::Failed(
                "the source stopped before answering".into(),
            ))
        })
    } else {
        Err(ActionError::Failed(format!(
            "no connection to {} is open",
            p.request.target.cluster
        )))
    };
    let (a, r, at) = (audit.clone(), result.clone(), now());
    let finished = tokio::task::spawn_blocking(move || a.finish(&id, &r, at)).await;
    if !matches!(finished, Ok(Ok(()))) {
        tracing::error!(path = %audit.path().display(), "cannot complete an audit entry");
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actions::{Action, Target};

    const READ_ONLY_ENV: &str = r#"
regions = ["eu-west-1"]
[[environments]]
name = "ENV"
read_only = true
[[environments.clusters]]
name = "main"
region = "eu-west-1"
eks_cluster = "main"
[[environments]]
name = "prod"
[[environments.clusters]]
name = "main"
region = "eu-west-1"
eks_cluster = "main"
"#;

    /// The executor's answer to scaling a nodegroup of each configured EKS cluster.
    async fn scale_every_nodegroup(
        config: &crate::config::Config,
    ) -> Vec<(ClusterId, Result<Outcome, ActionError>)> {
        let (tx, mut rx) = mpsc::channel(4);
        let eks = EksEndpoint::all(config);
        let mut clusters: Vec<ClusterId> = eks.keys().cloned().collect();
        clusters.sort();
        let mut exec = Executor {
            eks,
            reply: Some(tx),
            read_only_envs: config.read_only_envs(),
            ..Default::default()
        };
        let mut out = Vec::new();
        for cluster in clusters {
            exec.run(Effect::Perform(vec![Perform {
                request: ActionRequest {
                    target: Target::nodegroup(cluster.clone(), "general"),
                    action: Action::ScaleNodegroup {
                        min: 1,
                        desired: 2,
                        max: 3,
                        reason: "peak".into(),
                        allow: Default::default(),
                    },
                    who: "lee".into(),
                    local_user: String::new(),
                },
                before: "1/1/3".into(),
                production: false,
            }]));
            let Some(Msg::ActionDone { result, .. }) = rx.recv().await else {
                panic!("no ActionDone for {cluster}")
            };
            out.push((cluster, result));
        }
        out
    }

    /// Issue 16: a read-only environment named `prod/eu` had its nodegroups scaled: the check
    /// took the text of `prod/eu/eu-west-1/main` before its first '/' (`prod`) as the
    /// environment. Such a name is now refused when the config is read, and the check compares
    /// the id's own environment, exactly.
    #[tokio::test]
    async fn a_read_only_environment_scales_no_nodegroup() {
        let err = crate::config::parse(&READ_ONLY_ENV.replace("ENV", "prod/eu"), "opsdeck.toml")
            .expect_err("an environment name with a '/' is refused");
        let shown = err.to_string();
        assert!(
            shown.contains("opsdeck.toml:4:8") && shown.contains("contains '/'"),
            "{shown}"
        );

        // `prod-eu` is read-only, `prod` is not: each is judged by its own name.
        let config =
            crate::config::parse(&READ_ONLY_ENV.replace("ENV", "prod-eu"), "opsdeck.toml").unwrap();
        let results = scale_every_nodegroup(&config).await;
        assert_eq!(results.len(), 2);
        for (cluster, result) in results {
            if cluster.env == "prod-eu" {
                assert!(
                    matches!(result, Err(ActionError::ReadOnly(ref why)) if why.contains("prod-eu")),
                    "{cluster}: {result:?}"
                );
            } else {
                // Past the read-only check, stopped before any request: no audit log here.
                assert!(
                    matches!(result, Err(ActionError::Failed(ref why)) if why.contains("no audit log")),
                    "{cluster}: {result:?}"
                );
            }
        }
    }
}
