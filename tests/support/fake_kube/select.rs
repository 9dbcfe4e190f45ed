//! `labelSelector` and `fieldSelector` parsing and matching.
//!
//! Labels: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x,y)`, comma-joined.
//! Fields: `path=v`, `path==v`, `path!=v` on any dotted path (`metadata.name`, `type`,
//! `involvedObject.kind`, `spec.nodeName`, ...); a missing field compares as "" (so
//! `spec.nodeName=` selects unscheduled pods, as on a real server).

use super::status::ApiError;
use serde_json::Value;

#[derive(Debug, Clone)]
enum LabelReq {
    Exists(String),
    NotExists(String),
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

#[derive(Debug, Clone, Default)]
pub struct Selector {
    labels: Vec<LabelReq>,
    /// (dotted path, value, equal?)
    fields: Vec<(String, String, bool)>,
}

impl Selector {
    pub fn parse(labels: Option<&str>, fields: Option<&str>) -> Result<Selector, ApiError> {
        let mut sel = Selector::default();
        for part in split_top_level(labels.unwrap_or("")) {
            sel.labels.push(parse_label_req(&part)?);
        }
        for part in split_top_level(fields.unwrap_or("")) {
            let (path, value, eq) = if let Some((k, v)) = part.split_once("!=") {
                (k, v, false)
            } else if let Some((k, v)) = part.split_once("==") {
                (k, v, true)
            } else if let Some((k, v)) = part.split_once('=') {
                (k, v, true)
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid field selector: '{part}': must be of the form key=value"
                )));
            };
            sel.fields
                .push((path.trim().to_string(), value.trim().to_string(), eq));
        }
        Ok(sel)
    }

    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        let label = |k: &str| labels.get(k).and_then(Value::as_str);
        let labels_ok = self.labels.iter().all(|r| match r {
            LabelReq::Exists(k) => label(k).is_some(),
            LabelReq::NotExists(k) => label(k).is_none(),
            LabelReq::Eq(k, v) => label(k) == Some(v.as_str()),
            LabelReq::NotEq(k, v) => label(k) != Some(v.as_str()),
            LabelReq::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelReq::NotIn(k, vs) => !label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
        });
        labels_ok
            && self
                .fields
                .iter()
                .all(|(path, v, eq)| (field_value(obj, path) == *v) == *eq)
    }
}

/// The value at a dotted path as the field selector compares it.
pub fn field_value(obj: &Value, path: &str) -> String {
    let mut cur = obj;
    for seg in path.split('.') {
        match cur.get(seg) {
            Some(v) => cur = v,
            None => return String::new(),
        }
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Split at commas that are not inside parentheses.
fn split_top_level(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    out.push(cur);
    out.into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn parse_label_req(part: &str) -> Result<LabelReq, ApiError> {
    let bad = || ApiError::bad_request(format!("unable to parse requirement: {part}"));
    if let Some(open) = part.find('(') {
        let close = part.rfind(')').ok_or_else(bad)?;
        let words: Vec<&str> = part[..open].split_whitespace().collect();
        let values = part[open + 1..close]
            .split(',')
            .map(|v| v.trim().to_string())
            .collect();
        return match words.as_slice() {
            [k, "in"] => Ok(LabelReq::In(k.to_string(), values)),
            [k, "notin"] => Ok(LabelReq::NotIn(k.to_string(), values)),
            _ => Err(bad()),
        };
    }
    if let Some(k) = part.strip_prefix('!') {
        return Ok(LabelReq::NotExists(k.trim().to_string()));
    }
    let kv = |k: &str, v: &str| (k.trim().to_string(), v.trim().to_string());
    if let Some((k, v)) = part.split_once("!=") {
        let (k, v) = kv(k, v);
        return Ok(LabelReq::NotEq(k, v));
    }
    if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
        let (k, v) = kv(k, v);
        return Ok(LabelReq::Eq(k, v));
    }
    Ok(LabelReq::Exists(part.to_string()))
}
