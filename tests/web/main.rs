//! Browser tests: wasm-bindgen-test runs these in headless Chromium (`scripts/test`, suite 2).
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod lab;
mod shell;

/// The golden trace hash, checked in the browser with the same source as natively.
#[path = "../golden.rs"]
mod golden;
