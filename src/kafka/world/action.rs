//! Inputs to a run: what a learner clicks, what a lesson scripts, what a share link replays.
//!
//! Actions name things (a producer's name, a broker's id), never engine indexes, so a link made today
//! still means the same thing next year.

use super::spec::{ConsumerSpec, ProducerSpec, TopicSpec};
use crate::kafka::config::ConfigValue;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A process on the network, as actions name it: `broker:1`, `controller:0`, `producer:orders`,
/// `consumer:c1`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum NodeRef {
    Broker(u32),
    Controller(u32),
    Producer(String),
    Consumer(String),
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeRef::Broker(id) => write!(f, "broker:{id}"),
            NodeRef::Controller(id) => write!(f, "controller:{id}"),
            NodeRef::Producer(name) => write!(f, "producer:{name}"),
            NodeRef::Consumer(name) => write!(f, "consumer:{name}"),
        }
    }
}

impl TryFrom<String> for NodeRef {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let problem = || format!("'{text}' names no node: write broker:ID, controller:ID, producer:NAME or consumer:NAME");
        let (kind, name) = text.split_once(':').ok_or_else(problem)?;
        match kind {
            "broker" => name.parse().map(NodeRef::Broker).map_err(|_| problem()),
            "controller" => name.parse().map(NodeRef::Controller).map_err(|_| problem()),
            "producer" if !name.is_empty() => Ok(NodeRef::Producer(name.to_string())),
            "consumer" if !name.is_empty() => Ok(NodeRef::Consumer(name.to_string())),
            _ => Err(problem()),
        }
    }
}

impl From<NodeRef> for String {
    fn from(node: NodeRef) -> String {
        node.to_string()
    }
}

/// Where to move a consumer's position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeekTarget {
    Offset(u64),
    Beginning,
    End,
    /// The first offset whose timestamp is at or after this time (through the time index).
    Timestamp(u64),
}

/// Read from the value as a whole, whatever the deserializer: an action's fields are read from their
/// JSON text (see [`crate::kafka::tagged::field`]), whose deserializer answers a number here with a
/// bare "expected value"; read from the value, a mistake is named ("invalid type: integer `7`, expected
/// string or map"), as it always was.
impl<'de> Deserialize<'de> for SeekTarget {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum SeekTarget {
            Offset(u64),
            Beginning,
            End,
            Timestamp(u64),
        }
        let value = serde_json::Value::deserialize(deserializer)?;
        match SeekTarget::deserialize(&value).map_err(serde::de::Error::custom)? {
            SeekTarget::Offset(o) => Ok(Self::Offset(o)),
            SeekTarget::Beginning => Ok(Self::Beginning),
            SeekTarget::End => Ok(Self::End),
            SeekTarget::Timestamp(t) => Ok(Self::Timestamp(t)),
        }
    }
}

