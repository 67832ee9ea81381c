//! The scenario format as a course author meets it: every problem named with its path and rule, old
//! versions still opening, and a file that survives being written back out.

use kafka_lab::scenario::{FORMAT_VERSION, library, parse_scenario, run_scenario, to_json, to_toml};

const GOOD: &str = r#"
version = 1
id = "two-brokers"
title = "Two brokers"
section = "Replication"
seed = 4
duration_ms = 3000

[cluster]
brokers = [{ id = 1 }, { id = 2 }]
broker_config = { "min.insync.replicas" = 1 }
[[cluster.topics]]
name = "orders"
partitions = 2
replication_factor = 2

[[cluster.producers]]
name = "p"
topic = "orders"

[[actions]]
at_ms = 1000
action = "produce"
producer = "p"
key = "k"
value = "v"

[[steps]]
at_ms = 2000
text = "One record."
[steps.checkpoint]
question = "How many records has p had acknowledged?"
probe = { kind = "records_acked", producer = "p" }
expect = 1
choices = [0, 1]
"#;

#[test]
fn a_good_scenario_parses_and_its_checkpoint_passes() {
    let scenario = parse_scenario(GOOD).unwrap();
    assert_eq!(scenario.version, FORMAT_VERSION);
    let report = run_scenario(&scenario, None).unwrap();
    assert_eq!((report.checkpoints.passed, report.checkpoints.failed), (1, 0), "{report:?}");
}

