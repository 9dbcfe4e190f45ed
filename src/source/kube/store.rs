//! A keyed store of translated records that follows a watcher's event protocol, including
//! relists: objects not seen again in a relist of the same scope are removed.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// Records by key. `scope` of a key is its namespace ("" for cluster-scoped objects).
#[derive(Debug)]
pub struct Store<V> {
    items: HashMap<(String, String), V>,
    /// Keys seen so far in an ongoing relist, per scope being relisted (None = every scope).
    relisting: HashMap<Option<String>, HashSet<(String, String)>>,
}

impl<V> Default for Store<V> {
    fn default() -> Self {
        Store {
            items: HashMap::new(),
            relisting: HashMap::new(),
        }
    }
}

impl<V: PartialEq> Store<V> {
    pub fn get(&self, key: &(String, String)) -> Option<&V> {
        self.items.get(key)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.items.values()
    }

    pub fn keyed(&self) -> impl Iterator<Item = (&(String, String), &V)> {
        self.items.iter()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// A relist of `scope` starts.
    pub fn begin_relist(&mut self, scope: Option<String>) {
        self.relisting.insert(scope, HashSet::new());
    }

    /// Insert or replace. Returns the previous value when the record changed (or `Some(None)`
    /// semantics through `Changed`), so callers can mark what depends on it dirty.
    pub fn apply(&mut self, key: (String, String), value: V) -> Applied<V> {
        for (scope, seen) in self.relisting.iter_mut() {
            if in_scope(scope, &key) {
                seen.insert(key.clone());
            }
        }
        match self.items.get(&key) {
            Some(old) if *old == value => Applied::Unchanged,
            _ => Applied::Changed(self.items.insert(key, value)),
        }
    }

    pub fn delete(&mut self, key: &(String, String)) -> Option<V> {
        self.items.remove(key)
    }

    /// The relist of `scope` is complete: remove what it did not list. Returns the removed.
    pub fn end_relist(&mut self, scope: &Option<String>) -> Vec<((String, String), V)> {
        let Some(seen) = self.relisting.remove(scope) else {
            return Vec::new();
        };
        let gone: Vec<(String, String)> = self
            .items
            .keys()
            .filter(|k| in_scope(scope, k) && !seen.contains(*k))
            .cloned()
            .collect();
        gone.into_iter()
            .filter_map(|k| self.items.remove(&k).map(|v| (k, v)))
            .collect()
    }
}

/// What an `apply` did: nothing, or changed (with the previous value, if any).
#[derive(Debug, PartialEq)]
pub enum Applied<V> {
    Unchanged,
    Changed(Option<V>),
}

fn in_scope(scope: &Option<String>, key: &(String, String)) -> bool {
    scope.as_ref().is_none_or(|ns| *ns == key.0)
}

/// A set of keys with a cheap "take all".
#[derive(Debug)]
pub struct Dirty<K>(HashSet<K>);

impl<K> Default for Dirty<K> {
    fn default() -> Self {
        Dirty(HashSet::new())
    }
}

impl<K: Eq + Hash> Dirty<K> {
    pub fn mark(&mut self, k: K) {
        self.0.insert(k);
    }
    pub fn take(&mut self) -> Vec<K> {
        self.0.drain().collect()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(ns: &str, n: &str) -> (String, String) {
        (ns.into(), n.into())
    }

    #[test]
    fn apply_reports_changes_only() {
        let mut s = Store::default();
        assert_eq!(s.apply(k("a", "x"), 1), Applied::Changed(None));
        assert_eq!(s.apply(k("a", "x"), 1), Applied::Unchanged);
        assert_eq!(s.apply(k("a", "x"), 2), Applied::Changed(Some(1)));
    }

    #[test]
    fn relist_removes_only_unlisted_keys_of_its_scope() {
        let mut s = Store::default();
        s.apply(k("a", "x"), 1);
        s.apply(k("a", "y"), 1);
        s.apply(k("b", "z"), 1);
        s.begin_relist(Some("a".into()));
        s.apply(k("a", "x"), 1);
        let gone = s.end_relist(&Some("a".into()));
        assert_eq!(gone, vec![(k("a", "y"), 1)]);
        assert!(s.get(&k("b", "z")).is_some(), "other namespaces untouched");
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn cluster_wide_relist() {
        let mut s = Store::default();
        s.apply(k("a", "x"), 1);
        s.apply(k("b", "z"), 1);
        s.begin_relist(None);
        s.apply(k("b", "z"), 2);
        assert_eq!(s.end_relist(&None), vec![(k("a", "x"), 1)]);
        assert!(s.end_relist(&None).is_empty(), "a second end is a no-op");
    }
}