/// Read by [`crate::tagged_enum_de!`] below (not serde's derive: see [`crate::kafka::tagged`]), which
/// also refuses unknown fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// The producer's application sends `count` records (default 1).
    Produce {
        producer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        value: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        count: Option<u32>,
    },
    StartProducer { producer: String },
    StopProducer { producer: String },
    SetProducerRate { producer: String, rate_per_sec: u32 },
    SetProducerConfig { producer: String, key: String, value: ConfigValue },
    AddProducer { spec: ProducerSpec },
    /// The producer's process dies: what it had not sent is lost; a transaction it had open stays
    /// open until a new instance starts or the transaction times out.
    CrashProducer { producer: String },
    /// A new instance of the producer starts (with a transactional.id it fences the old one).
    RestartProducer { producer: String },
    /// The transactional producer's application commits its open transaction now.
    CommitTransaction { producer: String },
    /// The transactional producer's application aborts its open transaction now.
    AbortTransaction { producer: String },
    /// A controller's process dies (its metadata log is on disk). If it led the quorum, the others
    /// elect a new leader once they stop hearing from it.
    KillController { controller: u32 },
    RestartController { controller: u32 },
    /// The consumer's application subscribes to these topics instead (its group rebalances).
    Subscribe { consumer: String, topics: Vec<String> },
    AddConsumer { spec: ConsumerSpec },
    /// The consumer closes cleanly (it leaves its group at once).
    StopConsumer { consumer: String },
    /// The consumer's process dies: no goodbye, its group notices only after session.timeout.ms.
    CrashConsumer { consumer: String },
    RestartConsumer { consumer: String },
    SetConsumerConfig { consumer: String, key: String, value: ConfigValue },
    SetProcessingTime { consumer: String, processing_ms_per_record: u64 },
    Seek { consumer: String, topic: String, partition: u32, to: SeekTarget },
    AddBroker {
        id: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rack: Option<String>,
    },
    /// The broker dies. With `lose_page_cache` the machine lost power: unflushed writes are gone.
    KillBroker {
        broker: u32,
        #[serde(default)]
        lose_page_cache: bool,
    },
    RestartBroker { broker: u32 },
    /// A network partition: nothing crosses between the two sides until healed.
    CutNetwork { side_a: Vec<NodeRef>, side_b: Vec<NodeRef> },
    /// Heals one cut by its number, or all of them.
    HealNetwork {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cut: Option<u32>,
    },
    /// Changes the link between two nodes (both directions): a slow follower, a lossy cable
    /// (`loss_percent`: lost packets TCP retransmits, late), a flaky one (`drop_percent`: messages
    /// lost with their connection, so requests fail and are retried).
    SetLink {
        from: NodeRef,
        to: NodeRef,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        latency_ms: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        loss_percent: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        drop_percent: Option<u32>,
    },
    /// Multiplies the broker's disk costs (1 restores it).
    SlowDisk { broker: u32, factor: u64 },
    CreateTopic { spec: TopicSpec },
    /// Grows the topic to `total` partitions; existing records stay where they are.
    AddPartitions { topic: String, total: u32 },
    SetTopicConfig { topic: String, key: String, value: ConfigValue },
    /// Moves leadership back to each partition's preferred replica where it is in sync.
    ElectPreferredLeaders,
}

crate::tagged_enum_de! {
    Action, tag = "action";
    Produce "produce" { producer: String, key: Option<String> = default, value: Option<String> = default, partition: Option<u32> = default, count: Option<u32> = default },
    StartProducer "start_producer" { producer: String },
    StopProducer "stop_producer" { producer: String },
    SetProducerRate "set_producer_rate" { producer: String, rate_per_sec: u32 },
    SetProducerConfig "set_producer_config" { producer: String, key: String, value: ConfigValue },
    AddProducer "add_producer" { spec: ProducerSpec },
    CrashProducer "crash_producer" { producer: String },
    RestartProducer "restart_producer" { producer: String },
    CommitTransaction "commit_transaction" { producer: String },
    AbortTransaction "abort_transaction" { producer: String },
    KillController "kill_controller" { controller: u32 },
    RestartController "restart_controller" { controller: u32 },
    Subscribe "subscribe" { consumer: String, topics: Vec<String> },
    AddConsumer "add_consumer" { spec: ConsumerSpec },
    StopConsumer "stop_consumer" { consumer: String },
    CrashConsumer "crash_consumer" { consumer: String },
    RestartConsumer "restart_consumer" { consumer: String },
    SetConsumerConfig "set_consumer_config" { consumer: String, key: String, value: ConfigValue },
    SetProcessingTime "set_processing_time" { consumer: String, processing_ms_per_record: u64 },
    Seek "seek" { consumer: String, topic: String, partition: u32, to: SeekTarget },
    AddBroker "add_broker" { id: u32, rack: Option<String> = default },
    KillBroker "kill_broker" { broker: u32, lose_page_cache: bool = default },
    RestartBroker "restart_broker" { broker: u32 },
    CutNetwork "cut_network" { side_a: Vec<NodeRef>, side_b: Vec<NodeRef> },
    HealNetwork "heal_network" { cut: Option<u32> = default },
    SetLink "set_link" { from: NodeRef, to: NodeRef, latency_ms: Option<u64> = default, loss_percent: Option<u32> = default, drop_percent: Option<u32> = default },
    SlowDisk "slow_disk" { broker: u32, factor: u64 },
    CreateTopic "create_topic" { spec: TopicSpec },
    AddPartitions "add_partitions" { topic: String, total: u32 },
    SetTopicConfig "set_topic_config" { topic: String, key: String, value: ConfigValue },
    ElectPreferredLeaders "elect_preferred_leaders",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_refs_read_and_write_as_kind_colon_name() {
        assert_eq!(NodeRef::try_from("broker:2".to_string()), Ok(NodeRef::Broker(2)));
        assert_eq!(NodeRef::try_from("consumer:c1".to_string()), Ok(NodeRef::Consumer("c1".into())));
        assert!(NodeRef::try_from("broker:two".to_string()).unwrap_err().contains("names no node"));
        assert_eq!(NodeRef::Producer("p".into()).to_string(), "producer:p");
    }

    #[test]
    fn actions_are_tagged_by_name_in_scenario_files() {
        let json = r#"{"action": "kill_broker", "broker": 2}"#;
        let action: Action = serde_json::from_str(json).unwrap();
        assert_eq!(action, Action::KillBroker { broker: 2, lose_page_cache: false });
        let bad = serde_json::from_str::<Action>(r#"{"action": "kill_broker", "brokr": 2}"#);
        assert!(bad.is_err());
    }
}

/// An action at a moment of the run (a lesson's script, a learner's recorded click).
/// Written with the action's fields beside `at_ms` (`#[serde(flatten)]`); read by hand below, as the
/// flattening derive would (it would buffer into serde's `Content` again), and the action rejects
/// unknown keys itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimedAction {
    pub at_ms: u64,
    /// A learner's click recorded in the lab: it runs after everything else due at `at_ms`, where the
    /// click landed. A scripted action (the default) runs before the other work of its moment.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub click: bool,
    #[serde(flatten)]
    pub action: Action,
}

