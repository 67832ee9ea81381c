//! The scenario format, version 1: what a course author writes, what a share link carries, what the
//! CLI runs and what a test pins.
//!
//! A scenario is TOML with comments under `static/scenarios/<id>.toml` (JSON is accepted too):
//!
//! ```toml
//! version = 1
//! id = "leader-failover"
//! title = "Leader failover"
//! section = "Replication"
//! summary = "The leader's broker dies; the controller elects a new leader from the ISR."
//! seed = 7
//! duration_ms = 30000
//!
//! [cluster]                        # exactly the engine's ClusterSpec
//! broker_config = { "min.insync.replicas" = 2 }
//! [[cluster.topics]]
//! name = "orders"
//! partitions = 3
//! replication_factor = 3
//!
//! [[actions]]                      # timed actions, as the engine's TimedAction
//! at_ms = 10000
//! action = "kill_broker"
//! broker = 1
//!
//! [[steps]]                        # narration, in time order
//! at_ms = 12000
//! text = "Broker 1 is gone. Who leads orders-0 now?"
//! pause = true
//! [steps.checkpoint]
//! question = "Which broker leads orders-0 now?"
//! probe = { kind = "leader", topic = "orders", partition = 0 }
//! expect = 2
//! choices = [1, 2, 3]
//! ```
//!
//! Parsing (with every problem's path) lives in [`crate::scenario::parse`], older versions migrate in
//! [`crate::scenario::migrate`], and the rules a parsed scenario must follow in
//! [`crate::scenario::validate`].

use crate::kafka::world::{ClusterSpec, RunDefinition, TimedAction};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The version this build writes. Older versions are migrated forward when read.
pub const FORMAT_VERSION: u32 = 1;

/// A lesson, or any run a learner saved: the cluster, the seed, the timed actions and the narration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub version: u32,
    /// Stable, lowercase-kebab: course pages link to `#preset=<id>`.
    pub id: String,
    pub title: String,
    /// Where the lesson index lists it.
    pub section: Section,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    pub seed: u64,
    /// How long the run lasts (the timeline's length); checkpoints and actions fall inside it.
    pub duration_ms: u64,
    pub cluster: ClusterSpec,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<TimedAction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
}

impl Scenario {
    /// The engine's view of this scenario: everything the run is a pure function of.
    pub fn run_definition(&self) -> RunDefinition {
        RunDefinition { spec: self.cluster.clone(), seed: self.seed, actions: self.actions.clone() }
    }

    /// The step indexes that carry a checkpoint, in order.
    pub fn checkpoint_steps(&self) -> impl Iterator<Item = (usize, &Step, &Checkpoint)> {
        self.steps.iter().enumerate().filter_map(|(i, s)| s.checkpoint.as_ref().map(|c| (i, s, c)))
    }
}

/// The lesson index's topics, in the order the index shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Section {
    #[serde(rename = "Partitions & keys")]
    PartitionsAndKeys,
    #[serde(rename = "Consumer groups")]
    ConsumerGroups,
    #[serde(rename = "Replication")]
    Replication,
    #[serde(rename = "Delivery semantics")]
    DeliverySemantics,
    #[serde(rename = "Storage")]
    Storage,
    #[serde(rename = "Architecture")]
    Architecture,
}

impl Section {
    pub const ALL: [Section; 6] = [
        Section::PartitionsAndKeys,
        Section::ConsumerGroups,
        Section::Replication,
        Section::DeliverySemantics,
        Section::Storage,
        Section::Architecture,
    ];

    /// The heading the lesson index shows (and the spelling a scenario file uses).
    pub fn title(self) -> &'static str {
        match self {
            Section::PartitionsAndKeys => "Partitions & keys",
            Section::ConsumerGroups => "Consumer groups",
            Section::Replication => "Replication",
            Section::DeliverySemantics => "Delivery semantics",
            Section::Storage => "Storage",
            Section::Architecture => "Architecture",
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// One narration step: shown when the run reaches `at_ms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub at_ms: u64,
    pub text: String,
    /// The player stops here until the learner continues. Every step stops now (see
    /// `player::next_stop_ms`); the field is kept so files that say it stay valid.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pause: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Checkpoint>,
}

/// A question the learner answers before the reveal; the engine's state at the step's moment decides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub question: String,
    pub probe: Probe,
    pub expect: ProbeValue,
    /// Offered to the learner before the reveal; when given, `expect` is one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<ProbeValue>,
    /// Shown after the reveal: why the answer is what it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
}

