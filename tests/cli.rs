//! The `kafka-lab` binary as a course author's CI calls it: exit codes, help and version.
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn kafka_lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-lab")).args(args).output().expect("the kafka-lab binary runs")
}

#[test]
fn help_lists_the_commands_and_exits_zero() {
    for flag in ["--help", "-h", "help"] {
        let out = kafka_lab(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: kafka-lab <COMMAND>"), "{flag}: {text}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = kafka_lab(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("kafka-lab {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn an_unknown_argument_prints_usage_and_exits_2() {
    let out = kafka_lab(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("'--frobnicate'"), "{text}");
    assert!(text.contains("Usage: kafka-lab"), "{text}");
}

#[test]
fn no_command_prints_usage_and_exits_2() {
    let out = kafka_lab(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: kafka-lab"));
}

fn kafka_lab_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-lab"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the kafka-lab binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn partition_prints_each_key_and_its_partition() {
    // key0 → 1 and key1 → 2 with 3 partitions (public vectors); UTF-8 keys hash their bytes.
    let out = kafka_lab(&["partition", "--partitions", "3", "key0", "key1", "日本語"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[..2], ["key0\t1", "key1\t2"]);
    assert!(lines[2].starts_with("日本語\t"));
}

#[test]
fn partition_reads_keys_from_stdin_and_prints_json_in_input_order() {
    let out = kafka_lab_with_stdin(&["partition", "--partitions", "12", "--json"], "key1\nkey0\n");
    assert_eq!(out.status.code(), Some(0));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        rows,
        serde_json::json!([
            {"key": "key1", "murmur2": 28543940, "partition": 8},
            {"key": "key0", "murmur2": 452605474, "partition": 10},
        ])
    );
}

#[test]
fn partition_refuses_fewer_than_one_partition() {
    for bad in ["0", "-3", "three"] {
        let out = kafka_lab(&["partition", "--partitions", bad, "k"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--partitions"), "{bad}");
    }
    let out = kafka_lab(&["partition", "k"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn conformance_runs_every_public_vector() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/public_vectors.json");
    let out = kafka_lab(&["conformance", path]);
    let text = String::from_utf8_lossy(&out.stdout);
    // The rule-only case (log size_roll) is listed as skipped; nothing fails.
    assert!(text.lines().last().is_some_and(|l| l.contains(" passed, 0 failed")), "{text}");
    assert!(text.contains("skip  log[0] size_roll"), "{text}");
    let bad = kafka_lab_with_stdin(&["conformance", "-"], "{not json");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn explore_reports_runs_violations_by_kind_and_refuses_an_unknown_profile() {
    let out = kafka_lab(&["explore", "--seeds", "2", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["runs"], 2);
    assert_eq!(report["violations"], 0);
    assert!(report["by_kind"].is_object());
    let bad = kafka_lab(&["explore", "--seeds", "2", "--profile", "reckless"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--profile"));
}

#[test]
fn a_flag_given_twice_is_refused_by_name_in_every_command() {
    // A course author's CI script that says `--preset a ... --preset b` must not quietly run b.
    let cases: [&[&str]; 7] = [
        &["partition", "--partitions", "3", "-n", "4", "k"],
        &["run", "--preset", "leader-failover", "--preset", "acks-0-1-all"],
        &["run", "--preset", "leader-failover", "--until-ms", "10", "--until-ms", "20"],
        &["link", "--preset", "leader-failover", "--at-ms", "1", "--at-ms", "2"],
        &["explore", "--seeds", "1", "--seeds", "2"],
        &["bench", "--seconds", "1", "--seconds", "2"],
        &["place", "--partitions", "3", "--partitions", "4", "--replication-factor", "1", "--brokers", "0,1"],
    ];
    for args in cases {
        let out = kafka_lab(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("was given twice"), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?} ran anyway");
    }
}

#[test]
fn out_of_range_numbers_name_the_range_they_missed() {
    // Too large is not "at least 1 partition", and a 20-digit number is still a whole number.
    let out = kafka_lab(&["partition", "--partitions", "99999999999", "k"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 2147483647"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = kafka_lab(&["explore", "--seeds", "99999999999999999999"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("from 1 to 1000000"), "{}", String::from_utf8_lossy(&out.stderr));
    // A link's moment is checked as a flag, not reported later as the run's duration.
    let out = kafka_lab(&["link", "--preset", "leader-failover", "--at-ms", "99999999999999"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--at-ms: '99999999999999' is not a moment from 0 to 3600000 ms"), "{}", String::from_utf8_lossy(&out.stderr));
    // The last seed of a sweep must exist: u64::MAX + 1 would wrap or run fewer seeds than it says.
    let out = kafka_lab(&["explore", "--seeds", "2", "--start-seed", "18446744073709551615"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("goes past the last seed"));
    let out = kafka_lab(&["explore", "--seeds", "1", "--start-seed", "18446744073709551615", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
