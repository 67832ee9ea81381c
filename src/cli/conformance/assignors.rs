//! The `assignors` section of a conformance file: every case runs through the engine's assignor and
//! is compared with Kafka's expected result.
//!
//! `compare` says how: `exact_order` compares each member's list as Kafka returns it, `set` ignores
//! the order within a member. Sticky cases may also check `expected_partitions_transferring_ownership`
//! (`{"topic-p": new_owner}`), and cooperative cases `expected_first_round` and `expected_converged`.
//! Server-side cases (`server_range`, `server_uniform`) compare per-topic partition sets.

use crate::sim::sorted::{SortedMap, SortedSet};

use serde_json::Value;

use super::CaseOutcome;
use crate::cli::assign::parse_assignment_input;
use crate::kafka::group::assignor::server_spec::{ServerAssignment, ServerGroupSpec, ServerMember, TopicPartitions};
use crate::kafka::group::assignor::{
    self, Assignment, AssignmentInput, AssignorName, Transfers, cooperative_sticky, server_range, server_uniform,
    sticky,
};
use crate::kafka::ids::TopicPartition;

/// Runs every case under `doc["assignors"]`.
pub fn check(doc: &Value) -> Vec<CaseOutcome> {
    let Some(sections) = doc.get("assignors").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut outcomes = Vec::new();
    for (section, cases) in sections {
        // Keys like `_sorting_rules` hold prose, not cases.
        let Some(cases) = cases.as_array() else { continue };
        for (index, case) in cases.iter().enumerate() {
            let name = case.get("name").and_then(Value::as_str).unwrap_or("(unnamed)");
            let label = format!("assignors.{section}[{index}] {name}");
            outcomes.push(CaseOutcome::of(label, check_case(section, case)));
        }
    }
    outcomes
}

/// How a case compares member lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compare {
    ExactOrder,
    Set,
}

fn check_case(section: &str, case: &Value) -> Result<(), String> {
    match section {
        "range" => check_plain(AssignorName::Range, case),
        "roundrobin" | "round_robin" => check_plain(AssignorName::RoundRobin, case),
        "sticky" => check_sticky(case),
        "cooperative_sticky" | "cooperative-sticky" => check_cooperative(case),
        "server_range" => check_server(case, server_range::assign),
        "server_uniform" => check_server(case, server_uniform::assign),
        other => Err(format!("this engine has no assignor section '{other}'")),
    }
}

fn compare_mode(case: &Value) -> Result<Compare, String> {
    match case.get("compare").and_then(Value::as_str) {
        None | Some("exact_order") => Ok(Compare::ExactOrder),
        Some("set") => Ok(Compare::Set),
        Some(other) => Err(format!("malformed case: compare '{other}' is neither exact_order nor set")),
    }
}

/// The case's group. A topic listed with 0 partitions is how a Kafka test says "in metadata but
/// without partitions", which Kafka skips like a missing topic, so it is dropped before parsing.
fn client_input(case: &Value) -> Result<AssignmentInput, String> {
    let mut case = case.clone();
    if let Some(topics) = case.get_mut("topics").and_then(Value::as_object_mut) {
        topics.retain(|_, count| count.as_u64() != Some(0));
    }
    parse_assignment_input(&case).map_err(|problem| format!("malformed case: {problem}"))
}

fn check_plain(strategy: AssignorName, case: &Value) -> Result<(), String> {
    let input = client_input(case)?;
    let compare = compare_mode(case)?;
    let got = assignor::assign(strategy, &input).map_err(|e| format!("the engine refused the case: {e}"))?;
    let expected = expected_assignment(case, "expected")?.ok_or("malformed case: no \"expected\"")?;
    differences("expected", &expected, &got, compare)
}

fn check_sticky(case: &Value) -> Result<(), String> {
    let input = client_input(case)?;
    let compare = compare_mode(case)?;
    let outcome = sticky::assign(&input).map_err(|e| format!("the engine refused the case: {e}"))?;
    let mut problems = Vec::new();
    if let Some(expected) = expected_assignment(case, "expected")? {
        collect(&mut problems, differences("expected", &expected, &outcome.assignment, compare));
    }
    if let Some(expected) = case.get("expected_partitions_transferring_ownership") {
        // Kafka's general builder leaves the field null; the cooperative assignor then derives the
        // transfers from what members owned, which is what an expected map is compared with.
        let got = outcome
            .partitions_transferring_ownership
            .clone()
            .unwrap_or_else(|| cooperative_sticky::transfers_from_owned_partitions(&input, &outcome.assignment));
        let null_ok = outcome.partitions_transferring_ownership.is_none() || got.is_empty();
        collect(&mut problems, transfer_differences(expected, &got, null_ok));
    }
    verdict(problems)
}

