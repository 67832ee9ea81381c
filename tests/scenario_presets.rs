//! The built-in lessons: every one runs on the real engine, every checkpoint holds, and every run
//! hashes to the value pinned here, so a change in the engine that alters a lesson is noticed.
//!
//! When a change is meant to alter runs (a more faithful engine, a reworded lesson that changes its
//! actions), update a hash deliberately: run `kafka-lab run --preset <id> --json`, read the new
//! `trace_hash`, re-read the lesson's narration against `kafka-lab run --preset <id> --events`, and
//! only then paste the hash below.

use kafka_lab::scenario::library::{self, preset, preset_ids, presets};
use kafka_lab::scenario::{Section, run_scenario};

const GOLDEN_TRACE_HASHES: &[(&str, &str)] = &[
    ("topic-partitions-offsets", "701f9c6dd9bb98ea"),
    ("round-robin-no-key", "f3396884e98616af"),
    ("key-hash-ordering", "0f412a86df49b80c"),
    ("out-of-order-across-partitions", "9279af1716769231"),
    ("hot-partition", "17417ddfaf500bcc"),
    ("group-one-consumer", "d2ae501540cef7d2"),
    ("group-equal", "053e7bb8a9af2190"),
    ("group-idle-consumers", "8be10036a678f831"),
    ("groups-broadcast", "ca5b83dadb57e382"),
    ("groups-mixed", "96e239ed9347b6d9"),
    ("scale-out-rebalance", "bec3ecd67feda300"),
    ("consumer-crash-rebalance", "e3fb184ea0a767a8"),
    ("eager-vs-cooperative", "015e9ec514a7ae96"),
    ("add-partitions-later", "4922b7c180abc930"),
    ("offsets-commit-replay", "1ba1161055092628"),
    ("replication-leaders-followers", "572b3ea1c08736d2"),
    ("acks-0-1-all", "5b5a0ab4bac5538e"),
    ("leader-failover", "7842de71786b3801"),
    ("acks1-data-loss", "284b1bc64bb56eac"),
    ("min-insync-replicas", "fc8f1aa6cacf3698"),
    ("unclean-election", "ea170fcc9e665e2a"),
    ("auto-commit-duplicates", "ce526f76c12e615a"),
    ("delivery-semantics", "41b5ea460d33af5f"),
    ("idempotent-producer", "e5ef2c40c502f229"),
    ("transactions-read-committed", "38de6414f43e753e"),
    ("exactly-once-pipeline", "1c8d44a7367af54d"),
    ("segments-retention", "6e7de8f344c36be1"),
    ("sequential-io-zero-copy", "866679d22d39a084"),
    ("batching-linger", "fe4e12a4c90aea20"),
    ("kafka-vs-queue", "7760ef98c3eaf985"),
    ("fan-out-decoupling", "8ef7bf8f55ba5e5c"),
    ("delivery-tracking-bulk-insert", "e2f3ca802e885811"),
    ("kraft-metadata", "49f5947f126248a3"),
    ("stream-processing", "ca7e62959e6cf6de"),
    ("stress-data-path", "9e4abdae839950f5"),
];

/// The lesson ids of `shared/design/LESSONS.md`: course pages link to exactly these.
const LESSON_IDS: [&str; 34] = [
    "topic-partitions-offsets",
    "round-robin-no-key",
    "key-hash-ordering",
    "out-of-order-across-partitions",
    "hot-partition",
    "group-one-consumer",
    "group-equal",
    "group-idle-consumers",
    "groups-broadcast",
    "groups-mixed",
    "scale-out-rebalance",
    "consumer-crash-rebalance",
    "eager-vs-cooperative",
    "add-partitions-later",
    "offsets-commit-replay",
    "auto-commit-duplicates",
    "delivery-semantics",
    "replication-leaders-followers",
    "acks-0-1-all",
    "leader-failover",
    "acks1-data-loss",
    "min-insync-replicas",
    "unclean-election",
    "idempotent-producer",
    "transactions-read-committed",
    "exactly-once-pipeline",
    "batching-linger",
    "segments-retention",
    "sequential-io-zero-copy",
    "kafka-vs-queue",
    "fan-out-decoupling",
    "delivery-tracking-bulk-insert",
    "kraft-metadata",
    "stream-processing",
];

