//! The web app's entry point. Trunk builds this binary for wasm32 (see `www/index.html`).

#[cfg(target_arch = "wasm32")]
fn main() {
    kafka_lab::ui::start();
}

/// Runs the `bench-reference` workload (the one `kafka-lab bench` runs natively) for `duration_ms` of
/// simulated time and returns its counts as JSON: `{"records", "consumed", "events", "trace_hash"}`.
///
/// Reached from the page as `window.wasmBindings.bench_reference(ms)` (Trunk's loader sets it), so
/// `tests/e2e/bench.test.mjs` can time the engine in the browser. The caller reads the wall clock
/// (`performance.now()`) around the call: the engine never does. The JSON is written by hand, as the
/// smallest addition to the shipped wasm.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bench_reference(duration_ms: u32) -> String {
    use kafka_lab::bench;
    let counts = bench::run(&bench::reference_spec(), bench::REFERENCE_SEED, u64::from(duration_ms));
    format!(
        r#"{{"records":{},"consumed":{},"events":{},"trace_hash":"{}"}}"#,
        counts.records, counts.consumed, counts.events, counts.trace_hash
    )
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kafka-lab-web is the browser lab: build and serve it with `scripts/serve` (see README.md).");
    std::process::exit(2);
}
