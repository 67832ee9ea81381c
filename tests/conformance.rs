//! Every public conformance case, computed by Kafka itself, is reproduced exactly by the engine.
#![cfg(not(target_arch = "wasm32"))]

use kafka_lab::cli::conformance::check_document;

fn public_vectors() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/public_vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the public vectors are in the repo"))
        .expect("the public vectors are JSON")
}

fn assert_section_passes(prefix: &str, at_least: usize) {
    let outcomes: Vec<_> = check_document(&public_vectors()).into_iter().filter(|o| o.case.starts_with(prefix)).collect();
    let failed: Vec<String> = outcomes.iter().filter(|o| !o.passed).map(|o| format!("{}: {}", o.case, o.detail)).collect();
    assert!(failed.is_empty(), "failing {prefix} cases:\n{}", failed.join("\n"));
    assert!(outcomes.len() >= at_least, "only {} {prefix} cases ran", outcomes.len());
}

#[test]
fn every_murmur2_vector_matches_kafkas_utils_murmur2() {
    assert_section_passes("murmur2", 6);
}

#[test]
fn to_positive_clears_the_sign_bit_for_every_vector() {
    assert_section_passes("to_positive", 8);
}

#[test]
fn every_key_lands_in_kafkas_partition_for_every_partition_count() {
    assert_section_passes("partition", 10 * 9);
}

#[test]
fn segment_roll_and_retention_vectors_match_unified_log_test() {
    assert_section_passes("log", 4);
}
