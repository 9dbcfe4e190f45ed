//! The console's core: messages in, a pure reducer, effects out.

pub mod activity;
pub mod dialog;
pub mod effect;
pub mod filter;
pub mod intent;
pub mod key;
pub mod msg;
pub mod queries;
pub mod state;
pub mod update;

pub use effect::{Effect, Perform};
pub use intent::{Intent, KeyContext};
pub use msg::{Msg, ShutdownReason};
pub use queries::{
    PaletteItem, SourceKind, SourceReport, SourceRow, alert_stale_age, capacity_lines,
    cluster_stale_age, detail_key, find_service, freshness, list_filter, list_len, metric_targets,
    palette_items, release, selected_index, source_reports, source_rows, stage_stale_age,
    visible_alerts, visible_capacity, visible_changes, visible_cost_rows, visible_pipelines,
    visible_services,
};
pub use state::{
    ActivityEntry, ActivityStatus, AlertSort, CapacitySort, CostSort, Dialog, DialogField, Input,
    ListUi, PipelineSort, ServiceSort, Settings, SortOrder, State, TOP_VIEWS, TimeWindow,
    TimelineSort, UiState, View,
};
pub use update::{apply_intent, update};
