//! `kafka-lab place` as a learner or a course author's script runs it: Kafka's placements for good
//! input, Kafka's refusals (and flag problems) with exit code 2 for bad input.
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn place(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-lab")).arg("place").args(args).output().expect("the kafka-lab binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn five_brokers_ten_partitions_match_kafkas_own_test() {
    // AdminRackAwareTest#testReplicaAssignment.
    let out =
        place(&["--partitions", "10", "--replication-factor", "3", "--brokers", "0,1,2,3,4", "--start-index", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"0\": [0, 1, 2], \"1\": [1, 2, 3], \"2\": [2, 3, 4], \"3\": [3, 4, 0], \"4\": [4, 0, 1], \
         \"5\": [0, 2, 3], \"6\": [1, 3, 4], \"7\": [2, 4, 0], \"8\": [3, 0, 1], \"9\": [4, 1, 2]}\n"
    );
}

#[test]
fn racks_switch_to_the_rack_aware_algorithm() {
    // AdminRackAwareTest#testGetRackAlternatedBrokerListAndAssignReplicasToBrokers.
    let racks = "0:rack1,1:rack3,2:rack3,3:rack2,4:rack2,5:rack1";
    let out = place(&["--partitions", "7", "--replication-factor", "3", "--racks", racks, "--start-index", "0"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "{\"0\": [0, 3, 1], \"1\": [3, 1, 5], \"2\": [1, 5, 4], \"3\": [5, 4, 2], \"4\": [4, 2, 0], \
         \"5\": [2, 0, 3], \"6\": [0, 4, 2]}\n"
    );
}

#[test]
fn the_output_is_json_with_partitions_in_numeric_order() {
    let out = place(&["--partitions", "12", "--replication-factor", "1", "--brokers", "0,1,2", "--seed", "3"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(parsed.as_object().map(|o| o.len()), Some(12));
    let position = |key: &str| text.find(&format!("\"{key}\"")).unwrap();
    assert!(position("2") < position("10"), "partition 2 comes before partition 10: {text}");
}

#[test]
fn the_same_seed_gives_the_same_placement_and_the_start_partition_id_shifts_the_ids() {
    let args = ["--partitions", "6", "--replication-factor", "2", "--brokers", "0,1,2,3", "--seed", "42"];
    assert_eq!(stdout(&place(&args)), stdout(&place(&args)));
    let out =
        place(&["--partitions", "2", "--replication-factor", "2", "--brokers", "0,1,2", "--start-partition-id", "5"]);
    let parsed: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(parsed.get("5").is_some() && parsed.get("6").is_some(), "{parsed}");
}

#[test]
fn help_exits_zero() {
    let out = place(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Usage: kafka-lab place"));
}

#[test]
fn kafkas_refusals_exit_2_with_kafkas_message() {
    let cases: [(&[&str], &str); 4] = [
        (
            &["--partitions", "3", "--replication-factor", "4", "--brokers", "0,1,2"],
            "Replication factor: 4 larger than available brokers: 3.",
        ),
        (
            &["--partitions", "0", "--replication-factor", "1", "--brokers", "0"],
            "Number of partitions must be larger than 0.",
        ),
        (
            &["--partitions", "1", "--replication-factor", "0", "--brokers", "0"],
            "Replication factor must be larger than 0.",
        ),
        (
            &["--partitions", "1", "--replication-factor", "1", "--racks", "0:a,1"],
            "Not all brokers have rack information for replica rack aware assignment.",
        ),
    ];
    for (args, message) in cases {
        let out = place(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn flag_problems_exit_2_and_name_the_flag() {
    let cases: [(&[&str], &str); 7] = [
        (&["--replication-factor", "1", "--brokers", "0"], "--partitions"),
        (&["--partitions", "1", "--brokers", "0"], "--replication-factor"),
        (&["--partitions", "1", "--replication-factor", "1"], "--brokers"),
        (&["--partitions", "two", "--replication-factor", "1", "--brokers", "0"], "--partitions"),
        (&["--partitions", "1", "--replication-factor", "1", "--brokers", "0", "--racks", "1:a"], "--racks"),
        (&["--partitions", "1", "--replication-factor", "1", "--brokers", "3,3"], "--brokers"),
        (&["--partitions", "1", "--replication-factor", "1", "--brokers", "0", "--start-index", "x"], "--start-index"),
    ];
    for (args, flag) in cases {
        let out = place(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
