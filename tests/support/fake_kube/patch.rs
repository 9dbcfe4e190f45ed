//! The three PATCH formats: JSON merge patch (RFC 7386), strategic merge patch (the subset
//! kubectl uses) and JSON patch (RFC 6902).

use serde_json::{Map, Value};

/// RFC 7386: objects merge recursively, `null` removes a key, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// The merge key of a list field whose patch strategy is "merge" (from the Kubernetes types);
/// every other list is replaced, as a strategic merge patch does.
fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    let has = |k: &str| items.iter().all(|i| i.get(k).is_some());
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "hostAliases" => "ip",
        "topologySpreadConstraints" => "topologyKey",
        "ports" if has("containerPort") => "containerPort",
        "ports" if has("port") => "port",
        _ => return None,
    })
}

/// Strategic merge patch: a merge patch, except that lists of containers, env vars, volumes,
/// ports, conditions, ... merge item by item on their merge key, and the directives kubectl
/// sends (`$patch: replace|delete`, `$setElementOrder/<list>`, `$retainKeys`,
/// `$deleteFromPrimitiveList/<list>`) are honoured.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut replaced = p.clone();
        replaced.remove("$patch");
        *target = Value::Object(replaced);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("object");
    let mut orders = Vec::new();
    for (k, v) in p {
        if let Some(field) = k.strip_prefix("$setElementOrder/") {
            orders.push((field, v));
        } else if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Value::Array(gone)) = (t.get_mut(field), v) {
                list.retain(|x| !gone.contains(x));
            }
        } else if k.starts_with('$') {
            continue;
        } else if v.is_null() {
            t.remove(k);
        } else if let Value::Array(items) = v {
            let slot = t.entry(k.clone()).or_insert(Value::Null);
            merge_list(k, slot, items);
        } else {
            strategic_merge(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
    for (field, order) in orders {
        if let (Some(Value::Array(list)), Value::Array(order)) = (t.get_mut(field), order) {
            let Some(mk) = merge_key(field, list) else {
                continue;
            };
            let rank = |item: &Value| {
                order
                    .iter()
                    .position(|o| o.get(mk) == item.get(mk))
                    .unwrap_or(usize::MAX)
            };
            list.sort_by_key(rank);
        }
    }
    if let Some(Value::Array(keep)) = p.get("$retainKeys") {
        t.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k)) || p.contains_key(k));
    }
}

fn merge_list(field: &str, slot: &mut Value, items: &[Value]) {
    let directive = |i: &Value| i.get("$patch").and_then(Value::as_str).map(str::to_owned);
    let plain: Vec<Value> = items
        .iter()
        .filter(|i| directive(i).is_none())
        .cloned()
        .collect();
    let replace = items
        .iter()
        .any(|i| directive(i).as_deref() == Some("replace"));
    let mk = merge_key(field, items);
    let (Some(mk), Value::Array(list), false) = (mk, &mut *slot, replace) else {
        *slot = Value::Array(plain);
        return;
    };
    for item in items {
        let pos = list.iter().position(|x| x.get(mk) == item.get(mk));
        match (directive(item).as_deref(), pos) {
            (Some("delete"), Some(i)) => {
                list.remove(i);
            }
            (Some(_), _) => {}
            (None, Some(i)) => strategic_merge(&mut list[i], item),
            (None, None) => list.push(item.clone()),
        }
    }
}

/// RFC 6902 JSON patch: add, remove, replace, move, copy, test. All or nothing.
pub fn json_patch(target: &Value, ops: &Value) -> Result<Value, String> {
    let ops = ops
        .as_array()
        .ok_or("a JSON patch must be an array of operations")?;
    let mut doc = target.clone();
    for op in ops {
        let name = op["op"].as_str().ok_or("operation without \"op\"")?;
        let path = op["path"].as_str().ok_or("operation without \"path\"")?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or(format!("{name} {path}: missing value"))
        };
        let from = || {
            op["from"]
                .as_str()
                .ok_or(format!("{name} {path}: missing from"))
        };
        match name {
            "add" => add(&mut doc, path, value()?)?,
            "remove" => {
                remove(&mut doc, path)?;
            }
            "replace" => {
                remove(&mut doc, path)?;
                add(&mut doc, path, value()?)?;
            }
            "move" => {
                let v = remove(&mut doc, from()?)?;
                add(&mut doc, path, v)?;
            }
            "copy" => {
                let v = doc
                    .pointer(from()?)
                    .cloned()
                    .ok_or(format!("copy: {} not found", from()?))?;
                add(&mut doc, path, v)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            other => return Err(format!("unexpected kind of operation: {other}")),
        }
    }
    Ok(doc)
}

/// Split a JSON pointer into (parent pointer, last token, unescaped).
fn split(path: &str) -> Result<(&str, String), String> {
    let i = path
        .rfind('/')
        .ok_or(format!("invalid JSON pointer {path:?}"))?;
    Ok((
        &path[..i],
        path[i + 1..].replace("~1", "/").replace("~0", "~"),
    ))
}

fn add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (parent, last) = split(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => {
            m.insert(last, value);
            Ok(())
        }
        Some(Value::Array(a)) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>()
                    .ok()
                    .filter(|i| *i <= a.len())
                    .ok_or(format!("add {path}: index out of range"))?
            };
            a.insert(i, value);
            Ok(())
        }
        _ => Err(format!(
            "add operation does not apply: doc is missing path: \"{path}\""
        )),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let missing = || format!("remove operation does not apply: doc is missing path: \"{path}\"");
    let (parent, last) = split(path)?;
    match doc.pointer_mut(parent) {
        Some(Value::Object(m)) => m.remove(&last).ok_or_else(missing),
        Some(Value::Array(a)) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => Ok(a.remove(i)),
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}
