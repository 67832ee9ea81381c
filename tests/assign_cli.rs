//! `kafka-lab assign` as a learner or a course author's CI runs it: JSON in, JSON out, exit codes.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kafka_lab(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-lab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the kafka-lab binary runs");
    // A command that fails on its flags exits without reading stdin; the broken pipe is expected.
    let _ = child.stdin.take().expect("stdin is piped").write_all(stdin.as_bytes());
    child.wait_with_output().expect("kafka-lab finishes")
}

fn stdout(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("the output is JSON")
}

const TWO_CONSUMERS_TWO_TOPICS: &str = r#"{
  "topics": {"topic1": 3, "topic2": 3},
  "members": [
    {"member_id": "consumer1", "group_instance_id": null, "subscription": ["topic1", "topic2"], "owned_partitions": [], "generation": null},
    {"member_id": "consumer2", "subscription": ["topic1", "topic2"]}
  ]
}"#;

#[test]
fn range_gives_the_first_consumer_both_extras() {
    // RangeAssignorTest#testTwoConsumersTwoTopicsSixPartitions, read from a file.
    let path = std::env::temp_dir().join(format!("kafka-lab-assign-{}.json", std::process::id()));
    std::fs::write(&path, TWO_CONSUMERS_TWO_TOPICS).unwrap();
    let out = kafka_lab(&["assign", "--assignor", "range", path.to_str().unwrap()], "");
    std::fs::remove_file(&path).ok();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        stdout(&out),
        serde_json::json!({"assignment": {
            "consumer1": [["topic1", 0], ["topic1", 1], ["topic2", 0], ["topic2", 1]],
            "consumer2": [["topic1", 2], ["topic2", 2]]
        }})
    );
}

#[test]
fn roundrobin_reads_standard_input() {
    for args in [&["assign", "--assignor", "roundrobin"][..], &["assign", "--assignor=roundrobin", "-"][..]] {
        let out = kafka_lab(args, TWO_CONSUMERS_TWO_TOPICS);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(
            stdout(&out)["assignment"]["consumer1"],
            serde_json::json!([["topic1", 0], ["topic1", 2], ["topic2", 1]])
        );
    }
}

#[test]
fn cooperative_sticky_withholds_a_partition_until_its_owner_revokes_it() {
    // AbstractStickyAssignorTest#testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers
    let group = r#"{"topics": {"topic1": 2, "topic2": 2}, "members": [
        {"member_id": "consumer1", "subscription": ["topic1", "topic2"], "owned_partitions": [["topic1", 0], ["topic2", 0]], "generation": 1},
        {"member_id": "consumer2", "subscription": ["topic1", "topic2"], "owned_partitions": [["topic1", 1], ["topic2", 1]], "generation": 1},
        {"member_id": "consumer3", "subscription": ["topic1", "topic2"], "owned_partitions": [], "generation": 1}]}"#;
    let first = kafka_lab(&["assign", "--assignor", "cooperative-sticky"], group);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(stdout(&first)["assignment"]["consumer3"], serde_json::json!([]));
    let eager = kafka_lab(&["assign", "--assignor", "sticky"], group);
    assert_eq!(stdout(&eager)["assignment"]["consumer3"], serde_json::json!([["topic2", 0]]));
    let settled = kafka_lab(&["assign", "--assignor", "cooperative-sticky", "--converged"], group);
    assert_eq!(stdout(&settled)["assignment"]["consumer3"], serde_json::json!([["topic2", 0]]));
}

#[test]
fn help_prints_the_usage() {
    let out = kafka_lab(&["assign", "--help"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage: kafka-lab assign --assignor NAME"));
}

/// Runs a bad input and returns stderr, checking the exit code is 2.
fn rejected(args: &[&str], stdin: &str) -> String {
    let out = kafka_lab(args, stdin);
    assert_eq!(out.status.code(), Some(2), "stdout: {}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_flags_exit_2_and_say_why() {
    assert!(rejected(&["assign"], TWO_CONSUMERS_TWO_TOPICS).contains("--assignor is required"));
    let unknown = rejected(&["assign", "--assignor", "foo"], TWO_CONSUMERS_TWO_TOPICS);
    assert!(
        unknown
            .contains("--assignor: unknown assignor 'foo' (expected range, roundrobin, sticky or cooperative-sticky)")
    );
    assert!(rejected(&["assign", "--assignor", "range", "--bogus"], "").contains("--bogus"));
    assert!(
        rejected(&["assign", "--assignor", "range", "/no/such/file.json"], "")
            .contains("cannot read /no/such/file.json")
    );
}

#[test]
fn bad_input_exits_2_and_names_the_field() {
    let run = |stdin: &str| rejected(&["assign", "--assignor", "sticky"], stdin);
    assert!(run("not json").contains("input: not valid JSON"));
    assert!(
        run(r#"{"topics": {"t": 0}, "members": []}"#).contains("topics.t: partition count must be a positive integer")
    );
    assert!(
        run(r#"{"topics": {"t": 3}, "members": [{"member_id": "c0", "subscription": ["t"]},
        {"member_id": "c1", "subscription": ["t"], "owned_partitions": [["t", -1]]}]}"#)
        .contains("members[1].owned_partitions[0]: partition -1 must be a non-negative integer")
    );
    assert!(
        run(r#"{"topics": {"t": 3}, "members": [{"member_id": "c0", "subscription": ["t"]},
        {"member_id": "c0", "subscription": ["t"]}]}"#)
        .contains("members[1].member_id: 'c0' is already the member id of members[0]")
    );
    assert!(
        run(r#"{"topics": {"t": 3}, "members": [{"member_id": "c0"}]}"#).contains("members[0].subscription: missing")
    );
    assert!(
        run(r#"{"topics": {"t": 3}, "members": [{"member_id": "c0", "subscription": ["t"], "generation": 1.5}]}"#)
            .contains("members[0].generation: must be an integer")
    );
}

#[test]
fn no_input_shape_makes_it_panic() {
    // Odd but well-formed JSON documents all end in an answer or a named problem, never a crash.
    let shapes = [
        "null",
        "[]",
        "{}",
        r#"{"topics": null, "members": null}"#,
        r#"{"topics": {}, "members": []}"#,
        r#"{"topics": {"t": 1}, "members": [null]}"#,
        r#"{"topics": {"t": 1}, "members": [{"member_id": "", "subscription": []}]}"#,
        r#"{"topics": {"t": 1}, "members": [{"member_id": "a", "subscription": [1]}]}"#,
        r#"{"topics": {"t": 1}, "members": [{"member_id": "a", "subscription": [], "owned_partitions": [["t"]]}]}"#,
        r#"{"topics": {"t": 1}, "members": [{"member_id": "a", "subscription": ["t"], "owned_partitions": [["gone", 4294967296]]}]}"#,
        r#"{"topics": {"t": 1}, "members": [{"member_id": "a", "subscription": ["t"], "generation": -7}]}"#,
    ];
    for assignor in ["range", "roundrobin", "sticky", "cooperative-sticky"] {
        for shape in shapes {
            let out = kafka_lab(&["assign", "--assignor", assignor], shape);
            assert!(matches!(out.status.code(), Some(0 | 2)), "{assignor} {shape}: {:?}", out.status);
        }
    }
}
