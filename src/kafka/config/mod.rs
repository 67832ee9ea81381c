//! Kafka's configs, spelt as Kafka spells them, with Kafka's defaults and rules.

pub mod broker;
pub mod consumer;
pub mod producer;
pub mod topic;
mod value;

pub use broker::BrokerConfig;
pub use consumer::{ConsumerConfig, IsolationLevel, OffsetReset};
pub use producer::{Acks, ProducerConfig};
pub use topic::TopicConfig;
pub use value::{ConfigError, ConfigField, ConfigValue, rules};
