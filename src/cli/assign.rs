//! `kafka-lab assign`: runs one of Kafka's consumer-group assignors over a group described in JSON
//! and prints what each member gets, in the order Kafka's assignor lists it.
//!
//! The input is checked by hand rather than through serde derives so that every problem names the
//! exact field and the rule it breaks (`members[1].owned_partitions[0]: ...`).

use crate::sim::sorted::{SortedMap, SortedSet};
use std::ffi::OsString;
use std::fmt;

use serde_json::{Map, Value};

use super::Io;
use crate::kafka::group::assignor::{
    self, Assignment, AssignmentInput, AssignorName, MemberSubscription, cooperative_sticky,
};
use crate::kafka::ids::TopicPartition;

const ASSIGN_USAGE: &str = "\
Usage: kafka-lab assign --assignor NAME [--converged] [FILE|-]

Runs one of Kafka's consumer-group assignors, as the group leader does in the classic protocol,
over the group in FILE (JSON; `-` or no FILE reads standard input). Prints each member's
partitions in the order Kafka's assignor lists them.

Options:
  --assignor NAME  range, roundrobin, sticky or cooperative-sticky (Kafka's names)
  --converged      print the assignment once follow-up rebalances have settled; for
                   cooperative-sticky this hands over the partitions this round withholds
  -h, --help       print this help

Input:
  {\"topics\": {\"orders\": 3},
   \"members\": [{\"member_id\": \"c1\", \"group_instance_id\": null, \"subscription\": [\"orders\"],
                \"owned_partitions\": [[\"orders\", 0]], \"generation\": 1}]}
  Members are listed in JoinGroup order. group_instance_id, owned_partitions and generation may be
  left out (null generation = none). Topics missing from \"topics\" do not exist and are skipped.

Output:
  {\"assignment\": {\"c1\": [[\"orders\", 0], ...], ...}}
  cooperative-sticky prints what this rebalance hands out: a partition still owned by another
  member is withheld until that member has revoked it.
";

/// The most partitions (over all topics) and members the command takes: the sticky balancer is
/// quadratic, and a lab question never needs more.
const PARTITION_TOTAL_MAX: u64 = 100_000;
const MEMBER_COUNT_MAX: usize = 10_000;

/// The fields a member object may have.
const MEMBER_FIELDS: [&str; 5] = ["member_id", "group_instance_id", "subscription", "owned_partitions", "generation"];

/// A problem with the input: where it is and which rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputProblem {
    pub path: String,
    pub rule: String,
}

impl InputProblem {
    fn new(path: impl Into<String>, rule: impl Into<String>) -> InputProblem {
        InputProblem { path: path.into(), rule: rule.into() }
    }
}

impl fmt::Display for InputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.rule)
    }
}

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut assignor_name: Option<String> = None;
    let mut converged = false;
    let mut file: Option<String> = None;
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        match parser.next() {
            Ok(None) => break,
            Ok(Some(lexopt::Arg::Long("help") | lexopt::Arg::Short('h'))) => {
                let _ = write!(io.out, "{ASSIGN_USAGE}");
                return 0;
            }
            Ok(Some(lexopt::Arg::Long("assignor"))) => match parser.value() {
                Ok(_) if assignor_name.is_some() => return io.usage_error(ASSIGN_USAGE, "--assignor: given twice"),
                Ok(value) => assignor_name = Some(value.to_string_lossy().into_owned()),
                Err(e) => return io.usage_error(ASSIGN_USAGE, e),
            },
            Ok(Some(lexopt::Arg::Long("converged"))) => converged = true,
            Ok(Some(lexopt::Arg::Value(v))) if file.is_none() => file = Some(v.to_string_lossy().into_owned()),
            Ok(Some(other)) => return io.usage_error(ASSIGN_USAGE, other.unexpected()),
            Err(e) => return io.usage_error(ASSIGN_USAGE, e),
        }
    }
    let Some(name) = assignor_name else {
        return io
            .usage_error(ASSIGN_USAGE, "--assignor is required (range, roundrobin, sticky or cooperative-sticky)");
    };
    let Some(strategy) = AssignorName::from_kafka_name(&name) else {
        return io.usage_error(
            ASSIGN_USAGE,
            format!("--assignor: unknown assignor '{name}' (expected range, roundrobin, sticky or cooperative-sticky)"),
        );
    };
    let text = match super::read_input(file.as_deref(), io) {
        Ok(text) => text,
        Err(code) => return code,
    };
    let value: Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(e) => return io.input_error(format!("input: not valid JSON ({e})")),
    };
    let input = match parse_assignment_input(&value) {
        Ok(input) => input,
        Err(problem) => return io.input_error(problem),
    };
    let result = if converged && strategy == AssignorName::CooperativeSticky {
        cooperative_sticky::assign_until_converged(&input).map(|rebalances| rebalances.converged)
    } else {
        assignor::assign(strategy, &input)
    };
    match result {
        Ok(assignment) => {
            let _ = write!(io.out, "{}", render(&assignment));
            0
        }
        Err(e) => io.input_error(e),
    }
}