/// A value a probe returns and a checkpoint expects. Values compare exactly.
///
/// TOML has no null, so "no broker" is `-1` (Kafka's own "leader: -1").
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(untagged)]
pub enum ProbeValue {
    Bool(bool),
    Int(i64),
    Text(String),
    List(Vec<ProbeValue>),
}

// Read by its own visitor: a wrong value is named at its own field, saying what fits there.
crate::kafka::untagged::scalar_or_list_deserialize!(ProbeValue { Bool, Int, Text, List }, ProbeValueVisitor, "a boolean, a whole number, a string or a list of them");

impl ProbeValue {
    pub fn int(value: impl TryInto<i64>) -> ProbeValue {
        // Offsets, counts and ids in a run stay far below i64::MAX; saturate rather than wrap if not.
        ProbeValue::Int(value.try_into().unwrap_or(i64::MAX))
    }

    /// What kind of value this is (for checking a checkpoint's `expect` against its probe).
    pub fn kind(&self) -> Option<ValueKind> {
        match self {
            ProbeValue::Bool(_) => Some(ValueKind::Bool),
            ProbeValue::Int(_) => Some(ValueKind::Int),
            ProbeValue::Text(_) => Some(ValueKind::Text),
            ProbeValue::List(items) => {
                if items.iter().all(|v| matches!(v, ProbeValue::Int(_))) {
                    Some(ValueKind::IntList)
                } else if items.iter().all(|v| matches!(v, ProbeValue::Text(_))) {
                    Some(ValueKind::TextList)
                } else {
                    None
                }
            }
        }
    }
}

