//! Any input to the share-link decoder: it must return a run or a typed error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Both as a whole fragment and behind a version tag, so the fuzzer reaches the inflater early.
    let _ = kafka_lab::scenario::decode_link(&text);
    let _ = kafka_lab::scenario::decode_link(&format!("#v1.{text}"));
});