#[test]
fn every_problem_is_reported_at_once_with_its_path_and_rule() {
    let bad = GOOD
        .replace("replication_factor = 2", "replication_factor = 4")
        .replace(r#"probe = { kind = "records_acked", producer = "p" }"#, r#"probe = { kind = "log_end_offset", topic = "order", partition = 0 }"#)
        .replace("at_ms = 1000\naction = \"produce\"\nproducer = \"p\"", "at_ms = 9000\naction = \"produce\"\nproducer = \"q\"")
        .replace("duration_ms = 3000", "duration_ms = 3000\ncolour = \"blue\"");
    let problems = parse_scenario(&bad).unwrap_err();
    let text = problems.to_string();
    assert!(text.contains("colour: unknown field"), "{text}");
    // Shape problems come first; the rule checks follow once the shape is right.
    let bad = bad.replace("colour = \"blue\"\n", "");
    let problems = parse_scenario(&bad).unwrap_err();
    let text = problems.to_string();
    assert!(text.contains("cluster.topics[0].replication_factor: 4 exceeds the 2 brokers"), "{text}");
    assert!(text.contains("actions[0].at_ms: 9000 is after the run ends"), "{text}");
    assert_eq!(problems.len(), 2, "the cluster is broken, so actions and probes are not checked against it: {text}");
    let bad = bad.replace("replication_factor = 4", "replication_factor = 2");
    let text = parse_scenario(&bad).unwrap_err().to_string();
    assert!(text.contains("actions[0]: the engine refuses this action: no producer named 'q'"), "{text}");
    assert!(text.contains("steps[0].checkpoint.probe.topic: no topic named 'order' (did you mean 'orders'?)"), "{text}");
}

#[test]
fn unknown_fields_deep_inside_are_named_with_their_path() {
    let bad = GOOD.replace("name = \"orders\"\npartitions = 2", "name = \"orders\"\npartitons = 2").replace("text = \"One record.\"", "txt = \"One record.\"");
    let text = parse_scenario(&bad).unwrap_err().to_string();
    assert!(text.contains("cluster.topics[0].partitons: unknown field 'partitons'"), "{text}");
    assert!(text.contains("steps[0]"), "{text}");
}

#[test]
fn kafka_config_problems_keep_kafkas_spelling_in_the_path() {
    let bad = GOOD.replace(r#""min.insync.replicas" = 1"#, r#""min.insync.replicas" = 0"#);
    let text = parse_scenario(&bad).unwrap_err().to_string();
    assert!(text.contains("cluster.broker_config.\"min.insync.replicas\""), "{text}");
}

#[test]
fn checkpoint_expectations_must_fit_their_probe() {
    let bad = GOOD.replace("expect = 1\nchoices = [0, 1]", "expect = \"one\"\nchoices = [0, 2]");
    let text = parse_scenario(&bad).unwrap_err().to_string();
    assert!(text.contains("steps[0].checkpoint.expect: this probe answers with a whole number"), "{text}");
    assert!(text.contains("steps[0].checkpoint.choices: the expected answer \"one\" is not among the choices"), "{text}");
}

#[test]
fn a_value_of_the_wrong_kind_is_named_at_its_own_key_with_what_fits_there() {
    // A config value or an expected answer with a fraction (or of the wrong kind inside a list) is
    // named at the value itself, saying what the field takes.
    let bad = GOOD.replace(r#""min.insync.replicas" = 1"#, r#""min.insync.replicas" = 1.5"#);
    let text = parse_scenario(&bad).unwrap_err().to_string();
    assert!(
        text.contains("cluster.broker_config.\"min.insync.replicas\": expected a boolean, a whole number, a string or a list of strings, not a number with a fraction or an exponent"),
        "{text}"
    );
    let bad = GOOD.replace("expect = 1\n", "expect = 0.5\n");
    let text = parse_scenario(&bad).unwrap_err().to_string();
    assert!(text.contains("steps[0].checkpoint.expect: expected a boolean, a whole number, a string or a list of them, not a number with a fraction"), "{text}");
    let bad = GOOD.replace("choices = [0, 1]", "choices = [0, 1.5]");
    let text = parse_scenario(&bad).unwrap_err().to_string();
    assert!(text.contains("steps[0].checkpoint.choices[1]: expected a boolean, a whole number, a string or a list of them, not a number with a fraction"), "{text}");
}

#[test]
fn syntax_errors_name_line_and_column() {
    let text = parse_scenario("version = 1\nid = \n").unwrap_err().to_string();
    assert!(text.starts_with("line 2, column"), "{text}");
    let text = parse_scenario("{\"version\": 1,\n\"id\": }").unwrap_err().to_string();
    assert!(text.starts_with("line 2, column"), "{text}");
}

#[test]
fn json_is_accepted_and_every_preset_round_trips_through_toml_and_json() {
    for id in library::preset_ids() {
        let scenario = library::preset(id).unwrap();
        let toml = to_toml(&scenario).unwrap();
        assert_eq!(parse_scenario(&toml).unwrap(), scenario, "{id} through TOML");
        assert_eq!(parse_scenario(&to_json(&scenario)).unwrap(), scenario, "{id} through JSON");
    }
}

#[test]
fn a_version_0_draft_opens_as_the_same_run() {
    let draft = GOOD
        .replace("version = 1", "version = 0")
        .replace("id = \"two-brokers\"", "name = \"two-brokers\"")
        .replace("duration_ms = 3000", "length_ms = 3000")
        .replace("[[steps]]", "[[narration]]")
        .replace("text = \"One record.\"", "say = \"One record.\"")
        .replace("[steps.checkpoint]", "[narration.quiz]")
        .replace("expect = 1\nchoices = [0, 1]", "answer = 1\noptions = [0, 1]");
    let old = parse_scenario(&draft).unwrap();
    let new = parse_scenario(GOOD).unwrap();
    assert_eq!(old, new);
    assert_eq!(run_scenario(&old, None).unwrap().trace_hash, run_scenario(&new, None).unwrap().trace_hash);
}

#[test]
fn a_newer_version_is_refused_by_name() {
    let text = parse_scenario(&GOOD.replace("version = 1", "version = 2")).unwrap_err().to_string();
    assert!(text.contains("version: version 2 is newer than this kafka-lab reads"), "{text}");
}

#[test]
fn a_mistake_inside_a_probe_a_workload_pattern_or_an_action_is_named_at_its_own_field() {
    // These values are read after their table ends; the mistake was once named at whatever key came
    // next (`steps[0].checkpoint.question`, `…workload.rate_per_sec`), sending the author to the wrong line.
    let probe = r#"probe = { kind = "records_acked", producer = "p" }"#;
    let problem = |from: &str, to: &str| {
        assert!(GOOD.contains(from), "{from}");
        parse_scenario(&GOOD.replace(from, to)).unwrap_err().to_string()
    };
    let leader = |fields: &str| problem(probe, &format!(r#"probe = {{ kind = "leader", {fields} }}"#));
    assert_eq!(leader(r#"topic = "orders", partition = 0, broker = 1"#), "steps[0].checkpoint.probe.broker: unknown field 'broker', expected 'topic' or 'partition'");
    assert_eq!(leader(r#"topic = "orders""#), "steps[0].checkpoint.probe.partition: missing field 'partition'");
    assert_eq!(leader(r#"topic = "orders", partition = "zero""#), "steps[0].checkpoint.probe.partition: expected a whole number from 0 to 4294967295, not \"zero\"");

    let workload = |fields: &str| problem("topic = \"orders\"\n\n[[actions]]", &format!("topic = \"orders\"\nworkload = {{ {fields} }}\n\n[[actions]]"));
    assert_eq!(workload(r#"keys = { kind = "cycle", prefix = "k" }"#), "cluster.producers[0].workload.keys.count: missing field 'count'");
    assert_eq!(workload(r#"values = { kind = "bytes", size = "big" }"#), "cluster.producers[0].workload.values.size: expected a whole number from 0 to 4294967295, not \"big\"");

    let action = |fields: &str| problem("action = \"produce\"\nproducer = \"p\"\nkey = \"k\"\nvalue = \"v\"", fields);
    assert_eq!(action("action = \"kill_broker\"\nbroker = \"one\""), "actions[0].broker: expected a whole number from 0 to 4294967295, not \"one\"");
    assert_eq!(action("action = \"kill_broker\"\nbroker = 1\nzzz = 2"), "actions[0].zzz: unknown field 'zzz', expected 'broker' or 'lose_page_cache'");
    assert_eq!(
        action("action = \"add_producer\"\nspec = { name = \"q\", topic = \"orders\", workload = { keys = { kind = \"cycle\", prefix = \"k\" } } }"),
        "actions[0].spec.workload.keys.count: missing field 'count'"
    );
}

#[test]
fn a_number_of_the_wrong_kind_is_said_in_plain_words_not_rusts() {
    // Rust's names (u32, u64, "floating point") mean nothing to a course author.
    let text = parse_scenario(&GOOD.replace("seed = 4", "seed = -2")).unwrap_err().to_string();
    assert_eq!(text, "seed: expected a whole number from 0 to 9223372036854775807, not -2");
    let text = parse_scenario(&GOOD.replace("partitions = 2", "partitions = 1e23")).unwrap_err().to_string();
    assert_eq!(text, "cluster.topics[0].partitions: expected a whole number from 0 to 4294967295, not 1e+23");
    let text = parse_scenario(&GOOD.replace("key = \"k\"\n", "key = \"k\"\ncount = -1\n")).unwrap_err().to_string();
    assert_eq!(text, "actions[0].count: expected a whole number from 0 to 4294967295, not -1");
}

#[test]
fn names_too_long_to_draw_and_links_slower_than_a_minute_are_refused_with_the_limit() {
    // A 300-character consumer name pushed the consumer table's columns off the screen; a link of
    // 99999999999999 ms read as a cluster that merely went quiet.
    let long = "c".repeat(65);
    let text = parse_scenario(&GOOD.replace("name = \"p\"", &format!("name = \"{long}\""))).unwrap_err().to_string();
    assert!(text.contains("cluster.producers[0].name: a producer name is at most 64 characters, so the lab can draw it (this one has 65)"), "{text}");
    let with_consumer = |fields: &str| {
        GOOD.replace("\"min.insync.replicas\" = 1", "\"min.insync.replicas\" = 1, \"offsets.topic.replication.factor\" = 2")
            .replace("[[actions]]", &format!("[[cluster.consumers]]\n{fields}\n\n[[actions]]"))
    };
    let fits = parse_scenario(&with_consumer(&format!("name = \"{}\"\ngroup = \"g\"\ntopics = [\"orders\"]", "é".repeat(64))));
    assert!(fits.is_ok(), "64 characters fit, counted as characters, not bytes: {fits:?}");
    let text = parse_scenario(&with_consumer("name = \"c\"\ngroup = \"\"\ntopics = [\"orders\"]")).unwrap_err().to_string();
    assert!(text.contains("cluster.consumers[0].group: a group needs a name"), "{text}");
    let text = parse_scenario(&GOOD.replace("[cluster]", "[cluster]\nnetwork = { latency_ms = 99999999999999 }")).unwrap_err().to_string();
    assert!(text.contains("cluster.network.latency_ms: must be from 1 to 60000 ms"), "{text}");
}

/// A group of two consumers on a 2-partition topic; at 2 s the topic grows to 4 partitions, a third
/// broker and a third consumer join. `{probe}` and `{expect}` are one checkpoint's.
const GROWING: &str = r#"
version = 1
id = "growing"
title = "Growing"
section = "Consumer groups"
seed = 4
duration_ms = 5000

[cluster]
brokers = [{ id = 1 }, { id = 2 }]
broker_config = { "offsets.topic.replication.factor" = 2 }
[[cluster.topics]]
name = "orders"
partitions = 2
replication_factor = 2
[[cluster.producers]]
name = "p"
topic = "orders"
[[cluster.consumers]]
name = "c1"
group = "billing"
topics = ["orders"]
[[cluster.consumers]]
name = "c2"
group = "billing"
topics = ["orders"]
[[cluster.consumers]]
name = "audit"
group = "audit"
topics = ["orders"]

[[actions]]
at_ms = 2000
action = "add_partitions"
topic = "orders"
total = 4
[[actions]]
at_ms = 2000
action = "add_broker"
id = 3
[[actions]]
at_ms = 2000
action = "add_consumer"
spec = { name = "c3", group = "billing", topics = ["orders"] }

[[steps]]
at_ms = 4000
text = "Later."
[steps.checkpoint]
question = "What now?"
probe = {probe}
expect = {expect}
"#;

/// `check`'s answer for one checkpoint of [`GROWING`]: "ok", or its problems.
fn expecting(probe: &str, expect: &str) -> String {
    match parse_scenario(&GROWING.replace("{probe}", probe).replace("{expect}", expect)) {
        Ok(_) => "ok".to_string(),
        Err(problems) => problems.to_string(),
    }
}

#[test]
fn an_expected_answer_the_probe_can_never_give_is_refused_before_the_run() {
    let state = r#"{ kind = "group_state", group = "billing" }"#;
    assert_eq!(expecting(state, r#""Stable""#), "ok");
    assert_eq!(
        expecting(state, r#""stable""#),
        "steps[0].checkpoint.expect: a group's state is one of Empty, PreparingRebalance, CompletingRebalance, Stable; never 'stable' (did you mean 'Stable'?)"
    );
    assert!(expecting(state, r#""Dead""#).starts_with("steps[0].checkpoint.expect: a group's state is one of"), "this lab's groups are never Dead");

    let last_error = r#"{ kind = "last_produce_error", producer = "p" }"#;
    assert_eq!(expecting(last_error, r#""none""#), "ok");
    assert_eq!(expecting(last_error, r#""NOT_ENOUGH_REPLICAS""#), "ok");
    assert_eq!(
        expecting(last_error, r#""NOT_ENOUGH_REPLICA""#),
        "steps[0].checkpoint.expect: 'NOT_ENOUGH_REPLICA' is not a Kafka error a producer reports, nor 'none' (did you mean 'NOT_ENOUGH_REPLICAS'?)"
    );

    let leader = r#"{ kind = "leader", topic = "orders", partition = 0 }"#;
    assert_eq!(expecting(leader, "-1"), "ok");
    assert_eq!(expecting(leader, "3"), "ok", "broker 3 joins at 2 s");
    assert_eq!(expecting(leader, "4"), "steps[0].checkpoint.expect: no broker 4: the brokers are 1, 2, 3, or -1 for no leader");
    assert_eq!(
        expecting(r#"{ kind = "isr", topic = "orders", partition = 0 }"#, "[2, 1, 7]"),
        "steps[0].checkpoint.expect: the ISR lists each broker once, lowest id first: [1, 2, 7]\nsteps[0].checkpoint.expect[2]: no broker 7: the brokers are 1, 2, 3"
    );

    let owns = r#"{ kind = "consumer_assignment", consumer = "c1" }"#;
    assert_eq!(expecting(owns, r#"["orders-0", "orders-3"]"#), "ok", "orders-3 comes with the partitions added at 2 s");
    assert_eq!(expecting(owns, r#"["orders-4"]"#), "steps[0].checkpoint.expect[0]: topic 'orders' never has partitions other than 0 to 3 in this run");
    assert_eq!(expecting(owns, r#"["order-1"]"#), "steps[0].checkpoint.expect[0]: no topic named 'order' (did you mean 'orders'?)");
    assert!(expecting(owns, r#"["orders"]"#).starts_with("steps[0].checkpoint.expect[0]: 'orders' names no partition"));
    assert_eq!(expecting(r#"{ kind = "partition_of_key", topic = "orders", key = "k" }"#, "3"), "ok");
    assert_eq!(expecting(r#"{ kind = "partition_of_key", topic = "orders", key = "k" }"#, "4"), "steps[0].checkpoint.expect: topic 'orders' never has partitions other than 0 to 3 in this run");

    let members = r#"{ kind = "group_members", group = "billing" }"#;
    assert_eq!(expecting(members, r#"["c1", "c2", "c3"]"#), "ok", "c3 is added by an action");
    assert_eq!(expecting(members, r#"["c1", "c4"]"#), "steps[0].checkpoint.expect[1]: no consumer named 'c4' (did you mean 'c1'?)");
    assert_eq!(expecting(members, r#"["audit", "c1"]"#), "steps[0].checkpoint.expect[0]: consumer 'audit' is in group 'audit', never in 'billing'");
    assert_eq!(expecting(members, r#"["c2", "c1"]"#), "steps[0].checkpoint.expect: the members are listed each once, by name in sorted order: [\"c1\", \"c2\"]");

    assert_eq!(expecting(r#"{ kind = "records_acked", producer = "p" }"#, "-1"), "steps[0].checkpoint.expect: this probe never answers with a negative number");
    assert_eq!(expecting(r#"{ kind = "committed_offset", group = "billing", topic = "orders", partition = 0 }"#, "-1"), "ok");
}
