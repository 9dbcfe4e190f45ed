//! The reducer: `update(&mut State, Msg) -> Vec<Effect>`. Pure: no I/O, no clock, no randomness,
//! so every interaction can be tested by feeding messages.

use super::effect::Effect;
use super::queries::{find_service, palette_items, release};
use super::screens::{Opens, list_screen};
use super::state::{Input, SortOrder, State, TOP_VIEWS, View};
use super::{Intent, KeyContext, Msg};
use crate::app::key::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crate::domain::Stage;

/// How long a footer notice stays.
const NOTICE_SECS: i64 = 5;

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tick(now) => {
            let before = state.now;
            let stale_before = any_stale(state);
            if now != state.now {
                state.fleet.clock_moved();
            }
            state.now = now;
            // Ages on screen have minute resolution, except stale sources, which count seconds.
            if before.as_second() / 60 != now.as_second() / 60 || stale_before || any_stale(state) {
                state.dirty = true;
            }
            if state
                .ui
                .notice
                .as_ref()
                .is_some_and(|(_, at)| (now - *at).get_seconds() >= NOTICE_SECS)
            {
                state.ui.notice = None;
                state.dirty = true;
            }
            vec![]
        }
        Msg::Resize { width, height } => {
            state.ui.width = width;
            state.ui.height = height;
            state.ui.page_rows = (height as usize).saturating_sub(8).max(1);
            state.dirty = true;
            vec![]
        }
        Msg::Source(u) => {
            if state.fleet.apply(u) {
                clamp_cell(state);
                state.dirty = true;
            }
            vec![]
        }
        Msg::Shutdown(_) => {
            state.should_quit = true;
            vec![]
        }
        Msg::ActionDone { request, result } => {
            super::activity::done(state, request, result);
            state.dirty = true;
            vec![]
        }
        Msg::AccessChecked { request, result } => {
            super::dialog::access_checked(state, request, result);
            state.dirty = true;
            vec![]
        }
        Msg::ActivityLoaded(records) => {
            super::activity::loaded(state, records);
            state.dirty = true;
            vec![]
        }
        Msg::Key(key) => {
            if key.kind == KeyEventKind::Release {
                return vec![];
            }
            state.dirty = true;
            on_key(state, key)
        }
    }
}

fn any_stale(state: &State) -> bool {
    state
        .fleet
        .source_healths()
        .iter()
        .any(|(_, h)| h.is_stale(state.now, state.settings.stale_after_secs))
}

fn on_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if state.ui.dialog.is_some() {
        return super::dialog::on_key(state, key);
    }
    match state.ui.input.clone() {
        Input::Filter => {
            edit_filter(state, key);
            vec![]
        }
        Input::Palette { query, selected } => on_palette_key(state, key, query, selected),
        Input::None if state.ui.help_open => {
            match state
                .keymap
                .intent_for(&[KeyContext::List, KeyContext::Global], &key)
            {
                Some(Intent::Quit) => state.should_quit = true,
                Some(Intent::Help | Intent::Back) => state.ui.help_open = false,
                Some(Intent::Down) => state.ui.help_scroll += 1,
                Some(Intent::Up) => state.ui.help_scroll = state.ui.help_scroll.saturating_sub(1),
                Some(Intent::PageDown) => state.ui.help_scroll += state.ui.page_rows,
                Some(Intent::PageUp) => {
                    state.ui.help_scroll = state.ui.help_scroll.saturating_sub(state.ui.page_rows)
                }
                Some(Intent::Top) => state.ui.help_scroll = 0,
                _ => {}
            }
            vec![]
        }
        Input::None => match state.keymap.intent_for(&state.key_contexts(), &key) {
            Some(action) => apply_intent(state, action),
            None => vec![],
        },
    }
}

fn edit_filter(state: &mut State, key: KeyEvent) {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Up => return move_selection(state, -1),
        KeyCode::Down => return move_selection(state, 1),
        KeyCode::Esc | KeyCode::Enter => state.ui.input = Input::None,
        _ => {}
    }
    let Some(list) = list_screen(state.view()) else {
        state.ui.input = Input::None;
        return;
    };
    let Some(filter) = list.filter_mut(&mut state.ui) else {
        state.ui.input = Input::None;
        return;
    };
    match key.code {
        KeyCode::Esc => filter.clear(),
        KeyCode::Enter => {}
        KeyCode::Backspace => {
            filter.pop();
        }
        KeyCode::Char('u') if ctrl => filter.clear(),
        KeyCode::Char(c) if !ctrl && !c.is_control() => filter.push(c),
        _ => return,
    }
    if key.code != KeyCode::Enter {
        list.reset_selection(&mut state.ui);
    }
}

