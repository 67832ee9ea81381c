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
    let failed: Vec<String> = outcomes.iter().filter(|o| o.failed()).map(|o| format!("{}: {}", o.case, o.detail)).collect();
    assert!(failed.is_empty(), "failing {prefix} cases:\n{}", failed.join("\n"));
    let passed = outcomes.iter().filter(|o| o.passed).count();
    assert!(passed >= at_least, "only {passed} {prefix} cases passed");
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

#[test]
fn acks_0_1_and_all_under_a_shrunken_isr_answer_the_producer_as_kafka_does() {
    // Each case runs the engine: followers die, the ISR shrinks below min.insync.replicas, one
    // record is produced, and the producer's answer and the leader's HW are compared.
    assert_section_passes("produce_acks", 3);
}

#[test]
fn the_high_watermark_waits_for_the_committed_isr_as_partition_test_shows() {
    // The steps are replayed on the leader state the simulated brokers use.
    assert_section_passes("high_watermark", 1);
}

#[test]
fn a_rule_without_parameters_and_an_unknown_section_are_skipped_not_passed() {
    let mut doc = public_vectors();
    doc["fetch_sessions"] = serde_json::json!([{"name": "x"}, {"name": "y"}]);
    let outcomes = check_document(&doc);
    let skipped: Vec<&str> = outcomes.iter().filter(|o| o.skipped).map(|o| o.case.as_str()).collect();
    assert_eq!(skipped, ["log[0] size_roll", "fetch_sessions"]);
    assert!(outcomes.iter().all(|o| !(o.skipped && o.passed)));
}
