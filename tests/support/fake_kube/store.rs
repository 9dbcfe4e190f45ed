//! The object store: objects by (resource, namespace, name), one global resourceVersion counter
//! bumped on every write, and a bounded history of watch events for replay.

use super::resources::ResourceDef;
use super::status::ApiError;
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};

/// (group, plural), e.g. ("apps", "deployments").
pub type ResId = (&'static str, &'static str);

pub fn res_id(def: &ResourceDef) -> ResId {
    (def.group, def.plural)
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    pub res: ResId,
    /// "" for cluster-scoped objects.
    pub ns: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Event {
    pub rv: u64,
    pub res: ResId,
    pub ty: EventType,
    /// The object after the write (for DELETED: its last state, with the deletion's rv).
    pub object: Value,
    /// The object before the write (to turn MODIFIED into ADDED/DELETED for selector watches).
    pub old: Option<Value>,
}

/// How a write treats an existing object.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// POST: fails with 409 AlreadyExists if the object exists.
    Create,
    /// PUT/PATCH: fails with 404 if missing, 409 Conflict if `expect_rv` is set and stale.
    /// A write that changes nothing is not stored (no new resourceVersion, no event).
    Replace { expect_rv: Option<String> },
    /// The test helpers' create-or-replace: always writes, keeps given uid/generation/timestamps.
    Upsert,
}

pub struct Store {
    pub rv: u64,
    uid_seed: u64,
    uid_seq: u64,
    objects: BTreeMap<Key, Value>,
    history: VecDeque<Event>,
    pub history_limit: usize,
    /// The history holds every event with a resourceVersion above this.
    pub compacted: u64,
    /// Bumped by `expire_watches`: open watches end with an in-stream 410.
    pub expire_epoch: u64,
    /// Bumped by `end_watches`: open watches end cleanly.
    pub end_epoch: u64,
}

impl Store {
    pub fn new(uid_seed: u64) -> Store {
        Store {
            rv: 1,
            uid_seed,
            uid_seq: 0,
            objects: BTreeMap::new(),
            history: VecDeque::new(),
            history_limit: 1000,
            compacted: 1,
            expire_epoch: 0,
            end_epoch: 0,
        }
    }

    pub fn get(&self, def: &ResourceDef, ns: Option<&str>, name: &str) -> Option<&Value> {
        self.objects.get(&key(def, ns, name))
    }

    /// Objects of one resource in key order (namespace, name), optionally in one namespace.
    pub fn list<'a>(
        &'a self,
        def: &'a ResourceDef,
        ns: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a Key, &'a Value)> + 'a {
        let lo = key(def, ns, "");
        self.objects.range(lo..).take_while(move |(k, _)| {
            k.res == res_id(def) && (!def.namespaced || ns.is_none_or(|n| k.ns == n))
        })
    }

    /// Events with a resourceVersion above `after`, or a 410 if some of them were compacted away.
    pub fn events_after(&self, after: u64) -> Result<Vec<Event>, ApiError> {
        if after < self.compacted {
            return Err(ApiError::expired(after, self.compacted + 1));
        }
        Ok(self
            .history
            .iter()
            .filter(|e| e.rv > after)
            .cloned()
            .collect())
    }

