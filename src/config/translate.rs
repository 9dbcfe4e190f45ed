//! Turning `toml`/serde errors into user-facing [`Problem`]s. serde speaks Rust ("expected u32",
//! "unknown field"); users wrote TOML, so messages name keys, tables and TOML types instead.

use super::diagnostic::Problem;
use super::doc::{KeyPath, Seg, path_at_span, value_at};
use super::model::{
    AlarmRules, AwsConfig, ClusterConfig, Config, DemoConfig, EndpointUrls, EnvironmentConfig,
    FleetConfig, LoggingConfig, UiConfig,
};
use super::suggest::closest;
use super::suggest::did_you_mean;
use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

/// A TOML syntax error (the document could not be parsed at all).
pub fn syntax_problem(file: &str, text: &str, err: &toml::de::Error) -> Problem {
    let msg = err.message();
    let hint = if msg.contains("duplicate key") {
        "each key and each `[table]` header may appear only once; remove or merge the duplicate"
    } else if msg.contains("must be quoted") {
        "put text values in double quotes, e.g. `theme = \"dark\"`"
    } else if msg.contains("unclosed") {
        "close it with the matching bracket or quote"
    } else {
        "check the TOML syntax here (https://toml.io): text needs quotes, tables are `[name]`, \
         arrays are `[a, b]`"
    };
    // "duplicate key" alone does not say which; the span does.
    let message = match err.span().and_then(|s| text.get(s)) {
        Some(key) if msg == "duplicate key" && !key.is_empty() => format!("{msg} `{key}`"),
        _ => msg.to_string(),
    };
    Problem::at(
        file,
        text,
        err.span(),
        format!("invalid TOML: {message}"),
        hint,
    )
}

/// A document that is valid TOML but does not fit the config's shape: unknown key, wrong type,
/// missing required key. `root` is the same document, parsed with spans.
pub fn schema_problem(
    file: &str,
    text: &str,
    root: &DeTable<'_>,
    err: &toml::de::Error,
) -> Problem {
    let msg = err.message();
    let path = err
        .span()
        .and_then(|s| path_at_span(root, &s))
        .map(|(p, _)| p);
    let (message, hint) = if let Some(rest) = msg.strip_prefix("unknown field ") {
        unknown_key(rest, path.as_ref(), root)
    } else if let Some(rest) = msg.strip_prefix("missing field ") {
        let key = rest.trim_matches('`');
        let at = path
            .as_ref()
            .map_or("a table".to_string(), |p| p.table_header());
        (
            format!("missing required key `{key}` in {at}"),
            format!("add `{key} = \"...\"` to this table"),
        )
    } else if let Some(rest) = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "))
    {
        wrong_type(rest, path.as_ref())
    } else {
        (
            msg.to_string(),
            "see config/default.toml for every key and its type".to_string(),
        )
    };
    Problem::at(file, text, err.span(), message, hint)
}

/// `rest` looks like: "`namespace`, expected one of `name`, `region`" (or "expected `name`").
fn unknown_key(rest: &str, path: Option<&KeyPath>, root: &DeTable<'_>) -> (String, String) {
    let (key, expected) = rest.split_once(", ").unwrap_or((rest, ""));
    let key = key.trim_matches('`');
    let valid: Vec<&str> = expected
        .trim_start_matches("expected one of ")
        .trim_start_matches("expected ")
        .split(", ")
        .map(|k| k.trim_matches('`'))
        .filter(|k| !k.is_empty() && !k.contains(' '))
        .collect();
    let place = match path.map(|p| p.parent().table_header()) {
        Some(h) if h.starts_with('[') => format!("in {h}"),
        Some(h) => format!("at {h}"),
        None => String::new(),
    };
    // A misspelt `[section]` header reads better as a section than as a key.
    let what = match path.and_then(|p| value_at(root, p)).map(|v| v.get_ref()) {
        Some(DeValue::Table(_)) => format!("section `[{key}]`"),
        Some(DeValue::Array(a)) if !a.is_empty() && a.iter().all(|v| v.get_ref().is_table()) => {
            format!("section `[[{key}]]`")
        }
        _ => format!("key `{key}`"),
    };
    let message = format!("unknown {what} {place}").trim_end().to_string();
    let elsewhere = sections_with_key(key, path.map(|p| p.parent().table_header()));
    let hint = if !elsewhere.is_empty() && closest_is_far(key, &valid) {
        let places: Vec<String> = elsewhere
            .iter()
            .map(|h| match h.as_str() {
                "the top level" => "at the top level (above the first [section])".to_string(),
                h => format!("in {h}"),
            })
            .collect();
        format!("`{key}` belongs {}; move it there", places.join(" or "))
    } else if valid.is_empty() {
        "remove it; this table takes no keys".to_string()
    } else {
        format!(
            "{}valid keys here: {}",
            did_you_mean(key, valid.iter().copied()),
            valid.join(", ")
        )
    };
    (message, hint)
}

