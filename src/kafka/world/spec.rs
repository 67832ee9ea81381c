//! What a run starts from: the cluster, its topics and clients, as a course author describes them.
//!
//! The scenario format (`src/scenario`) embeds these types, so a problem found here reports the same
//! path a scenario file uses (`topics[0].replication_factor`).

use crate::kafka::config::ConfigValue;
use crate::sim::disk::DiskConfig;
use crate::sim::net::LinkConfig;
use serde::{Deserialize, Serialize};
use crate::sim::sorted::SortedMap;

/// Configs as written: Kafka's key names to values.
pub type ConfigMap = SortedMap<String, ConfigValue>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterSpec {
    pub brokers: Vec<BrokerSpec>,
    /// How many KRaft controllers form the metadata quorum.
    pub controllers: u32,
    /// Cluster-wide broker configs (`min.insync.replicas`, `log.retention.ms`, …).
    pub broker_config: ConfigMap,
    /// Every link's default behaviour.
    pub network: LinkConfig,
    pub disk: DiskConfig,
    /// The operating system writes dirty pages back once they are this old (Linux: 30 s).
    pub page_cache_dirty_expire_ms: u64,
    pub topics: Vec<TopicSpec>,
    pub producers: Vec<ProducerSpec>,
    pub consumers: Vec<ConsumerSpec>,
}

impl Default for ClusterSpec {
    fn default() -> Self {
        ClusterSpec {
            brokers: (1..=3).map(|id| BrokerSpec { id, rack: None }).collect(),
            controllers: 1,
            broker_config: ConfigMap::new(),
            network: LinkConfig::default(),
            disk: DiskConfig::default(),
            page_cache_dirty_expire_ms: 30_000,
            topics: Vec::new(),
            producers: Vec::new(),
            consumers: Vec::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrokerSpec {
    pub id: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rack: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    /// Defaults to the broker's `num.partitions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partitions: Option<u32>,
    /// Defaults to the broker's `default.replication.factor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<u32>,
    /// Explicit replica assignment per partition (leader first); otherwise Kafka's placement decides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignment: Option<Vec<Vec<u32>>>,
    #[serde(skip_serializing_if = "SortedMap::is_empty")]
    pub config: ConfigMap,
}

/// Which keys a generated record gets.
/// Read by [`crate::tagged_enum_de!`] below (not serde's derive: see [`crate::kafka::tagged`]), which
/// also refuses unknown fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KeyPattern {
    /// No key: the partitioner spreads records (sticky or round-robin).
    #[default]
    None,
    /// `prefix0`, `prefix1`, … `prefix{count-1}`, then again from 0.
    Cycle { prefix: String, count: u32 },
    /// These keys in turn.
    List { keys: Vec<String> },
    /// A uniformly random key among `prefix0` … `prefix{count-1}`.
    Random { prefix: String, count: u32 },
    /// `hot_key` for `hot_percent` of records, otherwise a random `prefix{n}`: a hot partition.
    Hot { prefix: String, count: u32, hot_key: String, hot_percent: u32 },
}

crate::tagged_enum_de! {
    KeyPattern, tag = "kind";
    None "none",
    Cycle "cycle" { prefix: String, count: u32 },
    List "list" { keys: Vec<String> },
    Random "random" { prefix: String, count: u32 },
    Hot "hot" { prefix: String, count: u32, hot_key: String, hot_percent: u32 },
}

/// What a generated record's value is.
/// Read by [`crate::tagged_enum_de!`] below (not serde's derive: see [`crate::kafka::tagged`]), which
/// also refuses unknown fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValuePattern {
    /// An opaque payload of this many bytes.
    Bytes { size: u32 },
    /// These values in turn.
    List { values: Vec<String> },
    /// `prefix1`, `prefix2`, …: numbered values a learner can follow.
    Numbered { prefix: String },
}

crate::tagged_enum_de! {
    ValuePattern, tag = "kind";
    Bytes "bytes" { size: u32 },
    List "list" { values: Vec<String> },
    Numbered "numbered" { prefix: String },
}

impl Default for ValuePattern {
    fn default() -> Self {
        ValuePattern::Bytes { size: 100 }
    }
}

/// A producer application that sends records at a steady rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Workload {
    pub rate_per_sec: u32,
    pub keys: KeyPattern,
    pub values: ValuePattern,
    pub start_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_ms: Option<u64>,
    /// Stop after this many records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Send every record to this partition (an explicit partition wins over the partitioner).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<u32>,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            rate_per_sec: 10,
            keys: KeyPattern::None,
            values: ValuePattern::default(),
            start_ms: 0,
            stop_ms: None,
            count: None,
            partition: None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProducerSpec {
    pub name: String,
    pub topic: String,
    #[serde(skip_serializing_if = "SortedMap::is_empty")]
    pub config: ConfigMap,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<Workload>,
    /// With `transactional.id`: how the application groups its records into transactions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transactions: Option<TransactionPlan>,
}

/// A transactional application's loop: `beginTransaction`, send this many records,
/// `commitTransaction` (or, every `abort_every`-th time, `abortTransaction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TransactionPlan {
    pub records_per_transaction: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort_every: Option<u32>,
}

impl Default for TransactionPlan {
    fn default() -> Self {
        TransactionPlan { records_per_transaction: 10, abort_every: None }
    }
}

/// When a consumer application commits its offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitMode {
    /// `enable.auto.commit`: positions are committed inside poll every `auto.commit.interval.ms`.
    #[default]
    Auto,
    /// commitSync after processing each poll's records: at-least-once.
    AfterProcessing,
    /// commitAsync after processing each poll's records: at-least-once, without waiting for the
    /// answer (a failed commit is not retried).
    AfterProcessingAsync,
    /// commitSync right after poll, before processing: at-most-once.
    BeforeProcessing,
    /// Never commit.
    Never,
    /// A stream processor's exactly-once loop: the positions are committed inside the output
    /// producer's transaction (`sendOffsetsToTransaction`), together with the results.
    InTransaction,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsumerSpec {
    pub name: String,
    /// `group.id`: with a group the consumer subscribes to `topics`; without one it is assigned `assign`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topics: Vec<String>,
    /// Manual assignment: `[["orders", 0], ["orders", 1]]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assign: Vec<(String, u32)>,
    #[serde(skip_serializing_if = "SortedMap::is_empty")]
    pub config: ConfigMap,
    /// How long the application works on each record.
    pub processing_ms_per_record: u64,
    /// And on each poll's records together (a bulk write to a database, say).
    #[serde(skip_serializing_if = "is_zero")]
    pub processing_ms_per_poll: u64,
    pub commit: CommitMode,
    pub start_ms: u64,
    /// Makes the consumer a stream processor: each record goes through `steps`, and the results
    /// are written by the producer named `output` (to that producer's topic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessorSpec>,
    /// Queue semantics: after each successful commit the application deletes the records below the
    /// committed offsets (AdminClient.deleteRecords), as a queue deletes acknowledged messages.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub delete_committed: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessorSpec {
    pub output: String,
    pub steps: Vec<crate::kafka::stream::Step>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}