fn check_cooperative(case: &Value) -> Result<(), String> {
    let input = client_input(case)?;
    let compare = compare_mode(case)?;
    let round = cooperative_sticky::assign(&input).map_err(|e| format!("the engine refused the case: {e}"))?;
    let mut problems = Vec::new();
    for key in ["expected", "expected_first_round"] {
        if let Some(expected) = expected_assignment(case, key)? {
            collect(&mut problems, differences(key, &expected, &round.assignment, compare));
        }
    }
    if let Some(expected) = expected_assignment(case, "expected_converged")? {
        let rebalances = cooperative_sticky::assign_until_converged(&input)
            .map_err(|e| format!("the engine refused the case: {e}"))?;
        collect(&mut problems, differences("expected_converged", &expected, &rebalances.converged, compare));
    }
    if let Some(expected) = case.get("expected_partitions_transferring_ownership") {
        collect(&mut problems, transfer_differences(expected, &round.partitions_transferring_ownership, true));
    }
    verdict(problems)
}

fn collect(problems: &mut Vec<String>, result: Result<(), String>) {
    if let Err(problem) = result {
        problems.push(problem);
    }
}

fn verdict(problems: Vec<String>) -> Result<(), String> {
    if problems.is_empty() { Ok(()) } else { Err(problems.join("; ")) }
}