/// Whether the current view has a list with a `/` filter.
fn has_filter(state: &State) -> bool {
    list_screen(state.view()).is_some_and(|l| l.filter(&state.ui).is_some())
}

fn on_palette_key(
    state: &mut State,
    key: KeyEvent,
    mut query: String,
    mut selected: usize,
) -> Vec<Effect> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => {
            state.ui.input = Input::None;
            return vec![];
        }
        KeyCode::Enter => {
            state.ui.input = Input::None;
            return match palette_items(&state.keymap, &query).get(selected) {
                Some(item) => apply_intent(state, item.action),
                None => {
                    state.ui.notice = Some((format!("no command matches \"{query}\""), state.now));
                    vec![]
                }
            };
        }
        KeyCode::Backspace => {
            query.pop();
            selected = 0;
        }
        KeyCode::Up => selected = selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Tab => {
            selected =
                (selected + 1).min(palette_items(&state.keymap, &query).len().saturating_sub(1))
        }
        KeyCode::Char('u') if ctrl => query.clear(),
        KeyCode::Char(c) if !ctrl && !c.is_control() => {
            query.push(c);
            selected = 0;
        }
        _ => {}
    }
    state.ui.input = Input::Palette { query, selected };
    vec![]
}

/// Carry out an action (from a key or the palette).
pub fn apply_intent(state: &mut State, action: Intent) -> Vec<Effect> {
    state.dirty = true;
    match action {
        Intent::Quit => state.should_quit = true,
        Intent::Help => {
            state.ui.help_open = true;
            state.ui.help_scroll = 0;
        }
        Intent::Palette => {
            state.ui.input = Input::Palette {
                query: String::new(),
                selected: 0,
            }
        }
        Intent::Filter => {
            // Views without a list of their own filter the services.
            if !has_filter(state) {
                state.ui.stack = vec![View::Services];
            }
            state.ui.input = Input::Filter;
        }
        Intent::Back => back(state),
        Intent::NextView | Intent::PrevView => {
            let current = TOP_VIEWS
                .iter()
                .position(|v| Some(v) == state.ui.stack.first())
                .unwrap_or(0);
            let n = TOP_VIEWS.len();
            let next = if action == Intent::NextView {
                (current + 1) % n
            } else {
                (current + n - 1) % n
            };
            switch_to(state, TOP_VIEWS[next].clone());
        }
        Intent::ViewOverview => switch_to(state, View::Overview),
        Intent::ViewServices => switch_to(state, View::Services),
        Intent::ViewPipelines => switch_to(state, View::Pipelines),
        Intent::ViewAlerts => switch_to(state, View::Alerts),
        Intent::ViewCapacity => switch_to(state, View::Capacity),
        Intent::ViewCost => switch_to(state, View::Cost),
        Intent::ViewTimeline => switch_to(state, View::Timeline),
        Intent::Up => move_selection(state, -1),
        Intent::Down => move_selection(state, 1),
        Intent::PageUp => move_selection(state, -(state.ui.page_rows as i64)),
        Intent::PageDown => move_selection(state, state.ui.page_rows as i64),
        Intent::Top => move_selection(state, i64::MIN / 2),
        Intent::Bottom => move_selection(state, i64::MAX / 2),
        Intent::Left => move_cell(state, 0, -1),
        Intent::Right => move_cell(state, 0, 1),
        Intent::Select => select(state),
        Intent::Sort => {
            let label = cycle_sort(state);
            state.ui.notice = Some((format!("sorted by {label}"), state.now));
        }
        Intent::TimeWindow => {
            let window = state.ui.timeline_window.next();
            state.ui.timeline_window = window;
            state.ui.lists.timeline.reset_selection();
            let notice = format!("timeline: {}", window.label());
            state.ui.notice = Some((notice, state.now));
        }
        Intent::Refresh => {
            state.ui.notice = Some(("refresh requested from every source".into(), state.now));
            return vec![Effect::RefreshSources];
        }
        Intent::ViewActivity => switch_to(state, View::Activity),
        Intent::ViewSources => switch_to(state, View::Sources),
        Intent::Approve
        | Intent::Reject
        | Intent::Rollback
        | Intent::RollbackProd
        | Intent::Scale
        | Intent::ScaleHpa
        | Intent::Tick => return super::dialog::open(state, action),
    }
    vec![]
}

/// Next sort order of the current view's list (views without one sort the services); returns
/// its label.
fn cycle_sort(state: &mut State) -> &'static str {
    let list = list_screen(state.view()).and_then(|l| l.cycle_sort(&mut state.ui));
    list.unwrap_or_else(|| {
        let sort = &mut state.ui.lists.services.sort;
        *sort = sort.next();
        sort.label()
    })
}