#[test]
fn every_preset_passes_its_checkpoints_and_hashes_to_its_golden_trace() {
    let mut mismatches = Vec::new();
    for id in preset_ids() {
        let scenario = preset(id).unwrap_or_else(|e| panic!("{e}"));
        let report = run_scenario(&scenario, None).unwrap();
        assert!(report.checkpoints.passed >= 1, "{id} has at least one checkpoint the engine verifies");
        assert_eq!(report.checkpoints.failed, 0, "{id}: {:#?}", report.checkpoints.results);
        assert_eq!(report.checkpoints.not_reached, 0, "{id}");
        let golden = GOLDEN_TRACE_HASHES.iter().find(|(g, _)| *g == id).map(|(_, h)| *h);
        if golden != Some(report.trace_hash.as_str()) {
            mismatches.push(format!("(\"{id}\", \"{}\"), // was {golden:?}", report.trace_hash));
        }
    }
    assert!(mismatches.is_empty(), "trace hashes changed (see this file's header before updating):\n{}", mismatches.join("\n"));
    assert_eq!(GOLDEN_TRACE_HASHES.len(), preset_ids().count(), "one golden hash per preset, no stale ones");
}

#[test]
fn preset_ids_are_lesson_ids_and_match_their_files() {
    for id in LESSON_IDS {
        assert!(preset_ids().any(|p| p == id), "the lesson '{id}' of LESSONS.md has no preset");
    }
    for id in preset_ids() {
        assert!(LESSON_IDS.contains(&id) || id == "stress-data-path", "{id} is not a lesson id of LESSONS.md");
        assert_eq!(preset(id).unwrap().id, id, "the file's id is its name");
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("static/scenarios");
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.strip_suffix(".toml").map(str::to_string))
        .collect();
    files.sort();
    let mut embedded: Vec<String> = preset_ids().map(str::to_string).collect();
    embedded.sort();
    assert_eq!(files, embedded, "every static/scenarios file is embedded, and nothing else");
}

#[test]
fn the_index_lists_every_preset_by_section_in_a_stable_order() {
    let index = presets();
    assert_eq!(index.len(), preset_ids().count());
    let sections: Vec<Section> = index.iter().map(|p| p.section).collect();
    let mut sorted = sections.clone();
    sorted.sort();
    assert_eq!(sections, sorted);
    assert_eq!(index, presets(), "the same order every time");
    assert!(index.iter().all(|p| !p.title.is_empty() && !p.summary.is_empty()));
}

#[test]
fn the_index_the_web_app_ships_says_what_each_lesson_file_says() {
    // The web app shows the index before it has fetched any lesson: a title or section that drifted
    // from its file would list a lesson under the wrong name or topic.
    for info in presets() {
        let lesson = preset(info.id).unwrap();
        assert_eq!((info.title.as_str(), info.section, info.summary.as_str()), (lesson.title.as_str(), lesson.section, lesson.summary.as_str()), "{}", info.id);
    }
    assert!(preset_ids().all(|id| library::preset_text(id).is_some()), "the CLI has every lesson compiled in");
}

#[test]
fn a_quoted_name_is_never_followed_by_an_apostrophe_s() {
    // 'linger-100''s read as a typo to the learner: a quoted name takes "of" instead.
    for id in preset_ids() {
        let text = library::preset_text(id).unwrap();
        assert!(!text.contains("''s"), "{id}: {}", text.lines().find(|l| l.contains("''s")).unwrap_or_default());
    }
}

#[test]
fn an_unknown_preset_suggests_the_nearest_id() {
    let err = preset("leader-failovr").unwrap_err();
    assert_eq!(err, library::LibraryError::UnknownPreset { id: "leader-failovr".into(), suggestion: Some("leader-failover".into()) });
}

#[test]
fn the_stress_preset_keeps_more_than_500_records_in_flight() {
    let mut run = kafka_lab::scenario::ScenarioRun::start(preset("stress-data-path").unwrap()).unwrap();
    let mut t = 1000;
    while t <= 4000 {
        run.advance_to(t, |_| {});
        let in_flight = run.tally().records_in_flight(run.world().now());
        assert!(in_flight >= 500, "only {in_flight} records in flight at {t} ms");
        t += 100;
    }
    assert!(run.report().metrics.records_in_flight_max >= 500);
}
