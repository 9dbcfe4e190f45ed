//! Finding things in the parsed TOML document by key path, and key paths by byte span. The typed
//! `Config` has no positions, so every located message goes through the span-carrying `DeTable`.

use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A key path such as `environments[1].clusters[0].region`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPath(pub Vec<Seg>);

impl KeyPath {
    pub fn key(mut self, k: &str) -> KeyPath {
        self.0.push(Seg::Key(k.to_string()));
        self
    }

    pub fn index(mut self, i: usize) -> KeyPath {
        self.0.push(Seg::Index(i));
        self
    }

    /// The last key, e.g. `region` for `environments[1].clusters[0].region`.
    pub fn last_key(&self) -> Option<&str> {
        self.0.iter().rev().find_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
    }

    /// The table header a user would write for the table this path names: `[ui]`,
    /// `[[environments.clusters]]`, or "the top level".
    pub fn table_header(&self) -> String {
        if self.0.is_empty() {
            return "the top level".into();
        }
        let keys: Vec<&str> = self
            .0
            .iter()
            .filter_map(|s| match s {
                Seg::Key(k) => Some(k.as_str()),
                Seg::Index(_) => None,
            })
            .collect();
        if matches!(self.0.last(), Some(Seg::Index(_))) {
            format!("[[{}]]", keys.join("."))
        } else {
            format!("[{}]", keys.join("."))
        }
    }

    /// The path without its last step.
    pub fn parent(&self) -> KeyPath {
        let mut p = self.clone();
        p.0.pop();
        p
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(k) if i == 0 => write!(f, "{k}")?,
                Seg::Key(k) => write!(f, ".{k}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// The value at `path`, if the document spells it out (defaults are not in the document).
pub fn value_at<'a, 'i>(root: &'a DeTable<'i>, path: &KeyPath) -> Option<&'a Spanned<DeValue<'i>>> {
    let (first, rest) = path.0.split_first()?;
    let Seg::Key(k) = first else { return None };
    let mut cur = root.get(k.as_str())?;
    for seg in rest {
        cur = match (seg, cur.get_ref()) {
            (Seg::Key(k), DeValue::Table(t)) => t.get(k.as_str())?,
            (Seg::Index(i), DeValue::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The span of the value at `path` (see [`value_at`]).
pub fn value_span(root: &DeTable<'_>, path: &KeyPath) -> Option<Range<usize>> {
    value_at(root, path).map(|v| v.span())
}

/// The key path whose key or value has exactly this span (the deepest one, since an
/// array-of-tables element shares its span with the array). `is_key` tells which matched.
pub fn path_at_span(root: &DeTable<'_>, span: &Range<usize>) -> Option<(KeyPath, bool)> {
    let mut best = None;
    walk_table(root, KeyPath::default(), span, &mut best);
    best
}

fn walk_table(
    t: &DeTable<'_>,
    at: KeyPath,
    span: &Range<usize>,
    best: &mut Option<(KeyPath, bool)>,
) {
    for (k, v) in t.iter() {
        let path = at.clone().key(k.get_ref());
        if k.span() == *span {
            *best = Some((path.clone(), true));
        }
        walk_value(v.get_ref(), v.span(), path, span, best);
    }
}

fn walk_value(
    v: &DeValue<'_>,
    own: Range<usize>,
    path: KeyPath,
    span: &Range<usize>,
    best: &mut Option<(KeyPath, bool)>,
) {
    if own == *span {
        *best = Some((path.clone(), false));
    }
    match v {
        DeValue::Table(t) => walk_table(t, path, span, best),
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                walk_value(
                    item.get_ref(),
                    item.span(),
                    path.clone().index(i),
                    span,
                    best,
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "[ui]\nmax_fps = 3\n[[environments]]\nname = \"dev\"\n\
                       [[environments.clusters]]\nname = \"a\"\nregion = \"x\"\n";

    #[test]
    fn finds_value_spans_through_arrays_of_tables() {
        let root = DeTable::parse(DOC).unwrap();
        let path = KeyPath::default()
            .key("environments")
            .index(0)
            .key("clusters")
            .index(0);
        let span = value_span(root.get_ref(), &path.clone().key("region")).unwrap();
        assert_eq!(&DOC[span], "\"x\"");
        assert_eq!(path.table_header(), "[[environments.clusters]]");
        assert_eq!(path.to_string(), "environments[0].clusters[0]");
    }

    #[test]
    fn finds_paths_by_span() {
        let root = DeTable::parse(DOC).unwrap();
        let start = DOC.find("max_fps").unwrap();
        let (path, is_key) = path_at_span(root.get_ref(), &(start..start + 7)).unwrap();
        assert_eq!((path.to_string(), is_key), ("ui.max_fps".to_string(), true));
        let start = DOC.find("[[environments.clusters]]").unwrap();
        let (path, _) = path_at_span(root.get_ref(), &(start..start + 25)).unwrap();
        assert_eq!(path.table_header(), "[[environments.clusters]]");
    }
}
