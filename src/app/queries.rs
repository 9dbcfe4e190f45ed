//! Derived lists shared by `update` (selection bounds, what `enter` opens) and `view` (what is
//! drawn), so the two can never disagree about which row is which.

use super::state::{ServiceSort, State, View};
use crate::app::Action;
use crate::domain::{ServiceRow, WorkloadKey, service_rows};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

/// Services after the `/` filter (fuzzy, over namespace/name and team), in the chosen order.
pub fn visible_services(state: &State) -> Vec<ServiceRow> {
    let mut rows = service_rows(&state.fleet);
    if let Some(stage) = &state.ui.services_stage {
        rows.retain(|r| r.instance_at(stage).is_some());
    }
    let filter = state.ui.services_filter.trim();
    if !filter.is_empty() {
        let pattern = Pattern::parse(filter, CaseMatching::Smart, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        rows.retain(|r| {
            let hay = format!("{} {}", r.key, r.team.as_deref().unwrap_or(""));
            pattern
                .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                .is_some()
        });
    }
    match state.ui.services_sort {
        ServiceSort::Name => {}
        ServiceSort::Health => {
            rows.sort_by(|a, b| b.worst.cmp(&a.worst).then_with(|| a.key.cmp(&b.key)))
        }
        ServiceSort::Team => {
            rows.sort_by(|a, b| a.team.cmp(&b.team).then_with(|| a.key.cmp(&b.key)))
        }
        ServiceSort::Restarts => {
            rows.sort_by(|a, b| b.restarts.cmp(&a.restarts).then_with(|| a.key.cmp(&b.key)))
        }
    }
    rows
}

/// A stored selection as an index into a list of `len` rows: the list may have shrunk since the
/// selection was made (data changed), so it is clamped where it is read. None for an empty list.
pub fn selected_index(selected: usize, len: usize) -> Option<usize> {
    (len > 0).then(|| selected.min(len - 1))
}

/// The service shown by the detail screen, if it still exists.
pub fn detail_key(state: &State) -> Option<&WorkloadKey> {
    match state.view() {
        View::ServiceDetail(key) => Some(key),
        _ => None,
    }
}

/// A palette entry: an action and how well it matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaletteItem {
    pub action: Action,
    pub score: u32,
}

/// Palette actions matching the query by name or alias (fuzzy), best first.
pub fn palette_items(query: &str) -> Vec<PaletteItem> {
    let candidates = Action::ALL.into_iter().filter(|a| a.in_palette());
    let query = query.trim();
    if query.is_empty() {
        return candidates
            .map(|action| PaletteItem { action, score: 0 })
            .collect();
    }
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut matcher = Matcher::new(Config::DEFAULT);
    let mut buf = Vec::new();
    let mut items: Vec<PaletteItem> = candidates
        .filter_map(|action| {
            let names = std::iter::once(action.name()).chain(action.aliases().iter().copied());
            let best = names
                .filter_map(|n| {
                    // An exact alias outranks any fuzzy hit.
                    if n == query {
                        Some(u32::MAX)
                    } else {
                        pattern.score(Utf32Str::new(n, &mut buf), &mut matcher)
                    }
                })
                .max()?;
            Some(PaletteItem {
                action,
                score: best,
            })
        })
        .collect();
    items.sort_by(|a, b| b.score.cmp(&a.score).then(a.action.cmp(&b.action)));
    items
}
