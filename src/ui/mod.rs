//! The browser lab (wasm only): Yew components that turn engine events into pictures and clicks into
//! actions. It uses the engine's public API and the [`session`](crate::session) only.
//!
//! - [`lab`]: the shared handle (the session, the cluster picture, signals for the frame loop);
//! - [`state`]: the UI state as a pure reducer;
//! - [`components`]: one component per file; [`hooks`]: the animation loop, keyboard, reduced motion;
//! - [`draw`]: the canvas layer; [`commands`] and [`keys`]: what buttons, menus and keys do.

mod app;
pub mod commands;
pub mod components;
pub mod draw;
pub mod embed;
pub mod focus;
pub mod form;
pub mod hooks;
pub mod keys;
pub mod lab;
pub mod markup;
pub mod state;

pub use app::{App, Opened, open, open_with, preset_in_fragment};

/// Mounts the lab into the page body. Called by the `kafka-lab-web` entry point.
pub fn start() {
    yew::Renderer::<App>::new().render();
}
