//! Render and reducer benchmarks (see `docs/benchmarks.md`).
//!
//! Fleets: S is the seeded demo fleet; M (10 clusters, 500 deployments, 5,000 pods) and L (30
//! clusters, 1,500 deployments, 20,000 pods) come from `tests/support/fleet/`, built through
//! the Kubernetes collector's translation, as the console holds them after the initial sync.
//!
//! Everything is deterministic: fixed seeds and a fixed timestamp, so two runs draw the same
//! frames. Frame benchmarks measure `Terminal::draw` on a ratatui `TestBackend`: the view, the
//! diff against the previous buffer and the (in-memory) flush, i.e. one frame of the event loop
//! minus the terminal I/O.
//!
//! Run with `cargo bench --bench render` (about three minutes on two cores); a subset by name,
//! e.g. `cargo bench --bench render -- 'frame/M/'`.

#[path = "../support/fleet/mod.rs"]
mod fleet;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};
use opsdeck::app::{Msg, Settings, State, TOP_VIEWS, View, update};
use opsdeck::domain::{ClusterDelta, FleetState, SourceUpdate, WorkloadKey};
use opsdeck::keymap::Keymap;
use opsdeck::source::demo::{DemoWorld, GATE_SERVICE};
use opsdeck::theme::{Theme, load_theme};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SEED: u64 = 1;
/// The smallest terminal users run us in, the budget's size, and a large one.
const SIZES: [(u16, u16); 3] = [(80, 24), (200, 50), (250, 80)];

fn start() -> Timestamp {
    "2026-11-21T14:30:00Z".parse().unwrap()
}

fn world() -> DemoWorld {
    DemoWorld::generate(SEED, start())
}

fn fleet() -> FleetState {
    world().to_fleet_state()
}

/// The three fleets, by name: S (demo), M and L (generated).
fn fleets() -> Vec<(&'static str, FleetState)> {
    vec![
        ("S", fleet()),
        ("M", fleet::fleet_state(&fleet::M, start())),
        ("L", fleet::fleet_state(&fleet::L, start())),
    ]
}

fn state(fleet: FleetState, view: View) -> State {
    let settings = Settings {
        read_only: false,
        stale_after_secs: 30,
        demo: true,
        user: "lee".into(),
        policies: Default::default(),
    };
    let mut state = State::new(Keymap::default(), settings, start());
    state.fleet = fleet;
    state.ui.stack = match view {
        View::Overview => vec![View::Overview],
        View::ServiceDetail(ref k) => vec![
            View::Overview,
            View::Services,
            View::ServiceDetail(k.clone()),
        ],
        other => vec![View::Overview, other],
    };
    state
}

/// The service the detail benchmark opens: `checkout-api`, the demo's gated service and the
/// generated fleets' first fleet-wide one (it runs in every cluster).
fn detail_key(fleet: &FleetState) -> WorkloadKey {
    fleet
        .service_rows()
        .iter()
        .find(|r| r.key.name == GATE_SERVICE)
        .expect("every bench fleet has checkout-api")
        .key
        .clone()
}

fn theme() -> Theme {
    load_theme("dark", None, false).unwrap()
}

/// A view's name in benchmark ids: `overview`, ..., `detail`.
fn view_name(view: &View) -> String {
    match view {
        View::ServiceDetail(_) => "detail".into(),
        v => v.title().to_lowercase(),
    }
}

