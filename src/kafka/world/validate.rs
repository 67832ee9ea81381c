//! Checks a cluster spec before a run starts: every problem, with the path a scenario file uses and
//! the rule it breaks, and nothing repaired silently.

use super::spec::{ClusterSpec, CommitMode, ConsumerSpec, KeyPattern, ProducerSpec, TopicSpec, ValuePattern};
use crate::kafka::config::{BrokerConfig, ConfigError, ConsumerConfig, ProducerConfig, TopicConfig};
use crate::kafka::metadata::MetadataImage;
use crate::sim::sorted::SortedSet;
use std::fmt;

/// One problem in a spec: where, and what rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SpecError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn error(path: impl Into<String>, message: impl Into<String>) -> SpecError {
    SpecError { path: path.into(), message: message.into() }
}

fn config_errors(prefix: &str, errors: Vec<ConfigError>) -> impl Iterator<Item = SpecError> + '_ {
    errors.into_iter().map(move |e| error(format!("{prefix}.\"{}\"", e.key), e.message))
}

/// Limits that keep a run bounded (TigerBeetle's "put a limit on everything").
pub const BROKERS_MAX: usize = 64;
pub const PARTITIONS_MAX: u32 = 1000;
pub const CLIENTS_MAX: usize = 200;
/// A workload's rate, and the rate a `set_producer_rate` action sets.
pub const RATE_PER_SEC_MAX: u32 = 1_000_000;
/// Records one `produce` action sends (the lab's produce form offers 1 to 10000).
pub const PRODUCE_COUNT_MAX: u32 = 10_000;
pub const KEYS_MAX: u32 = 100_000;

/// A link's one-way latency in milliseconds, at most: beyond it every request times out anyway.
pub const LATENCY_MS_MAX: u64 = 60_000;

/// Why a link's latency is at least 1 ms: the simulated clock ticks in whole milliseconds, and a reply
/// arriving in the same tick as its request would let a client that retries without backoff loop
/// for ever while no time passes (the page would freeze). The cap keeps a typo such as
/// 99999999999999 from reading as a cluster that merely went quiet.
pub const LATENCY_RULE: &str = "must be from 1 to 60000 ms (the simulated clock ticks in whole milliseconds, so a message takes at least one tick; a link slower than a minute each way only times every request out, as request.timeout.ms is 30 s)";

/// Producer, consumer and group names, in characters, at most: the lab draws each name in the
/// cluster picture and the consumer table.
pub const CLIENT_NAME_CHARS_MAX: usize = 64;

/// A producer's, consumer's or group's name problem, if any (`what` says which).
fn client_name_problem(name: &str, what: &str) -> Option<String> {
    let chars = name.chars().count();
    if chars == 0 {
        Some(format!("a {what} needs a name"))
    } else if chars > CLIENT_NAME_CHARS_MAX {
        Some(format!("a {what} name is at most {CLIENT_NAME_CHARS_MAX} characters, so the lab can draw it (this one has {chars})"))
    } else {
        None
    }
}

