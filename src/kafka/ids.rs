//! Identifiers shared across the Kafka model.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A broker's `node.id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BrokerId(pub u32);

impl fmt::Display for BrokerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A topic name and partition number, as Kafka writes it: `orders-2`.
///
/// The derived order is (topic, partition) with topic names compared byte-wise. Where Kafka's result
/// depends on Java's UTF-16 string order, use [`crate::kafka::java::compare_strings`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: u32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: u32) -> TopicPartition {
        TopicPartition { topic: topic.into(), partition }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A partition's index in the run: topics and their partitions in creation order. Engine-internal
/// (fast to index); learners see [`TopicPartition`] names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PartitionIndex(pub u32);

impl PartitionIndex {
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// A topic's index in the run, in creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TopicIndex(pub u32);

impl TopicIndex {
    pub fn get(self) -> usize {
        self.0 as usize
    }
}

/// Every process on the simulated network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Node {
    Broker(BrokerId),
    /// A KRaft controller (numbered 0..).
    Controller(u32),
    /// A producer client, by its index in the run.
    Producer(u32),
    /// A consumer client, by its index in the run.
    Consumer(u32),
}

impl Node {
    /// The node's address on the kernel's network (disjoint ranges per kind).
    pub fn net_id(self) -> crate::sim::NodeId {
        crate::sim::NodeId(match self {
            Node::Broker(b) => b.0,
            Node::Controller(c) => 1_000_000 + c,
            Node::Producer(p) => 2_000_000 + p,
            Node::Consumer(c) => 3_000_000 + c,
        })
    }

    pub fn is_client(self) -> bool {
        matches!(self, Node::Producer(_) | Node::Consumer(_))
    }
}
