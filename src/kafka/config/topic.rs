//! Topic configs with Kafka's names; unset ones take the broker's `log.*` defaults.

use super::broker::{BrokerConfig, at_least_1_i64, cleanup_policy_rule, index_bytes_rule, segment_bytes_rule};
use super::rules::*;
use super::value::kafka_config;
use crate::kafka::log::LogConfig;

kafka_config! {
    /// One topic's configs. Build with [`TopicConfig::from_broker`] so unset keys follow the broker.
    pub struct TopicConfig ("topic") {
        "retention.ms" => retention_ms: i64 = 604_800_000, rule at_least_minus_1;
        "retention.bytes" => retention_bytes: i64 = -1, rule at_least_minus_1;
        "segment.bytes" => segment_bytes: u64 = 1_073_741_824, rule segment_bytes_rule;
        "segment.ms" => segment_ms: u64 = 604_800_000, rule at_least_1_u64;
        "segment.jitter.ms" => segment_jitter_ms: u64 = 0;
        "segment.index.bytes" => segment_index_bytes: u64 = 10_485_760, rule index_bytes_rule;
        "index.interval.bytes" => index_interval_bytes: u64 = 4096;
        "cleanup.policy" => cleanup_policy: Vec<String> = vec!["delete".to_string()], rule cleanup_policy_rule;
        "min.insync.replicas" => min_insync_replicas: u32 = 1, rule at_least_1_u32;
        "unclean.leader.election.enable" => unclean_leader_election_enable: bool = false;
        "flush.messages" => flush_messages: i64 = i64::MAX, rule at_least_1_i64;
        "flush.ms" => flush_ms: i64 = i64::MAX, rule at_least_1_i64;
        "max.message.bytes" => max_message_bytes: u32 = 1_048_588, rule at_least_1_u32;
    }
}

impl TopicConfig {
    /// The configs a new topic gets from the broker defaults (Kafka's `log.*` → topic mapping).
    pub fn from_broker(broker: &BrokerConfig) -> TopicConfig {
        TopicConfig {
            retention_ms: broker.log_retention_ms,
            retention_bytes: broker.log_retention_bytes,
            segment_bytes: broker.log_segment_bytes,
            segment_ms: broker.log_roll_ms,
            segment_jitter_ms: broker.log_roll_jitter_ms,
            segment_index_bytes: broker.log_index_size_max_bytes,
            index_interval_bytes: broker.log_index_interval_bytes,
            cleanup_policy: broker.log_cleanup_policy.clone(),
            min_insync_replicas: broker.min_insync_replicas,
            unclean_leader_election_enable: broker.unclean_leader_election_enable,
            flush_messages: broker.log_flush_interval_messages,
            flush_ms: broker.log_flush_interval_ms,
            ..TopicConfig::default()
        }
    }

    pub fn log_config(&self) -> LogConfig {
        LogConfig {
            segment_bytes: self.segment_bytes,
            segment_ms: self.segment_ms,
            segment_jitter_ms: self.segment_jitter_ms,
            segment_index_bytes: self.segment_index_bytes,
            index_interval_bytes: self.index_interval_bytes,
            retention_ms: self.retention_ms,
            retention_bytes: self.retention_bytes,
            cleanup_delete: self.cleanup_policy.iter().any(|p| p == "delete"),
            cleanup_compact: self.cleanup_policy.iter().any(|p| p == "compact"),
        }
    }
}