    /// Forget the history up to now: a watch from any older resourceVersion gets a 410.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rv;
    }

    pub fn write(&mut self, def: &ResourceDef, obj: Value, mode: Write) -> Result<Value, ApiError> {
        self.write_opts(def, obj, mode, false)
    }

    /// `write`, or with `dry_run` (`dryRun=All`) every check and the answer without storing:
    /// no new resourceVersion, no event.
    pub fn write_opts(
        &mut self,
        def: &ResourceDef,
        obj: Value,
        mode: Write,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let mut obj = obj;
        if !obj.is_object() {
            return Err(ApiError::bad_request("the object must be a JSON object"));
        }
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        let meta = &obj["metadata"];
        let mut name = meta["name"].as_str().unwrap_or("").to_string();
        if name.is_empty()
            && mode == Write::Create
            && let Some(prefix) = meta["generateName"].as_str()
        {
            name = format!("{prefix}{}", self.suffix());
        }
        if name.is_empty() {
            return Err(ApiError::invalid(format!(
                "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                def.kind
            )));
        }
        let ns = def
            .namespaced
            .then(|| meta["namespace"].as_str().unwrap_or("default").to_string());
        let k = key(def, ns.as_deref(), &name);
        let old = self.objects.get(&k).cloned();
        match (&mode, &old) {
            (Write::Create, Some(_)) => return Err(ApiError::already_exists(def, &name)),
            (Write::Replace { .. }, None) => return Err(ApiError::not_found(def, &name)),
            (
                Write::Replace {
                    expect_rv: Some(rv),
                },
                Some(o),
            ) if !rv.is_empty() && o["metadata"]["resourceVersion"].as_str() != Some(rv) => {
                return Err(ApiError::conflict(def, &name));
            }
            _ => {}
        }

        obj["apiVersion"] = json!(def.api_version());
        obj["kind"] = json!(def.kind);
        let keep_given = mode == Write::Upsert;
        let m = obj["metadata"]
            .as_object_mut()
            .expect("metadata is an object");
        m.insert("name".into(), json!(name));
        match &ns {
            Some(ns) => m.insert("namespace".into(), json!(ns)),
            None => m.remove("namespace"),
        };
        let old_meta = old.as_ref().map(|o| &o["metadata"]);
        // uid and creationTimestamp: the stored object's, else (test helpers only) the given
        // ones, else new.
        let inherit = |field: &str, m: &serde_json::Map<String, Value>| {
            old_meta
                .map(|om| om[field].clone())
                .filter(|v| !v.is_null())
                .or_else(|| m.get(field).filter(|_| keep_given).cloned())
        };
        let uid = inherit("uid", m).unwrap_or_else(|| json!(self.next_uid()));
        let created = inherit("creationTimestamp", m).unwrap_or_else(|| json!(now()));
        m.insert("uid".into(), uid);
        m.insert("creationTimestamp".into(), created);
        let given_generation = m.get("generation").cloned();
        let old_generation = old.as_ref().map(|o| &o["metadata"]["generation"]);
        let generation = match (old.as_ref(), given_generation) {
            // A test that sets a generation of its own gets it; an object fetched, changed and
            // applied again gets the API server's bump.
            (_, Some(g)) if keep_given && g.is_u64() && old_generation != Some(&g) => g,
            (Some(o), _) => {
                let g = o["metadata"]["generation"].as_u64().unwrap_or(1);
                json!(if o.get("spec") != obj.get("spec") {
                    g + 1
                } else {
                    g
                })
            }
            (None, _) => json!(1),
        };
        obj["metadata"]["generation"] = generation;

        if let (Write::Replace { .. }, Some(o)) = (&mode, &old) {
            obj["metadata"]["resourceVersion"] = o["metadata"]["resourceVersion"].clone();
            if *o == obj {
                return Ok(obj);
            }
        }
        if dry_run {
            return Ok(obj);
        }
        let ty = if old.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.objects.insert(k, obj.clone());
        self.record(def, ty, obj.clone(), old);
        Ok(obj)
    }

    pub fn delete(
        &mut self,
        def: &ResourceDef,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        let Some(mut obj) = self.objects.remove(&key(def, ns, name)) else {
            return Err(ApiError::not_found(def, name));
        };
        let old = obj.clone();
        self.rv += 1;
        obj["metadata"]["resourceVersion"] = json!(self.rv.to_string());
        self.record(def, EventType::Deleted, obj.clone(), Some(old));
        Ok(obj)
    }

    fn record(&mut self, def: &ResourceDef, ty: EventType, object: Value, old: Option<Value>) {
        self.history.push_back(Event {
            rv: self.rv,
            res: res_id(def),
            ty,
            object,
            old,
        });
        while self.history.len() > self.history_limit {
            if let Some(e) = self.history.pop_front() {
                self.compacted = e.rv;
            }
        }
    }

    fn next_uid(&mut self) -> String {
        self.uid_seq += 1;
        let s = self.uid_seed;
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (s >> 32) as u32,
            (s >> 16) as u16,
            (s & 0xfff) as u16,
            (self.uid_seq >> 48) & 0xfff,
            self.uid_seq & 0xffff_ffff_ffff
        )
    }

    /// Five lowercase alphanumerics for `generateName`, like the real server's.
    fn suffix(&mut self) -> String {
        self.uid_seq += 1;
        let alphabet = b"bcdfghjklmnpqrstvwxz2456789";
        let mut n = self.uid_seq.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ self.uid_seed;
        (0..5)
            .map(|_| {
                let c = alphabet[(n % alphabet.len() as u64) as usize] as char;
                n /= alphabet.len() as u64;
                c
            })
            .collect()
    }
}

fn key(def: &ResourceDef, ns: Option<&str>, name: &str) -> Key {
    Key {
        res: res_id(def),
        ns: if def.namespaced {
            ns.unwrap_or("").to_string()
        } else {
            String::new()
        },
        name: name.to_string(),
    }
}

/// Now as the API server writes timestamps (RFC 3339, seconds, UTC).
pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