/// `rest` looks like: "string \"fast\", expected u32".
fn wrong_type(rest: &str, path: Option<&KeyPath>) -> (String, String) {
    // `[[ui]]` instead of `[ui]`: serde reports the first field's type, which misleads.
    if let Some([Seg::Key(k), Seg::Index(_)]) = path.map(|p| p.0.as_slice())
        && ["fleet", "ui", "demo", "logging", "aws"].contains(&k.as_str())
    {
        return (
            format!("`{k}` is a single table, not an array of tables"),
            format!("write the header as `[{k}]` (single brackets), not `[[{k}]]`"),
        );
    }
    let (found, expected) = rest.rsplit_once(", expected ").unwrap_or((rest, ""));
    // serde's data-model names → TOML's names.
    let found = match found {
        "map" => "a table".to_string(),
        "sequence" => "an array".to_string(),
        f => f.replacen("floating point", "float", 1),
    };
    let (wanted, example) = toml_type(expected);
    let default = path.and_then(default_value);
    let example = default.as_deref().unwrap_or(example);
    let key = path.map_or("value".to_string(), |p| format!("`{p}`"));
    let message = format!("wrong type for {key}: expected {wanted}, found {found}");
    let name = path.and_then(|p| p.last_key()).unwrap_or("key");
    let unquote = if found.starts_with("string") && !example.starts_with('"') {
        " (without quotes)"
    } else {
        ""
    };
    let hint = if wanted == "a table" {
        format!("write it as a `[{name}]` section or an inline table `{name} = {{ ... }}`")
    } else {
        format!("write {wanted}{unquote}, e.g. `{name} = {example}`")
    };
    (message, hint)
}

/// serde's name for a Rust type → the TOML type a user writes, and an example value.
fn toml_type(expected: &str) -> (String, &'static str) {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" => ("a non-negative integer".into(), "30"),
        "i8" | "i16" | "i32" | "i64" | "isize" => ("an integer".into(), "30"),
        "a boolean" => ("a boolean".into(), "true"),
        "a string" => ("a string".into(), "\"...\""),
        "path string" => ("a string (a file path)".into(), "\"/path/to/file\""),
        "a sequence" => ("an array".into(), "[\"...\"]"),
        e if e.starts_with("struct ") => ("a table".into(), "{ ... }"),
        e => (e.to_string(), "..."),
    }
}

/// The default value at `path` in TOML syntax (the best example), for scalar keys that have one.
fn default_value(path: &KeyPath) -> Option<String> {
    let root = toml::Value::try_from(Config::default()).ok()?;
    let mut cur = &root;
    for seg in &path.0 {
        cur = match seg {
            Seg::Key(k) => cur.get(k.as_str())?,
            Seg::Index(i) => cur.get(*i)?,
        };
    }
    match cur {
        toml::Value::Table(_) | toml::Value::Array(_) => None,
        v => Some(v.to_string()),
    }
}

fn closest_is_far(key: &str, valid: &[&str]) -> bool {
    closest(key, valid.iter().copied()).is_none()
}

/// The table headers (other than `current`) where `key` is a valid key, e.g. `[ui]` for
/// `max_fps` written at the top level.
fn sections_with_key(key: &str, current: Option<String>) -> Vec<String> {
    let sections: [(&str, Vec<String>); 10] = [
        ("the top level", fields_of::<Config>()),
        ("[fleet]", fields_of::<FleetConfig>()),
        ("[ui]", fields_of::<UiConfig>()),
        ("[demo]", fields_of::<DemoConfig>()),
        ("[logging]", fields_of::<LoggingConfig>()),
        ("[aws]", fields_of::<AwsConfig>()),
        ("[aws.endpoint_urls]", fields_of::<EndpointUrls>()),
        ("[aws.alarms]", fields_of::<AlarmRules>()),
        ("[[environments]]", fields_of::<EnvironmentConfig>()),
        ("[[environments.clusters]]", fields_of::<ClusterConfig>()),
    ];
    sections
        .into_iter()
        .filter(|(header, fields)| {
            Some(*header) != current.as_deref() && fields.iter().any(|f| f == key)
        })
        .map(|(header, _)| header.to_string())
        .collect()
}

/// A struct's field names, read from serde's own "unknown field" error so they cannot drift
/// from the model (every config struct denies unknown fields).
fn fields_of<T: DeserializeOwned>() -> Vec<String> {
    let Err(e) = toml::from_str::<T>("__opsdeck_probe__ = 0") else {
        return Vec::new();
    };
    let msg = e.message();
    let list = msg.split_once("expected ").map_or("", |(_, l)| l);
    list.trim_start_matches("one of ")
        .split(", ")
        .map(|f| f.trim_matches('`').to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_from_the_model() {
        assert_eq!(
            fields_of::<UiConfig>(),
            ["theme", "max_fps", "read_only", "stale_after_secs"]
        );
        assert_eq!(
            sections_with_key("regions", Some("[ui]".into())),
            ["the top level"]
        );
        assert_eq!(
            sections_with_key("max_fps", Some("the top level".into())),
            ["[ui]"]
        );
    }
}