fn switch_to(state: &mut State, view: View) {
    state.ui.stack = vec![view];
    state.ui.services_stage = None;
}

fn back(state: &mut State) {
    let stack_len = state.ui.stack.len();
    if list_screen(state.view()).is_some_and(|l| l.clear_filter(&mut state.ui)) {
        // esc cleared the list's filter first.
    } else if stack_len > 1 {
        match state.ui.stack.pop() {
            Some(View::Services) => state.ui.services_stage = None,
            Some(View::Release(_)) => state.ui.release_selected = None,
            _ => {}
        }
        state.ui.detail_selected = 0;
    } else if state.ui.services_stage.is_some() {
        state.ui.services_stage = None;
    }
}

/// Open a service's detail at the instance in `stage`, or say why not.
fn open_service(state: &mut State, namespace: Option<&str>, name: &str, stage: Option<&Stage>) {
    match find_service(state, namespace, name, stage) {
        Some((key, index)) => {
            state.ui.detail_selected = index;
            state.ui.stack.push(View::ServiceDetail(key));
        }
        None => {
            let notice = format!("{name} runs in no cluster");
            state.ui.notice = Some((notice, state.now));
        }
    }
}

/// Open the services of one stage (from the overview, capacity or cost).
fn open_stage(state: &mut State, stage: Stage) {
    state.ui.services_stage = Some(stage);
    state.ui.lists.services.reset_selection();
    state.ui.stack.push(View::Services);
}

fn select(state: &mut State) {
    if *state.view() == View::Overview {
        let (row, col) = state.ui.cell;
        let layout = state.fleet.layout();
        if let (Some(env), Some(region)) = (layout.envs.get(row), layout.regions.get(col)) {
            let stage = Stage {
                env: env.name.clone(),
                region: region.clone(),
            };
            open_stage(state, stage);
        }
        return;
    }
    let Some(opens) = list_screen(state.view()).and_then(|l| l.opens(state)) else {
        return;
    };
    match opens {
        Opens::Stage(stage) => open_stage(state, stage),
        Opens::Service {
            namespace,
            name,
            stage,
        } => open_service(state, namespace.as_deref(), &name, stage.as_ref()),
        Opens::Detail(key) => {
            state.ui.detail_selected = 0;
            state.ui.stack.push(View::ServiceDetail(key));
        }
        Opens::Release(key) => {
            state.ui.release_selected = None;
            state.ui.stack.push(View::Release(key));
        }
        Opens::Notice(text) => state.ui.notice = Some((text, state.now)),
        Opens::Nothing => {}
    }
}

fn move_cell(state: &mut State, drow: i64, dcol: i64) {
    if *state.view() != View::Overview {
        return;
    }
    let rows = state.fleet.layout().envs.len() as i64;
    let cols = state.fleet.layout().regions.len() as i64;
    let (r, c) = state.ui.cell;
    state.ui.cell = (
        (r as i64 + drow).clamp(0, (rows - 1).max(0)) as usize,
        (c as i64 + dcol).clamp(0, (cols - 1).max(0)) as usize,
    );
}

fn move_selection(state: &mut State, delta: i64) {
    let step = |cur: usize, len: usize| -> usize {
        if len == 0 {
            0
        } else {
            (cur.min(len - 1) as i64)
                .saturating_add(delta)
                .clamp(0, len as i64 - 1) as usize
        }
    };
    if *state.view() == View::Overview {
        // Up/down move between environments; paging jumps to the ends.
        let d = delta.clamp(-1, 1);
        move_cell(state, d, 0);
        if delta.abs() > 1 {
            move_cell(state, delta.signum() * 1000, 0);
        }
        return;
    }
    match state.view() {
        View::Release(_) => {
            let len = release(state).map_or(0, |(r, _)| r.present().count());
            let current = release(state).map_or(0, |(_, i)| i);
            state.ui.release_selected = Some(step(current, len));
        }
        View::ServiceDetail(key) => {
            let len = state
                .fleet
                .service_row(key)
                .map_or(0, |r| r.instances.len());
            state.ui.detail_selected = step(state.ui.detail_selected, len);
        }
        view => {
            if let Some(list) = list_screen(view) {
                list.move_by(state, delta);
            }
        }
    }
}

/// Keep the overview's cell inside the layout when it changes. List selections are not clamped
/// here: that would rebuild the service list on every source message; readers find the row by
/// its key or clamp the index (`screens::ListUi::index`).
fn clamp_cell(state: &mut State) {
    let (r, c) = state.ui.cell;
    let rows = state.fleet.layout().envs.len().max(1);
    let cols = state.fleet.layout().regions.len().max(1);
    state.ui.cell = (r.min(rows - 1), c.min(cols - 1));
}
