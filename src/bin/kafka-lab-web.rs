//! The web app's entry point. Trunk builds this binary for wasm32 (see `www/index.html`).

#[cfg(target_arch = "wasm32")]
fn main() {
    kafka_lab::ui::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("kafka-lab-web is the browser lab: build and serve it with `scripts/serve` (see README.md).");
    std::process::exit(2);
}
