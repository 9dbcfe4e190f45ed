//! What a person asks for: an `Intent` (a key, a palette command), not to be confused with a
//! release action (`crate::actions::Action`). Keys map to intents through the keymap
//! (`config/keymap.toml`); the palette maps names and aliases to the same intents, so help,
//! palette and keys never disagree.

pub use super::screens::KeyContext;

/// Everything a person can ask for. The name (`quit`, `next_view`, `overview`, …) is what keymap
/// files and the palette use; what each does in words, its palette aliases and whether the
/// palette lists it are data in `config/keymap.toml` (`[intents]`, read by `crate::keymap`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::VariantArray,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum Intent {
    Quit,
    Help,
    Palette,
    Filter,
    Back,
    NextView,
    PrevView,
    #[strum(serialize = "overview")]
    ViewOverview,
    #[strum(serialize = "services")]
    ViewServices,
    #[strum(serialize = "pipelines")]
    ViewPipelines,
    #[strum(serialize = "alerts")]
    ViewAlerts,
    #[strum(serialize = "capacity")]
    ViewCapacity,
    #[strum(serialize = "cost")]
    ViewCost,
    #[strum(serialize = "timeline")]
    ViewTimeline,
    Up,
    Down,
    Left,
    Right,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Select,
    Sort,
    #[strum(serialize = "window")]
    TimeWindow,
    Refresh,
    #[strum(serialize = "activity")]
    ViewActivity,
    #[strum(serialize = "sources")]
    ViewSources,
    Approve,
    Reject,
    Rollback,
    RollbackProd,
    Scale,
    ScaleHpa,
    Tick,
}

impl Intent {
    /// Every intent, in the order help lists them.
    pub const ALL: &'static [Intent] = <Intent as strum::VariantArray>::VARIANTS;

    /// The identifier used in `keymap.toml` and typed in the palette.
    pub fn name(self) -> &'static str {
        self.into()
    }

    pub fn from_name(name: &str) -> Option<Intent> {
        name.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for i in Intent::ALL {
            assert_eq!(Intent::from_name(i.name()), Some(*i));
            assert!(seen.insert(i.name()), "{} twice", i.name());
        }
        assert_eq!(Intent::ViewOverview.name(), "overview");
        assert_eq!(Intent::NextView.name(), "next_view");
        assert_eq!(Intent::TimeWindow.name(), "window");
        assert_eq!(Intent::from_name("Overview"), None, "names are exact");
    }
}