fn frames(c: &mut Criterion) {
    let theme = theme();
    let mut group = c.benchmark_group("frame");
    for (fleet_name, fleet) in fleets() {
        let mut views: Vec<View> = TOP_VIEWS.to_vec();
        views.push(View::ServiceDetail(detail_key(&fleet)));
        for view in views {
            for (w, h) in SIZES {
                let mut s = state(fleet.clone(), view.clone());
                update(
                    &mut s,
                    Msg::Resize {
                        width: w,
                        height: h,
                    },
                );
                let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
                // The first draw fills the back buffer; the measured ones are steady-state frames.
                terminal.draw(|f| opsdeck::ui::view(&s, &theme, f)).unwrap();
                let name = view_name(&view);
                group.bench_function(format!("{fleet_name}/{name}/{w}x{h}"), |b| {
                    b.iter(|| {
                        terminal
                            .draw(|f| opsdeck::ui::view(black_box(&s), &theme, f))
                            .unwrap();
                    })
                });
                // `FleetState` keeps the rows it derives until its data changes, so the frames
                // above (nothing changed: a key, a clock tick) read them. At the budget's size,
                // two more: `changed`, one pod of one cluster changed before each frame (a
                // watch event: that cluster's share and the fleet's rows are derived again);
                // `cold`, nothing kept at all (every cluster changed; `clusters_mut` forgets
                // everything and changes nothing).
                if (w, h) == (200, 50) {
                    let deltas = one_pod_changes(&s.fleet);
                    let mut i = 0usize;
                    group.bench_function(format!("{fleet_name}/{name}/{w}x{h}/changed"), |b| {
                        b.iter(|| {
                            i += 1;
                            s.fleet.apply(deltas[i % 2].clone());
                            terminal
                                .draw(|f| opsdeck::ui::view(black_box(&s), &theme, f))
                                .unwrap();
                        })
                    });
                    group.bench_function(format!("{fleet_name}/{name}/{w}x{h}/cold"), |b| {
                        b.iter(|| {
                            s.fleet.clusters_mut();
                            terminal
                                .draw(|f| opsdeck::ui::view(black_box(&s), &theme, f))
                                .unwrap();
                        })
                    });
                }
            }
        }
    }
    // A live fleet: alternate between two states one simulated minute apart, so every draw has
    // a non-empty diff to emit (the busiest screen at the larger size).
    let (w, h) = (200, 50);
    let later = start() + SignedDuration::from_secs(60);
    let mut live = world();
    let mut fleets = [live.to_fleet_state(), FleetState::default()];
    fleets[1] = fleets[0].clone();
    let mut t = start();
    while t < later {
        t += SignedDuration::from_secs(1);
        live.step(t);
        for u in live.take_updates(false) {
            fleets[1].apply(u);
        }
    }
    let mut states = fleets.map(|f| {
        let mut s = state(f, View::Services);
        update(
            &mut s,
            Msg::Resize {
                width: w,
                height: h,
            },
        );
        s
    });
    states[1].now = later;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    let drawn = states.each_ref().map(|s| {
        terminal
            .draw(|f| opsdeck::ui::view(s, &theme, f))
            .unwrap()
            .buffer
            .clone()
    });
    let changed = drawn[0].diff(&drawn[1]).len();
    assert!(
        changed > 0,
        "the two live states must draw different frames"
    );
    eprintln!("frame/services_live: {changed} cells change between the two frames");
    let mut i = 0usize;
    group.bench_function(format!("services_live/{w}x{h}"), |b| {
        b.iter(|| {
            i += 1;
            let s = &states[i % 2];
            terminal
                .draw(|f| opsdeck::ui::view(black_box(s), &theme, f))
                .unwrap();
        })
    });
    group.finish();
}

/// Two deltas that set one pod of the first cluster to alternate restart counts: applied in
/// turn, each really changes the fleet.
fn one_pod_changes(fleet: &FleetState) -> [SourceUpdate; 2] {
    let c = fleet.clusters().values().next().expect("a cluster");
    let (key, pod) = c.pods.iter().next().expect("a pod");
    [1, 2].map(|extra| {
        let mut pod = pod.clone();
        pod.restarts += extra;
        let mut delta = ClusterDelta::new(c.info.id.clone());
        delta.pods = vec![(key.clone(), Some(pod))];
        SourceUpdate::ClusterDelta(Box::new(delta))
    })
}

/// One cluster update that really changes something (so the reducer does the full work).
fn changed_cluster_update() -> SourceUpdate {
    let mut w = world();
    let _ = w.to_fleet_state();
    let mut t = start();
    for _ in 0..600 {
        t += SignedDuration::from_secs(1);
        w.step(t);
        if let Some(u) = w
            .take_updates(false)
            .into_iter()
            .find(|u| matches!(u, SourceUpdate::Cluster(_)))
        {
            return u;
        }
    }
    panic!("no cluster changed in ten simulated minutes");
}

fn reducer(c: &mut Criterion) {
    let fleet = fleet();
    let change = changed_cluster_update();
    let mut group = c.benchmark_group("reducer");
    for (name, view) in [("overview", View::Overview), ("services", View::Services)] {
        let base = state(fleet.clone(), view);
        group.bench_function(format!("ingest_cluster/{name}"), |b| {
            b.iter_batched(
                || (base.clone(), Msg::Source(change.clone())),
                |(mut s, msg)| {
                    let effects = update(&mut s, msg);
                    assert!(s.dirty);
                    (s, effects)
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn simulator(c: &mut Criterion) {
    let mut group = c.benchmark_group("demo");
    group.bench_function("world_generate", |b| {
        b.iter(|| DemoWorld::generate(black_box(SEED), start()))
    });
    let mut w = world();
    let _ = w.to_fleet_state();
    let mut t = start();
    group.bench_function("world_step", |b| {
        b.iter(|| {
            t += SignedDuration::from_secs(1);
            w.step(black_box(t));
        })
    });
    group.finish();
}

fn snapshot(c: &mut Criterion) {
    let now = start();
    let mut group = c.benchmark_group("snapshot");
    for (name, mut fleet) in fleets() {
        // `opsdeck snapshot` builds once from a fresh state: nothing derived is kept
        // (`clusters_mut` forgets it and changes nothing).
        group.bench_function(format!("build/{name}"), |b| {
            b.iter(|| {
                fleet.clusters_mut();
                black_box(opsdeck::snapshot::build(black_box(&fleet), now));
            })
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(20)
        .without_plots()
}

criterion_group! {
    name = benches;
    config = config();
    targets = frames, reducer, simulator, snapshot
}
criterion_main!(benches);
