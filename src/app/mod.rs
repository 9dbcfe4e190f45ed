//! The console's core: messages in, a pure reducer, effects out.

pub mod activity;
pub mod dialog;
pub mod effect;
pub mod filter;
pub mod intent;
pub mod key;
pub mod msg;
pub mod queries;
pub mod screens;
pub mod state;
pub mod update;

pub use effect::{Effect, Perform};
pub use intent::{Intent, KeyContext};
pub use msg::{Msg, ShutdownReason};
pub use queries::{
    PaletteItem, SourceKind, SourceReport, SourceRow, alert_stale_age, cluster_stale_age,
    detail_key, find_service, freshness, metric_targets, palette_items, release, selected_index,
    source_reports, source_rows, stage_stale_age,
};
pub use screens::{
    AlertSort, CapacitySort, CostSort, ListScreen, ListUi, Opens, PipelineSort, ServiceSort,
    TOP_VIEWS, TimeWindow, TimelineSort, View, capacity_lines, list_filter, list_screen,
    selected_row, visible_alerts, visible_capacity, visible_changes, visible_cost_rows,
    visible_pipelines, visible_services,
};
pub use state::{
    ActivityEntry, ActivityStatus, Dialog, DialogField, Input, Settings, SortOrder, State, UiState,
};
pub use update::{apply_intent, update};