impl TimedAction {
    /// A scripted action at `at_ms`.
    pub fn at(at_ms: u64, action: Action) -> TimedAction {
        TimedAction { at_ms, click: false, action }
    }

    /// A learner's click at `at_ms`.
    pub fn click(at_ms: u64, action: Action) -> TimedAction {
        TimedAction { at_ms, click: true, action }
    }
}

impl<'de> Deserialize<'de> for TimedAction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TimedActionVisitor)
    }
}

struct TimedActionVisitor;

impl<'de> serde::de::Visitor<'de> for TimedActionVisitor {
    type Value = TimedAction;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("struct TimedAction")
    }

    fn visit_map<M: serde::de::MapAccess<'de>>(self, mut map: M) -> Result<TimedAction, M::Error> {
        use serde::de::Error as _;
        let mut at_ms = None;
        let mut click = None;
        let mut rest = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "at_ms" {
                if at_ms.is_some() {
                    return Err(M::Error::duplicate_field("at_ms"));
                }
                at_ms = Some(map.next_value::<u64>()?);
            } else if key == "click" {
                if click.is_some() {
                    return Err(M::Error::duplicate_field("click"));
                }
                click = Some(map.next_value::<bool>()?);
            } else {
                rest.push((key, map.next_value::<serde_json::Value>()?));
            }
        }
        let at_ms = at_ms.ok_or_else(|| M::Error::missing_field("at_ms"))?;
        let action = crate::kafka::tagged::tagged_from_fields(&Action::TAGGED, rest)
            .and_then(Action::from_tagged)
            .map_err(M::Error::custom)?;
        Ok(TimedAction { at_ms, click: click.unwrap_or(false), action })
    }
}

/// Everything a run is a pure function of: the cluster, the seed and the timed actions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunDefinition {
    pub spec: super::spec::ClusterSpec,
    pub seed: u64,
    pub actions: Vec<TimedAction>,
}

impl RunDefinition {
    /// Builds the world at time 0 with every timed action scheduled.
    pub fn start(&self) -> Result<super::World, Vec<super::SpecError>> {
        let mut world = super::World::new(&self.spec, self.seed)?;
        for timed in &self.actions {
            if timed.click {
                world.schedule_click(crate::sim::Tick(timed.at_ms), timed.action.clone());
            } else {
                world.schedule(crate::sim::Tick(timed.at_ms), timed.action.clone());
            }
        }
        Ok(world)
    }
}
