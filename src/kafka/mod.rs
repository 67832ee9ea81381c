//! The Kafka model, following `shared/kafka/SEMANTICS.md`.

pub mod config;
pub mod group;
pub mod ids;
pub mod java;
pub mod log;
pub mod partitioner;
pub mod placement;
pub mod record;
pub mod replication;

pub use ids::{BrokerId, TopicPartition};