/// The output document: members sorted by id, each list in Kafka's order, one member per line.
pub fn render(assignment: &Assignment) -> String {
    let quote = |s: &str| Value::String(s.to_string()).to_string();
    let lines: Vec<String> = assignment
        .iter()
        .map(|(member, partitions)| {
            let pairs: Vec<String> =
                partitions.iter().map(|p| format!("[{}, {}]", quote(&p.topic), p.partition)).collect();
            format!("    {}: [{}]", quote(member), pairs.join(", "))
        })
        .collect();
    if lines.is_empty() {
        return "{\n  \"assignment\": {}\n}\n".to_string();
    }
    format!("{{\n  \"assignment\": {{\n{}\n  }}\n}}\n", lines.join(",\n"))
}

/// Reads `{"topics": {...}, "members": [...]}` into an assignor input, naming the field of the first
/// problem found. Other top-level keys are ignored, so a conformance case can be piped in as is.
pub fn parse_assignment_input(value: &Value) -> Result<AssignmentInput, InputProblem> {
    let Some(root) = value.as_object() else {
        return Err(InputProblem::new("input", "expected a JSON object with \"topics\" and \"members\""));
    };
    let topics = parse_topics(root.get("topics"))?;
    let members_value = root.get("members").ok_or_else(|| {
        InputProblem::new(
            "members",
            "missing (expected an array of members, e.g. [{\"member_id\": \"c1\", \"subscription\": [\"orders\"]}])",
        )
    })?;
    let Some(members_array) = members_value.as_array() else {
        return Err(InputProblem::new("members", "expected an array of member objects"));
    };
    if members_array.len() > MEMBER_COUNT_MAX {
        return Err(InputProblem::new(
            "members",
            format!("{} members is more than this lab computes (at most {MEMBER_COUNT_MAX})", members_array.len()),
        ));
    }
    let mut members = Vec::with_capacity(members_array.len());
    let mut member_ids: SortedMap<String, usize> = SortedMap::new();
    let mut instance_ids: SortedMap<String, usize> = SortedMap::new();
    for (index, member_value) in members_array.iter().enumerate() {
        let path = format!("members[{index}]");
        let member = parse_member(&path, member_value, &topics)?;
        if let Some(first) = member_ids.insert(member.member_id.clone(), index) {
            return Err(InputProblem::new(
                format!("{path}.member_id"),
                format!(
                    "'{}' is already the member id of members[{first}]; every member has its own",
                    member.member_id
                ),
            ));
        }
        if let Some(instance) = &member.group_instance_id
            && let Some(first) = instance_ids.insert(instance.clone(), index)
        {
            return Err(InputProblem::new(
                format!("{path}.group_instance_id"),
                format!(
                    "'{instance}' is already used by members[{first}]; each static member needs its own group.instance.id"
                ),
            ));
        }
        members.push(member);
    }
    Ok(AssignmentInput { topics, members })
}

fn parse_topics(value: Option<&Value>) -> Result<SortedMap<String, u32>, InputProblem> {
    let value = value.ok_or_else(|| {
        InputProblem::new(
            "topics",
            "missing (expected an object of topic name to partition count, e.g. {\"orders\": 3})",
        )
    })?;
    let Some(object) = value.as_object() else {
        return Err(InputProblem::new(
            "topics",
            "expected an object of topic name to partition count, e.g. {\"orders\": 3}",
        ));
    };
    let mut topics = SortedMap::new();
    let mut total: u64 = 0;
    for (name, count) in object {
        if name.is_empty() {
            return Err(InputProblem::new("topics", "a topic name cannot be empty"));
        }
        let count = count
            .as_u64()
            .filter(|n| (1..=i32::MAX as u64).contains(n))
            .ok_or_else(|| InputProblem::new(format!("topics.{name}"), "partition count must be a positive integer"))?;
        total += count;
        if total > PARTITION_TOTAL_MAX {
            return Err(InputProblem::new(
                "topics",
                format!("more than {PARTITION_TOTAL_MAX} partitions in total is more than this lab computes"),
            ));
        }
        // At most PARTITION_TOTAL_MAX, so it fits.
        topics.insert(name.clone(), count as u32);
    }
    Ok(topics)
}