impl ProbeValue {
    /// The value as a learner reads it on a lesson's answer buttons: names without quotes, a list as
    /// names separated by commas, an empty list as "none". (`Display` keeps the file's own spelling.)
    pub fn for_learner(&self) -> String {
        match self {
            ProbeValue::Text(s) => s.clone(),
            ProbeValue::List(items) if items.is_empty() => "none".to_string(),
            ProbeValue::List(items) => items.iter().map(ProbeValue::for_learner).collect::<Vec<_>>().join(", "),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for ProbeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeValue::Bool(b) => write!(f, "{b}"),
            ProbeValue::Int(i) => write!(f, "{i}"),
            ProbeValue::Text(s) => write!(f, "\"{s}\""),
            ProbeValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// The shape of a probe's answer. An empty list fits both list kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ValueKind {
    Bool,
    Int,
    Text,
    IntList,
    TextList,
}

impl ValueKind {
    pub fn accepts(self, value: &ProbeValue) -> bool {
        match (self, value) {
            (ValueKind::IntList | ValueKind::TextList, ProbeValue::List(items)) if items.is_empty() => true,
            _ => value.kind() == Some(self),
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ValueKind::Bool => "true or false",
            ValueKind::Int => "a whole number",
            ValueKind::Text => "a string",
            ValueKind::IntList => "a list of whole numbers",
            ValueKind::TextList => "a list of strings",
        }
    }

    /// How a typed answer of this kind looks, shown in the empty answer box.
    pub fn example(self) -> &'static str {
        match self {
            ValueKind::Bool => "true or false",
            ValueKind::Int => "e.g. 3",
            ValueKind::Text => "e.g. orders-0",
            ValueKind::IntList => "e.g. 1, 2, 3",
            ValueKind::TextList => "items separated by commas",
        }
    }
}

/// A typed question about the simulated state, evaluated at a step's moment
/// (see [`crate::scenario::checkpoint`]).
///
/// Read by [`crate::tagged_enum_de!`] below (not serde's derive: see [`crate::kafka::tagged`]), which
/// also refuses unknown fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Probe {
    /// The broker leading the partition (-1 when none), as the controller committed it.
    Leader { topic: String, partition: u32 },
    LeaderEpoch { topic: String, partition: u32 },
    /// The in-sync replicas, sorted by broker id.
    Isr { topic: String, partition: u32 },
    /// The assigned replicas in assignment order (the first is the preferred leader).
    Replicas { topic: String, partition: u32 },
    PartitionCount { topic: String },
    /// The partition Kafka's murmur2 rule picks for this key with the topic's current partition count.
    PartitionOfKey { topic: String, key: String },
    /// On the leader's replica, or on `broker`'s replica when given.
    HighWatermark {
        topic: String,
        partition: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broker: Option<u32>,
    },
    LogEndOffset {
        topic: String,
        partition: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broker: Option<u32>,
    },
    LogStartOffset {
        topic: String,
        partition: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broker: Option<u32>,
    },
    SegmentCount {
        topic: String,
        partition: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broker: Option<u32>,
    },
    /// The values of the records in the replica's log, in offset order (opaque payloads read
    /// `<N bytes>`).
    RecordValues {
        topic: String,
        partition: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        broker: Option<u32>,
    },
    /// Append requests the broker's disk served (one per batch a leader or follower wrote).
    DiskAppends { broker: u32 },
    /// Read requests the broker's disk served, from the page cache or the device.
    DiskReads { broker: u32 },
    /// Reads served from the page cache without touching the device.
    DiskReadsFromPageCache { broker: u32 },
    DiskFsyncs { broker: u32 },
    /// Records the broker removed from its logs by truncation (rejoining after a failover, or a lost
    /// page cache).
    RecordsTruncated { broker: u32 },
    /// The broker's process is running.
    BrokerAlive { broker: u32 },
    /// The controller has fenced the broker (it missed heartbeats or is down).
    BrokerFenced { broker: u32 },
    /// Records the producer's application handed to `send`.
    RecordsSent { producer: String },
    RecordsAcked { producer: String },
    /// Records whose send finally failed (no more retries).
    RecordsFailed { producer: String },
    /// Produce requests the producer sent (each carries one batch per partition of one leader).
    ProduceRequests { producer: String },
    /// Batches the producer sent.
    ProduceBatches { producer: String },
    /// The mean acknowledgement latency over the producer's acknowledged records, in ms (rounded down;
    /// 0 before the first acknowledgement). The engine measures a batch from its first record, so
    /// every record counts its batch's latency.
    AverageAckLatencyMs { producer: String },
    /// How many produce responses (or timeouts) carried this Kafka error, retried or not.
    ProduceErrors { producer: String, error: String },
    /// The Kafka name of the producer's most recent error, or "none".
    LastProduceError { producer: String },
    /// `orders-0`, `orders-2`, … in the consumer's order.
    ConsumerAssignment { consumer: String },
    /// The offset of the next record the consumer fetches (-1 when not known yet).
    ConsumerPosition { consumer: String, topic: String, partition: u32 },
    /// The leader's high watermark minus the consumer's position.
    ConsumerLag { consumer: String, topic: String, partition: u32 },
    RecordsPolled { consumer: String },
    RecordsProcessed { consumer: String },
    /// The values these consumers' applications finished processing, in the order they finished
    /// (only those containing `containing`, when given).
    ProcessedValues {
        consumers: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        containing: Option<String>,
    },
    /// Records inside messages on the network right now (produce requests, fetch responses).
    RecordsInFlight,
    /// The group's committed offset for the partition (-1 when none), as its coordinator holds it.
    CommittedOffset { group: String, topic: String, partition: u32 },
    /// The consumers in the group now, by name, sorted.
    GroupMembers { group: String },
    /// The group's generation (each completed rebalance starts a new one).
    GroupGeneration { group: String },
    /// `Empty`, `PreparingRebalance`, `CompletingRebalance` or `Stable`.
    GroupState { group: String },
    /// Partitions taken away from the consumer by rebalances so far (eager revokes everything;
    /// partitions lost after the coordinator removed it count too).
    PartitionsRevoked { consumer: String },
    /// How many values these consumers processed more than once (each extra time counts).
    DuplicateValues { consumers: Vec<String> },
    /// How many different values these consumers processed.
    DistinctValues { consumers: Vec<String> },
    /// Transactions of the producer's transactional.id its coordinator completed with a commit
    /// (every instance of the producer counts, and a coordinator's aborts on its behalf too).
    TransactionsCommitted { producer: String },
    TransactionsAborted { producer: String },
    /// A newer instance (or a transaction timeout) fenced this transactional producer.
    ProducerFenced { producer: String },
    /// The controller leading the quorum (-1 while there is none).
    ActiveController,
    /// The quorum's epoch as the active controller (or the most up-to-date one) has it.
    ControllerEpoch,
    /// Broken guarantees so far, of one kind (`guarantee = "acked_record_lost"`, …) or all.
    Violations {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        guarantee: Option<String>,
    },
}