/// Reads `case[key]` as `{member: [[topic, partition], ...]}`, if present.
fn expected_assignment(case: &Value, key: &str) -> Result<Option<Assignment>, String> {
    let Some(value) = case.get(key) else { return Ok(None) };
    let object = value.as_object().ok_or_else(|| format!("malformed case: {key} is not an object of member lists"))?;
    let mut assignment = Assignment::new();
    for (member, list) in object {
        let items = list.as_array().ok_or_else(|| format!("malformed case: {key}.{member} is not a list"))?;
        let partitions = items
            .iter()
            .map(|item| match item.as_array().map(Vec::as_slice) {
                Some([Value::String(topic), number]) => number
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(|n| TopicPartition::new(topic.as_str(), n))
                    .ok_or_else(|| format!("malformed case: {key}.{member} has a bad partition number {number}")),
                _ => Err(format!("malformed case: {key}.{member} holds {item}, not a [topic, partition] pair")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        assignment.insert(member.clone(), partitions);
    }
    Ok(Some(assignment))
}

/// Compares two assignments member by member; a member missing on one side counts as empty.
fn differences(label: &str, expected: &Assignment, got: &Assignment, compare: Compare) -> Result<(), String> {
    let members: SortedSet<&String> = expected.keys().chain(got.keys()).collect();
    let mut problems = Vec::new();
    for member in members {
        let want = expected.get(member).map_or(&[][..], Vec::as_slice);
        let have = got.get(member).map_or(&[][..], Vec::as_slice);
        let same = match compare {
            Compare::ExactOrder => want == have,
            Compare::Set => sorted(want) == sorted(have),
        };
        if !same {
            problems.push(format!("{label} {member}: want [{}], got [{}]", listing(want), listing(have)));
        }
    }
    verdict(problems)
}

fn sorted(list: &[TopicPartition]) -> Vec<TopicPartition> {
    let mut list = list.to_vec();
    list.sort();
    list
}

fn listing(list: &[TopicPartition]) -> String {
    list.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Compares `{"topic-p": new_owner}` with the engine's transfers. `null` expects none tracked.
fn transfer_differences(expected: &Value, got: &Transfers, null_ok: bool) -> Result<(), String> {
    let got: SortedMap<String, String> = got.iter().map(|(p, owner)| (p.to_string(), owner.clone())).collect();
    if expected.is_null() {
        return if null_ok { Ok(()) } else { Err(format!("transfers: want null, got {got:?}")) };
    }
    let object =
        expected.as_object().ok_or("malformed case: expected_partitions_transferring_ownership is not an object")?;
    let want = object
        .iter()
        .map(|(p, owner)| owner.as_str().map(|o| (p.clone(), o.to_string())))
        .collect::<Option<SortedMap<_, _>>>()
        .ok_or("malformed case: expected_partitions_transferring_ownership values must be member ids")?;
    if want == got { Ok(()) } else { Err(format!("transfers: want {want:?}, got {got:?}")) }
}

fn check_server(
    case: &Value,
    assign: fn(&ServerGroupSpec) -> Result<ServerAssignment, assignor::AssignError>,
) -> Result<(), String> {
    let spec = server_spec(case)?;
    let got = assign(&spec).map_err(|e| format!("the engine refused the case: {e}"))?;
    let expected = case.get("expected").and_then(Value::as_object).ok_or("malformed case: no \"expected\" object")?;
    let mut want = ServerAssignment::new();
    for (member, topics) in expected {
        want.insert(member.clone(), topic_partitions(topics, &format!("expected.{member}"))?);
    }
    let members: SortedSet<&String> = want.keys().chain(got.keys()).collect();
    let empty = TopicPartitions::new();
    let problems: Vec<String> = members
        .into_iter()
        .filter_map(|member| {
            let (w, g) =
                (without_empty(want.get(member).unwrap_or(&empty)), without_empty(got.get(member).unwrap_or(&empty)));
            (w != g).then(|| format!("{member}: want {w:?}, got {g:?}"))
        })
        .collect();
    verdict(problems)
}

fn without_empty(partitions: &TopicPartitions) -> TopicPartitions {
    partitions.iter().filter(|(_, set)| !set.is_empty()).map(|(t, set)| (t.clone(), set.clone())).collect()
}

fn server_spec(case: &Value) -> Result<ServerGroupSpec, String> {
    let topics = case
        .get("topics")
        .and_then(Value::as_object)
        .ok_or("malformed case: \"topics\" is not an object")?
        .iter()
        .map(|(t, n)| n.as_u64().and_then(|n| u32::try_from(n).ok()).map(|n| (t.clone(), n)))
        .collect::<Option<SortedMap<_, _>>>()
        .ok_or("malformed case: a partition count is not a non-negative integer")?;
    let members = case
        .get("members")
        .and_then(Value::as_array)
        .ok_or("malformed case: \"members\" is not an array")?
        .iter()
        .enumerate()
        .map(|(i, m)| server_member(m, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ServerGroupSpec {
        topics,
        members,
        member_iteration_order: string_list(case.get("member_iteration_order"), "member_iteration_order")?,
        topic_iteration_order: string_list(case.get("topic_iteration_order"), "topic_iteration_order")?,
    })
}

fn server_member(value: &Value, index: usize) -> Result<ServerMember, String> {
    let at = format!("members[{index}]");
    let member_id = value.get("member_id").and_then(Value::as_str).ok_or(format!("malformed case: {at}.member_id"))?;
    let group_instance_id = match value.get("group_instance_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(format!("malformed case: {at}.group_instance_id")),
    };
    let topics = string_list(value.get("subscription"), &format!("{at}.subscription"))?.unwrap_or_default();
    let current_assignment = match value.get("current_assignment") {
        None | Some(Value::Null) => TopicPartitions::new(),
        Some(v) => topic_partitions(v, &format!("{at}.current_assignment"))?,
    };
    Ok(ServerMember { member_id: member_id.to_string(), group_instance_id, topics, current_assignment })
}

fn topic_partitions(value: &Value, at: &str) -> Result<TopicPartitions, String> {
    let object = value.as_object().ok_or(format!("malformed case: {at} is not an object of topic to partitions"))?;
    object
        .iter()
        .map(|(topic, ids)| {
            ids.as_array()
                .and_then(|ids| {
                    ids.iter().map(|p| p.as_u64().and_then(|n| u32::try_from(n).ok())).collect::<Option<SortedSet<_>>>()
                })
                .map(|set| (topic.clone(), set))
                .ok_or(format!("malformed case: {at}.{topic} is not a list of partition numbers"))
        })
        .collect()
}

fn string_list(value: Option<&Value>, at: &str) -> Result<Option<Vec<String>>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Some)
            .ok_or(format!("malformed case: {at} must be a list of strings")),
        Some(_) => Err(format!("malformed case: {at} must be a list of strings")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn public_vectors() -> Value {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/public_vectors.json");
        let text = std::fs::read_to_string(path).expect("the public vectors ship with the repository");
        serde_json::from_str(&text).expect("the public vectors are JSON")
    }

    #[test]
    fn every_public_assignor_vector_passes() {
        let outcomes = check(&public_vectors());
        let failures: Vec<String> =
            outcomes.iter().filter(|o| !o.passed).map(|o| format!("{}: {}", o.case, o.detail)).collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        assert_eq!(outcomes.len(), 18, "range 5, roundrobin 4, sticky 7, cooperative 2");
        assert!(outcomes.iter().any(|o| o.case == "assignors.range[0] one_consumer_one_topic"));
    }

    #[test]
    fn a_wrong_expectation_fails_with_the_difference() {
        let doc = json!({"assignors": {"roundrobin": [{
            "name": "swapped", "topics": {"t": 2}, "compare": "exact_order",
            "members": [{"member_id": "a", "subscription": ["t"]}, {"member_id": "b", "subscription": ["t"]}],
            "expected": {"a": [["t", 1]], "b": [["t", 0]]}
        }]}});
        let outcomes = check(&doc);
        assert!(!outcomes[0].passed);
        assert!(outcomes[0].detail.contains("expected a: want [t-1], got [t-0]"), "{}", outcomes[0].detail);
    }

    #[test]
    fn a_topic_with_zero_partitions_counts_as_missing() {
        // AbstractStickyAssignorTest#testOneConsumerNonexistentTopic puts the topic in metadata with
        // an empty partition list.
        let doc = json!({"assignors": {"sticky": [{
            "name": "one_consumer_nonexistent_topic", "topics": {"topic": 0}, "compare": "exact_order",
            "members": [{"member_id": "consumer", "subscription": ["topic"]}],
            "expected": {"consumer": []}, "expected_partitions_transferring_ownership": {}
        }]}});
        assert!(check(&doc)[0].passed, "{:?}", check(&doc));
    }

    #[test]
    fn set_comparison_ignores_order_within_a_member() {
        let doc = json!({"assignors": {"range": [{
            "name": "reordered", "topics": {"t": 2}, "compare": "set",
            "members": [{"member_id": "a", "subscription": ["t"]}],
            "expected": {"a": [["t", 1], ["t", 0]]}
        }]}});
        assert!(check(&doc)[0].passed);
    }

    #[test]
    fn malformed_cases_fail_without_panicking() {
        let doc = json!({"assignors": {
            "_sorting_rules": {"note": "prose"},
            "sticky": [{"name": "no members", "topics": {"t": 1}}, 7, {"topics": {"t": -1}, "members": []}],
            "frobnicate": [{"name": "unknown"}],
            "server_range": [{"name": "bad", "topics": [], "members": []}]
        }});
        let outcomes = check(&doc);
        assert_eq!(outcomes.len(), 5);
        assert!(outcomes.iter().all(|o| !o.passed), "{outcomes:?}");
        assert!(outcomes.iter().any(|o| o.detail.contains("no assignor section 'frobnicate'")));
    }

    #[test]
    fn server_range_cases_compare_sets_per_topic() {
        let doc = json!({"assignors": {"server_range": [{
            "name": "two_members", "topics": {"topic1": 3, "topic3": 2},
            "members": [
                {"member_id": "A", "group_instance_id": null, "subscription": ["topic1", "topic3"], "current_assignment": {}},
                {"member_id": "B", "group_instance_id": null, "subscription": ["topic1", "topic3"], "current_assignment": {}}
            ],
            "expected": {"A": {"topic1": [0, 1], "topic3": [0]}, "B": {"topic1": [2], "topic3": [1]}},
            "compare": "set"
        }]}});
        let outcomes = check(&doc);
        assert!(outcomes[0].passed, "{outcomes:?}");
    }

    #[test]
    fn server_uniform_cases_use_the_recorded_topic_order() {
        let doc = json!({"assignors": {"server_uniform": [{
            "name": "first_assignment", "topics": {"topic1": 3, "topic3": 2},
            "topic_iteration_order": ["topic2", "topic3", "topic1"],
            "members": [
                {"member_id": "A", "subscription": ["topic1", "topic3"]},
                {"member_id": "B", "subscription": ["topic1", "topic3"]}
            ],
            "expected": {"A": {"topic1": [0], "topic3": [0, 1]}, "B": {"topic1": [1, 2]}}
        }]}});
        let outcomes = check(&doc);
        assert!(outcomes[0].passed, "{outcomes:?}");
    }

    #[test]
    fn cooperative_cases_check_both_rounds_and_transfers() {
        let doc = json!({"assignors": {"cooperative_sticky": [{
            "name": "claimed_twice", "topics": {"topic": 3}, "compare": "exact_order",
            "members": [
                {"member_id": "consumer1", "subscription": ["topic"], "owned_partitions": [["topic", 0], ["topic", 1]], "generation": 1},
                {"member_id": "consumer2", "subscription": ["topic"], "owned_partitions": [["topic", 0], ["topic", 2]], "generation": 1},
                {"member_id": "consumer3", "subscription": ["topic"], "owned_partitions": [], "generation": 1}
            ],
            "expected_partitions_transferring_ownership": {"topic-0": "consumer3"},
            "expected_first_round": {"consumer1": [["topic", 1]], "consumer2": [["topic", 2]], "consumer3": []},
            "expected_converged": {"consumer1": [["topic", 1]], "consumer2": [["topic", 2]], "consumer3": [["topic", 0]]}
        }]}});
        let outcomes = check(&doc);
        assert!(outcomes[0].passed, "{outcomes:?}");
    }
}