fn parse_member(path: &str, value: &Value, topics: &SortedMap<String, u32>) -> Result<MemberSubscription, InputProblem> {
    let Some(object) = value.as_object() else {
        return Err(InputProblem::new(path, "expected a member object with \"member_id\" and \"subscription\""));
    };
    if let Some(unknown) = object.keys().find(|k| !MEMBER_FIELDS.contains(&k.as_str())) {
        return Err(InputProblem::new(
            format!("{path}.{unknown}"),
            "unknown field (expected member_id, group_instance_id, subscription, owned_partitions or generation)",
        ));
    }
    let member_id = match object.get("member_id") {
        None => return Err(InputProblem::new(format!("{path}.member_id"), "missing (every member has a member id)")),
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(_) => return Err(InputProblem::new(format!("{path}.member_id"), "must be a non-empty string")),
    };
    let group_instance_id = match object.get("group_instance_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(_) => {
            return Err(InputProblem::new(
                format!("{path}.group_instance_id"),
                "must be a non-empty string, or null for a dynamic member",
            ));
        }
    };
    Ok(MemberSubscription {
        member_id,
        group_instance_id,
        topics: parse_subscription(path, object)?,
        owned_partitions: parse_owned_partitions(path, object, topics)?,
        generation: parse_generation(path, object)?,
    })
}

fn parse_subscription(path: &str, object: &Map<String, Value>) -> Result<Vec<String>, InputProblem> {
    let field = format!("{path}.subscription");
    let value = object.get("subscription").ok_or_else(|| {
        InputProblem::new(&field, "missing (the topics this member subscribes to, e.g. [\"orders\"])")
    })?;
    let Some(array) = value.as_array() else {
        return Err(InputProblem::new(&field, "expected an array of topic names"));
    };
    let mut seen = SortedSet::new();
    let mut topics = Vec::with_capacity(array.len());
    for (index, topic) in array.iter().enumerate() {
        let topic = topic
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| InputProblem::new(format!("{field}[{index}]"), "topic name must be a non-empty string"))?;
        if !seen.insert(topic) {
            return Err(InputProblem::new(format!("{field}[{index}]"), format!("topic '{topic}' is listed twice")));
        }
        topics.push(topic.to_string());
    }
    Ok(topics)
}

fn parse_owned_partitions(
    path: &str,
    object: &Map<String, Value>,
    topics: &SortedMap<String, u32>,
) -> Result<Vec<TopicPartition>, InputProblem> {
    let field = format!("{path}.owned_partitions");
    let array = match object.get("owned_partitions") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(array)) => array,
        Some(_) => return Err(InputProblem::new(&field, "expected an array of [topic, partition] pairs")),
    };
    let mut seen = SortedSet::new();
    let mut owned = Vec::with_capacity(array.len());
    for (index, pair) in array.iter().enumerate() {
        let at = format!("{field}[{index}]");
        let partition = parse_partition(&at, pair, topics)?;
        if !seen.insert(partition.clone()) {
            return Err(InputProblem::new(at, format!("partition {partition} is listed twice")));
        }
        owned.push(partition);
    }
    Ok(owned)
}

fn parse_partition(at: &str, pair: &Value, topics: &SortedMap<String, u32>) -> Result<TopicPartition, InputProblem> {
    let Some([topic, number]) = pair.as_array().map(Vec::as_slice) else {
        return Err(InputProblem::new(at, "expected a [topic, partition] pair, e.g. [\"orders\", 0]"));
    };
    let Some(topic) = topic.as_str().filter(|t| !t.is_empty()) else {
        return Err(InputProblem::new(at, "the topic (first element) must be a non-empty string"));
    };
    let number = match number.as_u64() {
        Some(n) if n <= i32::MAX as u64 => n as u32,
        Some(n) => {
            return Err(InputProblem::new(at, format!("partition {n} is larger than Kafka allows ({})", i32::MAX)));
        }
        None => return Err(InputProblem::new(at, format!("partition {number} must be a non-negative integer"))),
    };
    let partition = TopicPartition::new(topic, number);
    if let Some(&count) = topics.get(topic)
        && number >= count
    {
        return Err(InputProblem::new(
            at,
            format!(
                "partition {partition} does not exist: topic '{topic}' has {count} partition(s), numbered 0 to {}",
                count - 1
            ),
        ));
    }
    Ok(partition)
}