crate::tagged_enum_de! {
    Probe, tag = "kind";
    Leader "leader" { topic: String, partition: u32 },
    LeaderEpoch "leader_epoch" { topic: String, partition: u32 },
    Isr "isr" { topic: String, partition: u32 },
    Replicas "replicas" { topic: String, partition: u32 },
    PartitionCount "partition_count" { topic: String },
    PartitionOfKey "partition_of_key" { topic: String, key: String },
    HighWatermark "high_watermark" { topic: String, partition: u32, broker: Option<u32> = default },
    LogEndOffset "log_end_offset" { topic: String, partition: u32, broker: Option<u32> = default },
    LogStartOffset "log_start_offset" { topic: String, partition: u32, broker: Option<u32> = default },
    SegmentCount "segment_count" { topic: String, partition: u32, broker: Option<u32> = default },
    RecordValues "record_values" { topic: String, partition: u32, broker: Option<u32> = default },
    DiskAppends "disk_appends" { broker: u32 },
    DiskReads "disk_reads" { broker: u32 },
    DiskReadsFromPageCache "disk_reads_from_page_cache" { broker: u32 },
    DiskFsyncs "disk_fsyncs" { broker: u32 },
    RecordsTruncated "records_truncated" { broker: u32 },
    BrokerAlive "broker_alive" { broker: u32 },
    BrokerFenced "broker_fenced" { broker: u32 },
    RecordsSent "records_sent" { producer: String },
    RecordsAcked "records_acked" { producer: String },
    RecordsFailed "records_failed" { producer: String },
    ProduceRequests "produce_requests" { producer: String },
    ProduceBatches "produce_batches" { producer: String },
    AverageAckLatencyMs "average_ack_latency_ms" { producer: String },
    ProduceErrors "produce_errors" { producer: String, error: String },
    LastProduceError "last_produce_error" { producer: String },
    ConsumerAssignment "consumer_assignment" { consumer: String },
    ConsumerPosition "consumer_position" { consumer: String, topic: String, partition: u32 },
    ConsumerLag "consumer_lag" { consumer: String, topic: String, partition: u32 },
    RecordsPolled "records_polled" { consumer: String },
    RecordsProcessed "records_processed" { consumer: String },
    ProcessedValues "processed_values" { consumers: Vec<String>, containing: Option<String> = default },
    RecordsInFlight "records_in_flight",
    CommittedOffset "committed_offset" { group: String, topic: String, partition: u32 },
    GroupMembers "group_members" { group: String },
    GroupGeneration "group_generation" { group: String },
    GroupState "group_state" { group: String },
    PartitionsRevoked "partitions_revoked" { consumer: String },
    DuplicateValues "duplicate_values" { consumers: Vec<String> },
    DistinctValues "distinct_values" { consumers: Vec<String> },
    TransactionsCommitted "transactions_committed" { producer: String },
    TransactionsAborted "transactions_aborted" { producer: String },
    ProducerFenced "producer_fenced" { producer: String },
    ActiveController "active_controller",
    ControllerEpoch "controller_epoch",
    Violations "violations" { guarantee: Option<String> = default },
}

impl Probe {
    /// The kind of value the probe answers with.
    pub fn value_kind(&self) -> ValueKind {
        match self {
            Probe::BrokerAlive { .. } | Probe::BrokerFenced { .. } => ValueKind::Bool,
            Probe::Isr { .. } | Probe::Replicas { .. } => ValueKind::IntList,
            Probe::RecordValues { .. } | Probe::ConsumerAssignment { .. } | Probe::ProcessedValues { .. } | Probe::GroupMembers { .. } => ValueKind::TextList,
            Probe::PartitionOfKey { .. } => ValueKind::Int,
            Probe::LastProduceError { .. } | Probe::GroupState { .. } => ValueKind::Text,
            Probe::ProducerFenced { .. } => ValueKind::Bool,
            _ => ValueKind::Int,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ProbeValue;

    #[test]
    fn answers_read_as_names_not_as_file_syntax() {
        let owns = |names: &[&str]| ProbeValue::List(names.iter().map(|n| ProbeValue::Text(n.to_string())).collect());
        assert_eq!(owns(&[]).for_learner(), "none", "an idle consumer owns nothing");
        assert_eq!(owns(&["order-events-0", "order-events-2"]).for_learner(), "order-events-0, order-events-2");
        assert_eq!(ProbeValue::List(vec![ProbeValue::Int(1), ProbeValue::Int(2)]).for_learner(), "1, 2");
        assert_eq!(ProbeValue::Text("NOT_ENOUGH_REPLICAS".into()).for_learner(), "NOT_ENOUGH_REPLICAS");
        assert_eq!(owns(&["a"]).to_string(), r#"["a"]"#, "the file's spelling is kept for data-value and the CLI");
    }
}
