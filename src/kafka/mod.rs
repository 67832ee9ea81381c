//! The Kafka model, following `shared/kafka/SEMANTICS.md`.

pub mod backoff;
pub mod broker;
pub mod client_metadata;
pub mod config;
pub mod consumer;
pub mod controller;
pub mod group;
pub mod ids;
pub mod invariants;
pub mod java;
pub mod log;
pub mod metadata;
pub mod metadata_refresh;
pub mod partitioner;
pub mod placement;
pub mod producer;
pub mod protocol;
pub mod reconnect;
pub mod record;
pub mod replication;
pub mod runtime;
pub mod stream;
pub mod tagged;
pub mod txn;
pub mod untagged;
pub mod world;

pub use ids::{BrokerId, Node, PartitionIndex, TopicIndex, TopicPartition};