fn parse_generation(path: &str, object: &Map<String, Value>) -> Result<Option<i32>, InputProblem> {
    match object.get("generation") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            value.as_i64().and_then(|g| i32::try_from(g).ok()).map(Some).ok_or_else(|| {
                InputProblem::new(format!("{path}.generation"), "must be an integer (a Java int) or null")
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problem(value: Value) -> String {
        parse_assignment_input(&value).unwrap_err().to_string()
    }

    #[test]
    fn a_full_member_is_read() {
        let input = parse_assignment_input(&json!({
            "topics": {"t": 3},
            "members": [{"member_id": "c1", "group_instance_id": "i1", "subscription": ["t"],
                         "owned_partitions": [["t", 0], ["gone", 4]], "generation": 2}]
        }))
        .unwrap();
        let member = &input.members[0];
        assert_eq!(member.group_instance_id.as_deref(), Some("i1"));
        assert_eq!(member.owned_partitions, vec![TopicPartition::new("t", 0), TopicPartition::new("gone", 4)]);
        assert_eq!(member.generation, Some(2));
    }

    #[test]
    fn optional_fields_default_to_nothing() {
        let input =
            parse_assignment_input(&json!({"topics": {}, "members": [{"member_id": "c1", "subscription": []}]}))
                .unwrap();
        assert_eq!(input.members[0], MemberSubscription::new("c1", &[]));
    }

    #[test]
    fn problems_name_the_field_and_the_rule() {
        assert_eq!(problem(json!([])), "input: expected a JSON object with \"topics\" and \"members\"");
        assert_eq!(
            problem(json!({"topics": {"t": 0}, "members": []})),
            "topics.t: partition count must be a positive integer"
        );
        assert_eq!(
            problem(json!({"topics": {"t": 1.5}, "members": []})),
            "topics.t: partition count must be a positive integer"
        );
        assert!(problem(json!({"topics": {}})).starts_with("members: missing"));
        let member =
            |m: Value| problem(json!({"topics": {"t": 3}, "members": [{"member_id": "c0", "subscription": ["t"]}, m]}));
        assert_eq!(
            member(json!({"member_id": "c1", "subscription": ["t"], "owned_partitions": [["t", -1]]})),
            "members[1].owned_partitions[0]: partition -1 must be a non-negative integer"
        );
        assert_eq!(
            member(json!({"member_id": "c1", "subscription": ["t"], "owned_partitions": [["t", 3]]})),
            "members[1].owned_partitions[0]: partition t-3 does not exist: topic 't' has 3 partition(s), numbered 0 to 2"
        );
        assert_eq!(
            member(json!({"member_id": "c0", "subscription": ["t"]})),
            "members[1].member_id: 'c0' is already the member id of members[0]; every member has its own"
        );
        assert_eq!(
            member(json!({"member_id": "c1", "subscription": ["t", "t"]})),
            "members[1].subscription[1]: topic 't' is listed twice"
        );
        assert!(member(json!({"member_id": "c1"})).starts_with("members[1].subscription: missing"));
        assert!(
            member(json!({"member_id": "c1", "subscription": [], "owned": []}))
                .starts_with("members[1].owned: unknown field")
        );
        assert_eq!(
            member(json!({"member_id": "c1", "subscription": [], "generation": "one"})),
            "members[1].generation: must be an integer (a Java int) or null"
        );
    }

    #[test]
    fn the_output_lists_every_member_in_kafka_order() {
        let assignment = Assignment::from([
            ("c1".to_string(), vec![TopicPartition::new("t", 2), TopicPartition::new("t", 0)]),
            ("c2".to_string(), vec![]),
        ]);
        let text = render(&assignment);
        assert_eq!(text, "{\n  \"assignment\": {\n    \"c1\": [[\"t\", 2], [\"t\", 0]],\n    \"c2\": []\n  }\n}\n");
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["assignment"]["c2"], json!([]));
        assert_eq!(render(&Assignment::new()), "{\n  \"assignment\": {}\n}\n");
    }
}
