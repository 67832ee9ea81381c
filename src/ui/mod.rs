//! The browser lab (wasm only): Yew components that turn engine events into pictures and clicks into
//! actions. It uses the engine's public API only.

mod app;

pub use app::App;

/// Mounts the lab into the page body. Called by the `kafka-lab-web` entry point.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
