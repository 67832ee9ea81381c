//! `kafka-lab run`, `check`, `link` and `presets` as a course author's CI calls them.
#![cfg(not(target_arch = "wasm32"))]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kafka_lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-lab")).args(args).output().expect("the kafka-lab binary runs")
}

fn kafka_lab_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kafka-lab"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the kafka-lab binary runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn trace_hash(run_output: &Output) -> String {
    let json: serde_json::Value = serde_json::from_slice(&run_output.stdout).expect("run --json prints JSON");
    json["trace_hash"].as_str().unwrap().to_string()
}

/// Writes a scratch file under cargo's per-target temp folder, so test runs leave nothing in /tmp
/// (file names are unique per test, and one folder serves every run).
fn scratch(name: &str, contents: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("scenario-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn presets_lists_the_lesson_ids_one_per_line() {
    let out = kafka_lab(&["presets"]);
    assert_eq!(out.status.code(), Some(0));
    let ids: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert!(ids.contains(&"leader-failover".to_string()), "{ids:?}");
    assert!(ids.iter().all(|id| !id.contains(' ')));
}

#[test]
fn every_preset_passes_run() {
    for id in text(&kafka_lab(&["presets"]).stdout).lines() {
        let out = kafka_lab(&["run", "--preset", id, "--json"]);
        assert_eq!(out.status.code(), Some(0), "{id}: {}{}", text(&out.stdout), text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["checkpoints"]["failed"], 0, "{id}");
        assert!(json["checkpoints"]["passed"].as_u64().unwrap() >= 1, "{id} has a checkpoint that the engine verifies");
        // Only the lessons that lose data on purpose break a guarantee; a run reports it, and still
        // passes: their checkpoints ask about the loss.
        let violations = json["violations"].as_array().unwrap();
        let loses_on_purpose = ["acks1-data-loss", "unclean-election"].contains(&id);
        assert_eq!(!violations.is_empty(), loses_on_purpose, "{id}: {violations:?}");
        assert_eq!(json["trace_hash"].as_str().unwrap().len(), 16);
    }
}

#[test]
fn run_with_events_and_json_prints_one_json_document() {
    // A course author's CI pipes --json into a JSON reader; --events used to print lines before it.
    let out = kafka_lab(&["run", "--preset", "key-hash-ordering", "--json", "--events"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let events = json["events"].as_array().expect("the events are a list in the report");
    assert!(!events.is_empty() && events.iter().all(|e| e["at_ms"].is_u64() && e["event"].is_string()));
}

#[test]
fn run_reports_the_records_acks_1_lost_when_the_leader_died() {
    // acks1-data-loss: the leader acknowledged records its followers never fetched, then died.
    let out = kafka_lab(&["run", "--preset", "acks1-data-loss"]);
    assert_eq!(out.status.code(), Some(0), "violations are reported, not failed");
    let stdout = text(&out.stdout);
    let lost: Vec<&str> = stdout.lines().filter(|l| l.starts_with("violation ")).collect();
    assert!(!lost.is_empty() && lost.iter().all(|l| l.contains("acked_record_lost") && l.contains("of clicks-0")), "{stdout}");
    assert!(!stdout.contains("violations   none"), "{stdout}");
}

#[test]
fn a_failing_checkpoint_exits_1_and_says_what_it_got() {
    let preset = text(&kafka_lab(&["link", "--preset", "leader-failover"]).stdout);
    let decoded = kafka_lab(&["link", "--decode", preset.trim()]);
    let wrong = text(&decoded.stdout).replacen("expect = 2", "expect = 3", 1);
    let file = scratch("wrong.toml", &wrong);
    let out = kafka_lab(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("FAIL"), "{}", text(&out.stdout));
}

#[test]
fn a_file_becomes_a_link_and_the_decoded_file_runs_to_the_same_trace_hash() {
    let original = text(&kafka_lab(&["link", "--decode", "#preset=key-hash-ordering"]).stdout);
    let file = scratch("original.toml", &original);
    let link = kafka_lab(&["link", file.to_str().unwrap(), "--base", "https://lab.example/"]);
    assert_eq!(link.status.code(), Some(0), "{}", text(&link.stderr));
    let url = text(&link.stdout).trim().to_string();
    assert!(url.starts_with("https://lab.example/#v1."), "{url}");
    let decoded = kafka_lab(&["link", "--decode", &url]);
    assert_eq!(decoded.status.code(), Some(0), "{}", text(&decoded.stderr));
    let copy = scratch("decoded.toml", &text(&decoded.stdout));
    let a = kafka_lab(&["run", file.to_str().unwrap(), "--json"]);
    let b = kafka_lab(&["run", copy.to_str().unwrap(), "--json"]);
    let c = kafka_lab(&["run", "--preset", "key-hash-ordering", "--json"]);
    assert_eq!(trace_hash(&a), trace_hash(&b));
    assert_eq!(trace_hash(&a), trace_hash(&c));
    // And as JSON, read back from standard input.
    let json = kafka_lab(&["link", "--decode", &url, "--json"]);
    let d = kafka_lab_stdin(&["run", "-", "--json"], &text(&json.stdout));
    assert_eq!(trace_hash(&a), trace_hash(&d));
}

#[test]
fn a_base_without_its_final_slash_is_refused_because_the_page_would_not_find_its_files() {
    let out = kafka_lab(&["link", "--preset", "leader-failover", "--base", "http://h/courses/kafka"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--base: 'http://h/courses/kafka' does not end with '/'"), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Use 'http://h/courses/kafka/'"), "{}", text(&out.stderr));
    for fine in ["http://h/courses/kafka/", "http://h/courses/kafka/index.html", "http://127.0.0.1:8080"] {
        let out = kafka_lab(&["link", "--preset", "leader-failover", "--base", fine]);
        assert_eq!(out.status.code(), Some(0), "{fine}: {}", text(&out.stderr));
        assert!(text(&out.stdout).starts_with(&format!("{fine}#")), "{fine}: {}", text(&out.stdout));
    }
}

#[test]
fn the_labs_own_runs_link_as_the_page_names_them() {
    // `stress` once named a lesson file in links and the lab's own run in `#preset=stress`.
    let out = kafka_lab(&["link", "--preset", "stress", "--at-ms", "20000", "--base", "https://lab.example/"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "https://lab.example/?at=20000#preset=stress");
    let out = kafka_lab(&["link", "--preset", "demo", "--base", "https://lab.example/?embed=1"]);
    assert_eq!(text(&out.stdout).trim(), "https://lab.example/?embed=1#preset=demo");
}

#[test]
fn a_preset_link_is_short_and_carries_the_moment() {
    let out = kafka_lab(&["link", "--preset", "leader-failover", "--at-ms", "14000"]);
    let url = text(&out.stdout).trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:8080/#v1."), "{url}");
    assert!(url.len() < 200, "{} characters: {url}", url.len());
    let decoded = text(&kafka_lab(&["link", "--decode", &url]).stdout);
    assert!(decoded.contains("--until-ms 14000"), "{decoded}");
}

#[test]
fn hostile_links_exit_2_with_the_problem_on_stderr() {
    for link in ["#v1.%%%%", "#v9.abc", "#preset=nope", "#v1.eJzLSM3JyVcozy_KSQEAGgQEXQ", "not a link at all", &format!("#v1.{}", "A".repeat(70_000))] {
        let out = kafka_lab(&["link", "--decode", link]);
        assert_eq!(out.status.code(), Some(2), "{link}");
        assert!(out.stdout.is_empty(), "{link}");
        let err = text(&out.stderr);
        assert!(err.starts_with("kafka-lab: "), "{link}: {err}");
    }
}

/// The command line reads links with the lab's decoder: a moment past the hour is refused by name, and
/// text that never was a link is not called "cut short".
#[test]
fn a_link_past_the_hour_or_garbage_is_refused_saying_what_is_wrong() {
    // {"preset":"leader-failover","seed":1,"at_ms":99999999}
    let out = kafka_lab(&["link", "--decode", "#v1.eNqrViooSi1OLVGyUspJTUxJLdJNS8zMyS9LLVLSUSpOTU1RsjLUUUosic8tVrKyhIJaAPljEUI"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("at_ms: a run lasts at most one hour, so at_ms is a moment from 0 to 3600000 ms (got 99999999)"), "{err}");

    let out = kafka_lab(&["link", "--decode", "#v1.garbage"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("is not a run compressed by kafka-lab") && !err.contains("cut short"), "{err}");
}

#[test]
fn a_lesson_link_from_before_the_lesson_changed_is_opened_with_a_warning() {
    // {"preset":"leader-failover","seed":1,"lesson":1}: made when the lesson's run had another fingerprint.
    let out = kafka_lab(&["link", "--decode", "#v1.eNqrViooSi1OLVGyUspJTUxJLdJNS8zMyS9LLVLSUSpOTU1RsjLUAUoVF-fnAZm1AJhuECs"]);
    assert_eq!(out.status.code(), Some(0), "the run is still written out");
    let err = text(&out.stderr);
    assert!(err.contains("warning: This link was made from an earlier version of the lesson 'leader-failover'"), "{err}");
    assert!(text(&out.stdout).contains("id = \"leader-failover\""));
}

#[test]
fn check_lists_several_problems_at_once() {
    let good = text(&kafka_lab(&["link", "--decode", "#preset=topic-partitions-offsets"]).stdout);
    let file = scratch("good.toml", &good);
    let ok = kafka_lab(&["check", file.to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).ends_with(" steps, 4 checkpoints)\n"), "{}", text(&ok.stdout));
    let bad = good
        .replacen("producer = \"shop\"", "producer = \"shoop\"", 1)
        .replacen("kind = \"log_end_offset\"\npartition = 0\ntopic = \"orders\"", "kind = \"log_end_offset\"\npartition = 7\ntopic = \"orders\"", 1)
        .replacen("expect = 1", "expect = [1]", 1);
    let file = scratch("bad.toml", &bad);
    let out = kafka_lab(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines.len() >= 3, "{err}");
    assert!(lines.iter().any(|l| l.starts_with("actions[0]: ") && l.contains("no producer named 'shoop'")), "{err}");
    assert!(lines.iter().any(|l| l.starts_with("steps[1].checkpoint.probe.partition: topic 'orders' has partitions 0 to 2")), "{err}");
    assert!(lines.iter().any(|l| l.starts_with("steps[1].checkpoint.expect: ")), "{err}");
}

#[test]
fn check_counts_one_step_and_one_checkpoint_in_the_singular() {
    let one = "version = 1\nid = \"one\"\ntitle = \"One\"\nsection = \"Storage\"\nseed = 1\nduration_ms = 1000\n[cluster]\n\
        [[cluster.topics]]\nname = \"t\"\n[[steps]]\nat_ms = 0\ntext = \"Hello.\"\n[steps.checkpoint]\nquestion = \"How many partitions?\"\n\
        probe = { kind = \"partition_count\", topic = \"t\" }\nexpect = 1\n";
    let out = kafka_lab_stdin(&["check", "-"], one);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "-: valid (one, 1 step, 1 checkpoint)\n");
}

#[test]
fn check_refuses_a_producer_rate_above_a_workloads_limit_that_would_exhaust_memory() {
    // A rate of four billion records a second passed `check`, and `run` then ran out of memory.
    let good = text(&kafka_lab(&["link", "--decode", "#preset=topic-partitions-offsets"]).stdout);
    let action = |rate: u64| format!("[[actions]]\naction = \"set_producer_rate\"\nat_ms = 1000\nproducer = \"shop\"\nrate_per_sec = {rate}\n\n[[actions]]\n");
    let too_fast = scratch("too-fast.toml", &good.replacen("[[actions]]\n", &action(4_000_000_000), 1));
    for command in ["check", "run"] {
        let out = kafka_lab(&[command, too_fast.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{command}");
        let err = text(&out.stderr);
        assert!(err.contains("actions[0]: the engine refuses this action: rate_per_sec 4000000000 is too high: at most 1000000 records per second"), "{command}: {err}");
    }
    let fastest = scratch("fastest.toml", &good.replacen("[[actions]]\n", &action(1_000_000), 1));
    let out = kafka_lab(&["check", fastest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn a_producer_at_the_largest_rate_runs_a_minute_quickly_instead_of_running_out_of_memory() {
    // The largest rate a workload may have, for the hour a run may last, into a network that carries a
    // few thousand records a second. The application used to keep every record the producer could
    // not take yet: this minute took 3.3 GB, and with the default network `run` aborted (memory
    // allocation failed). Now its send() blocks while buffer.memory is full: 60 MB, a fraction of a
    // second with an optimised build.
    let scenario = r#"
version = 1
id = "fastest-producer"
title = "A producer at a million records a second"
section = "Architecture"
summary = "Faster than the network: send() blocks."
seed = 1
duration_ms = 3600000

[cluster]
brokers = [{ id = 1 }, { id = 2 }, { id = 3 }]
network = { bandwidth_bytes_per_ms = 200 }

[[cluster.topics]]
name = "orders"
partitions = 3
replication_factor = 1

[[cluster.producers]]
name = "shop"
topic = "orders"
workload = { rate_per_sec = 1000000 }

[[steps]]
at_ms = 0
text = "A million records a second."
"#;
    let file = scratch("fastest-producer.toml", scenario);
    assert_eq!(kafka_lab(&["check", file.to_str().unwrap()]).status.code(), Some(0));
    let started = std::time::Instant::now();
    let out = kafka_lab(&["run", file.to_str().unwrap(), "--until-ms", "60000", "--json"]);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let metrics = &json["metrics"];
    assert!(metrics["records_acked"].as_u64().unwrap() > 50_000, "{metrics}");
    assert_eq!(metrics["records_failed"], 0, "no send() blocked as long as max.block.ms: {metrics}");
    assert!(took < std::time::Duration::from_secs(60), "a simulated minute took {took:?}");
}

#[test]
fn bad_input_exits_2() {
    assert_eq!(kafka_lab(&["run"]).status.code(), Some(2));
    assert_eq!(kafka_lab(&["run", "--preset", "no-such-lesson"]).status.code(), Some(2));
    assert_eq!(kafka_lab(&["run", "/no/such/file.toml"]).status.code(), Some(2));
    assert_eq!(kafka_lab(&["check"]).status.code(), Some(2));
    let out = kafka_lab_stdin(&["run", "-"], "version = 1\nid = \"x\"\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("title: missing"), "{}", text(&out.stderr));
}
