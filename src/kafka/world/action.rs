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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeekTarget {
    Offset(u64),
    Beginning,
    End,
    /// The first offset whose timestamp is at or after this time (through the time index).
    Timestamp(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
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
/// (No `deny_unknown_fields` here: serde cannot combine it with `flatten`; the flattened [`Action`]
/// rejects unknown keys itself.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