/// Kafka's topic name rule: 1 to 249 of `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn topic_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a topic needs a name".into());
    }
    if name == "." || name == ".." {
        return Some(format!("'{name}' is not a legal topic name"));
    }
    if name.len() > 249 {
        return Some(format!("a topic name is at most 249 characters (this one has {})", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Some(format!("'{name}' contains '{c}': topic names use only letters, digits, '.', '_' and '-'"));
    }
    None
}

/// Checks the whole spec; on success returns the parsed broker config.
pub fn validate(spec: &ClusterSpec) -> Result<BrokerConfig, Vec<SpecError>> {
    let mut errors = Vec::new();
    if spec.brokers.is_empty() {
        errors.push(error("brokers", "a cluster needs at least one broker"));
    }
    if spec.brokers.len() > BROKERS_MAX {
        errors.push(error("brokers", format!("at most {BROKERS_MAX} brokers (got {})", spec.brokers.len())));
    }
    let mut ids = SortedSet::new();
    for (i, b) in spec.brokers.iter().enumerate() {
        if !ids.insert(b.id) {
            errors.push(error(format!("brokers[{i}].id"), format!("broker id {} is used twice", b.id)));
        }
        if b.id >= 1_000_000 {
            errors.push(error(format!("brokers[{i}].id"), "broker ids are below 1000000"));
        }
    }
    let racked = spec.brokers.iter().filter(|b| b.rack.is_some()).count();
    if racked > 0 && racked < spec.brokers.len() {
        errors.push(error("brokers", "either every broker has a rack or none does (Kafka: AdminOperationException)"));
    }
    if spec.controllers == 0 || spec.controllers > 5 {
        errors.push(error("controllers", format!("a controller quorum has 1 to 5 controllers (got {})", spec.controllers)));
    }
    if spec.network.loss.denominator == 0 || spec.network.loss.numerator > spec.network.loss.denominator {
        errors.push(error("network.loss", "a loss ratio is numerator/denominator with 0 <= numerator <= denominator"));
    }
    if !(1..=LATENCY_MS_MAX).contains(&spec.network.latency_ms) {
        errors.push(error("network.latency_ms", LATENCY_RULE));
    }
    if spec.network.jitter_ms > LATENCY_MS_MAX {
        errors.push(error("network.jitter_ms", format!("at most {LATENCY_MS_MAX} ms (got {})", spec.network.jitter_ms)));
    }
    if spec.disk.slowdown_factor == 0 {
        errors.push(error("disk.slowdown_factor", "must be at least 1"));
    }
    let broker_config = match BrokerConfig::from_pairs(&spec.broker_config) {
        Ok(c) => c,
        Err(e) => {
            errors.extend(config_errors("broker_config", e));
            BrokerConfig::default()
        }
    };
    let mut image = MetadataImage::default();
    let mut names = SortedSet::new();
    for (i, topic) in spec.topics.iter().enumerate() {
        let path = format!("topics[{i}]");
        if !names.insert(topic.name.as_str()) {
            errors.push(error(format!("{path}.name"), format!("topic '{}' is defined twice", topic.name)));
        }
        if let Err(e) = self::topic(topic, &broker_config, spec.brokers.len() as u32, &path) {
            errors.extend(e);
        }
        let partitions = topic.partitions.unwrap_or(broker_config.num_partitions);
        image.apply(&crate::kafka::metadata::MetadataRecord::CreateTopic {
            name: topic.name.as_str().into(),
            config: std::rc::Rc::new(TopicConfig::default()),
        });
        let t = crate::kafka::ids::TopicIndex(i as u32);
        image.apply(&crate::kafka::metadata::MetadataRecord::CreatePartitions { topic: t, assignments: vec![Vec::new(); partitions.min(PARTITIONS_MAX) as usize] });
    }
    let mut producer_names = SortedSet::new();
    for (i, p) in spec.producers.iter().enumerate() {
        if !producer_names.insert(p.name.as_str()) {
            errors.push(error(format!("producers[{i}].name"), format!("producer '{}' is defined twice", p.name)));
        }
        if let Err(e) = producer(p, &image) {
            errors.extend(e.into_iter().map(|e| error(format!("producers[{i}].{}", e.path), e.message)));
        }
    }
    let mut consumer_names = SortedSet::new();
    for (i, c) in spec.consumers.iter().enumerate() {
        if !consumer_names.insert(c.name.as_str()) {
            errors.push(error(format!("consumers[{i}].name"), format!("consumer '{}' is defined twice", c.name)));
        }
        if let Err(e) = consumer(c, &image) {
            errors.extend(e.into_iter().map(|e| error(format!("consumers[{i}].{}", e.path), e.message)));
        }
    }
    if spec.consumers.iter().any(|c| c.group.is_some()) && broker_config.offsets_topic_replication_factor as usize > spec.brokers.len() {
        errors.push(error(
            "broker_config.\"offsets.topic.replication.factor\"",
            format!(
                "consumer groups keep their offsets in the internal topic __consumer_offsets, whose replication factor {} exceeds the {} brokers: set it to {} or fewer",
                broker_config.offsets_topic_replication_factor,
                spec.brokers.len(),
                spec.brokers.len()
            ),
        ));
    }
    for (i, c) in spec.consumers.iter().enumerate() {
        for e in processor(c, |name| spec.producers.iter().find(|p| p.name == name)) {
            errors.push(error(format!("consumers[{i}].{}", e.path), e.message));
        }
    }
    let transactional = spec.producers.iter().any(|p| p.config.contains_key("transactional.id"));
    if transactional && broker_config.transaction_state_log_replication_factor as usize > spec.brokers.len() {
        errors.push(error(
            "broker_config.\"transaction.state.log.replication.factor\"",
            format!(
                "transactional producers keep their transactions in the internal topic __transaction_state, whose replication factor {} exceeds the {} brokers: set it to {} or fewer",
                broker_config.transaction_state_log_replication_factor,
                spec.brokers.len(),
                spec.brokers.len()
            ),
        ));
    }
    if spec.producers.len() + spec.consumers.len() > CLIENTS_MAX {
        errors.push(error("producers", format!("at most {CLIENTS_MAX} producers and consumers together")));
    }
    if errors.is_empty() { Ok(broker_config) } else { Err(errors) }
}

/// Checks one topic against the cluster (`path` prefixes every problem).
pub fn topic(topic: &TopicSpec, broker: &BrokerConfig, broker_count: u32, path: &str) -> Result<(), Vec<SpecError>> {
    let mut errors = Vec::new();
    if let Some(problem) = topic_name_problem(&topic.name) {
        errors.push(error(format!("{path}.name"), problem));
    }
    let partitions = topic.partitions.unwrap_or(broker.num_partitions);
    if partitions == 0 {
        errors.push(error(format!("{path}.partitions"), "a topic has at least 1 partition (Kafka: InvalidPartitionsException)"));
    }
    if partitions > PARTITIONS_MAX {
        errors.push(error(format!("{path}.partitions"), format!("at most {PARTITIONS_MAX} partitions per topic in the lab (got {partitions})")));
    }
    let rf = topic.replication_factor.unwrap_or(broker.default_replication_factor);
    if rf == 0 {
        errors.push(error(format!("{path}.replication_factor"), "must be at least 1 (Kafka: InvalidReplicationFactorException)"));
    } else if rf > broker_count && topic.assignment.is_none() {
        errors.push(error(
            format!("{path}.replication_factor"),
            format!("{rf} exceeds the {broker_count} brokers (Kafka: InvalidReplicationFactorException)"),
        ));
    }
    if let Some(assignment) = &topic.assignment {
        if assignment.len() as u32 != partitions {
            errors.push(error(format!("{path}.assignment"), format!("lists {} partitions but the topic has {partitions}", assignment.len())));
        }
        for (p, replicas) in assignment.iter().enumerate() {
            let unique: SortedSet<&u32> = replicas.iter().collect();
            if replicas.is_empty() || unique.len() != replicas.len() {
                errors.push(error(format!("{path}.assignment[{p}]"), "lists each replica's broker once, and at least one"));
            }
            if replicas.len() as u32 != rf && topic.replication_factor.is_some() {
                errors.push(error(format!("{path}.assignment[{p}]"), format!("has {} replicas but replication_factor is {rf}", replicas.len())));
            }
        }
    }
    let mut config = TopicConfig::from_broker(broker);
    if let Err(e) = config.apply_pairs(&topic.config) {
        errors.extend(config_errors(&format!("{path}.config"), e));
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Checks a producer against the topics (`image`); paths are relative to the producer.
pub fn producer(p: &ProducerSpec, image: &MetadataImage) -> Result<(), Vec<SpecError>> {
    let mut errors = Vec::new();
    if let Some(problem) = client_name_problem(&p.name, "producer") {
        errors.push(error("name", problem));
    }
    let topic = image.topic_index(&p.topic);
    if topic.is_none() {
        errors.push(error("topic", format!("no topic named '{}'", p.topic)));
    }
    match ProducerConfig::from_pairs(&p.config) {
        Ok(mut config) => {
            let explicit: Vec<&str> = p.config.keys().map(String::as_str).collect();
            if let Err(e) = config.resolve(&explicit) {
                errors.extend(config_errors("config", e));
            }
        }
        Err(e) => errors.extend(config_errors("config", e)),
    }
    if let Some(w) = &p.workload {
        if w.rate_per_sec > RATE_PER_SEC_MAX {
            errors.push(error("workload.rate_per_sec", format!("at most {RATE_PER_SEC_MAX} records per second")));
        }
        match &w.keys {
            KeyPattern::Cycle { count, .. } | KeyPattern::Random { count, .. } if *count == 0 || *count > KEYS_MAX => {
                errors.push(error("workload.keys.count", format!("between 1 and {KEYS_MAX} keys")));
            }
            KeyPattern::Hot { count, hot_percent, .. } => {
                if *count == 0 || *count > KEYS_MAX {
                    errors.push(error("workload.keys.count", format!("between 1 and {KEYS_MAX} keys")));
                }
                if *hot_percent > 100 {
                    errors.push(error("workload.keys.hot_percent", "a percentage is between 0 and 100"));
                }
            }
            KeyPattern::List { keys } if keys.is_empty() => errors.push(error("workload.keys.keys", "list at least one key")),
            _ => {}
        }
        if let ValuePattern::List { values } = &w.values
            && values.is_empty()
        {
            errors.push(error("workload.values.values", "list at least one value"));
        }
        if let (Some(p), Some(t)) = (w.partition, topic) {
            let count = image.topics[t.get()].partitions.len() as u32;
            if p >= count {
                errors.push(error("workload.partition", format!("topic '{}' has partitions 0 to {}", image.topics[t.get()].name, count.saturating_sub(1))));
            }
        }
        if let Some(stop) = w.stop_ms
            && stop < w.start_ms
        {
            errors.push(error("workload.stop_ms", "must not be before start_ms"));
        }
    }
    if let Some(plan) = &p.transactions {
        if !p.config.contains_key("transactional.id") {
            errors.push(error("transactions", "transactions need a transactional.id in config"));
        }
        if plan.records_per_transaction == 0 {
            errors.push(error("transactions.records_per_transaction", "at least 1 record per transaction"));
        }
        if plan.abort_every == Some(0) {
            errors.push(error("transactions.abort_every", "at least 1 (1 aborts every transaction), or leave it out to commit them all"));
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// Checks a stream processor's link to its output producer; paths are relative to the consumer.
pub fn processor<'a>(c: &ConsumerSpec, producer: impl Fn(&str) -> Option<&'a ProducerSpec>) -> Vec<SpecError> {
    let mut errors = Vec::new();
    let Some(process) = &c.process else {
        if c.commit == CommitMode::InTransaction {
            errors.push(error("commit", "in_transaction commits a stream processor's positions inside its producer's transaction: add process (with a transactional output producer)"));
        }
        return errors;
    };
    let transactional = match producer(&process.output) {
        None => {
            errors.push(error("process.output", format!("no producer named '{}' to write the results", process.output)));
            return errors;
        }
        Some(p) => {
            if p.workload.is_some() {
                errors.push(error("process.output", format!("producer '{}' has a workload of its own: a processor's output producer writes only the results", process.output)));
            }
            p.config.contains_key("transactional.id")
        }
    };
    match (transactional, c.commit == CommitMode::InTransaction) {
        (true, false) => errors.push(error("commit", "the output producer is transactional: set commit = \"in_transaction\" so the positions are committed with the results")),
        (false, true) => errors.push(error("commit", format!("in_transaction needs a transactional output producer: give '{}' a transactional.id", process.output))),
        _ => {}
    }
    if c.group.is_none() && c.commit == CommitMode::InTransaction {
        errors.push(error("group", "offsets are committed for a group: give the processor a group"));
    }
    for (i, step) in process.steps.iter().enumerate() {
        match step {
            crate::kafka::stream::Step::CountByKey { window_ms: 0 } => errors.push(error(format!("process.steps[{i}].window_ms"), "a window lasts at least 1 ms")),
            crate::kafka::stream::Step::Filter { value_contains } if value_contains.is_empty() => {
                errors.push(error(format!("process.steps[{i}].value_contains"), "give the text records must contain"))
            }
            _ => {}
        }
    }
    errors
}

/// Checks a consumer against the topics (`image`); paths are relative to the consumer.
pub fn consumer(c: &ConsumerSpec, image: &MetadataImage) -> Result<(), Vec<SpecError>> {
    let mut errors = Vec::new();
    if let Some(problem) = client_name_problem(&c.name, "consumer") {
        errors.push(error("name", problem));
    }
    // Kafka's coordinator refuses an empty group.id (INVALID_GROUP_ID).
    if let Some(problem) = c.group.as_deref().and_then(|g| client_name_problem(g, "group")) {
        errors.push(error("group", problem));
    }
    match ConsumerConfig::from_pairs(&c.config) {
        Ok(config) => errors.extend(config_errors("config", config.check().err().into_iter().collect())),
        Err(e) => errors.extend(config_errors("config", e)),
    }
    if c.delete_committed && (c.group.is_none() || matches!(c.commit, CommitMode::Never | CommitMode::InTransaction)) {
        errors.push(error("delete_committed", "deleting what was committed needs a group that commits (commit = auto, after_processing or before_processing)"));
    }
    match (&c.group, c.topics.is_empty(), c.assign.is_empty()) {
        (Some(_), true, _) => errors.push(error("topics", "a consumer in a group subscribes to at least one topic")),
        (Some(_), false, false) => errors.push(error("assign", "a consumer in a group gets its partitions from the group: remove assign")),
        (None, _, true) => errors.push(error("assign", "a consumer without a group needs partitions to read (assign) or a group")),
        (None, false, false) => errors.push(error("topics", "a consumer without a group reads assigned partitions: remove topics or add a group")),
        _ => {}
    }
    // Kafka keeps a subscription and an assignment as sets; a file that names one twice has a typo
    // in it more likely than an intent, so it is refused rather than quietly folded.
    for (i, topic) in c.topics.iter().enumerate() {
        if let Some(first) = c.topics[..i].iter().position(|t| t == topic) {
            errors.push(error(format!("topics[{i}]"), format!("'{topic}' is already listed at topics[{first}]")));
        } else if image.topic_index(topic).is_none() {
            errors.push(error(format!("topics[{i}]"), format!("no topic named '{topic}'")));
        }
    }
    for (i, (topic, partition)) in c.assign.iter().enumerate() {
        if let Some(first) = c.assign[..i].iter().position(|a| a.0 == *topic && a.1 == *partition) {
            errors.push(error(format!("assign[{i}]"), format!("{topic}-{partition} is already listed at assign[{first}]")));
            continue;
        }
        match image.topic_index(topic) {
            None => errors.push(error(format!("assign[{i}]"), format!("no topic named '{topic}'"))),
            Some(t) if image.partition_of(t, *partition).is_none() => {
                let count = image.topics[t.get()].partitions.len();
                errors.push(error(format!("assign[{i}]"), format!("topic '{topic}' has partitions 0 to {}", count.saturating_sub(1))));
            }
            _ => {}
        }
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}
