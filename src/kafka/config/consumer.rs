//! Consumer configs with Kafka's names and defaults.

use super::rules::*;
use super::value::{ConfigError, ConfigField, ConfigValue, kafka_config};
use serde::{Deserialize, Serialize};

/// `auto.offset.reset`: where to start when there is no committed offset or it is out of range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OffsetReset {
    Earliest,
    Latest,
    None,
}

impl ConfigField for OffsetReset {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        match value {
            ConfigValue::Str(s) if s == "earliest" => Ok(OffsetReset::Earliest),
            ConfigValue::Str(s) if s == "latest" => Ok(OffsetReset::Latest),
            ConfigValue::Str(s) if s == "none" => Ok(OffsetReset::None),
            _ => Err("expected earliest, latest or none".into()),
        }
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::Str(
            match self {
                OffsetReset::Earliest => "earliest",
                OffsetReset::Latest => "latest",
                OffsetReset::None => "none",
            }
            .into(),
        )
    }
}

/// `isolation.level`: whether a consumer sees records of open or aborted transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IsolationLevel {
    ReadUncommitted,
    ReadCommitted,
}

impl ConfigField for IsolationLevel {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        match value {
            ConfigValue::Str(s) if s == "read_uncommitted" => Ok(IsolationLevel::ReadUncommitted),
            ConfigValue::Str(s) if s == "read_committed" => Ok(IsolationLevel::ReadCommitted),
            _ => Err("expected read_uncommitted or read_committed".into()),
        }
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::Str(
            match self {
                IsolationLevel::ReadUncommitted => "read_uncommitted",
                IsolationLevel::ReadCommitted => "read_committed",
            }
            .into(),
        )
    }
}

/// The assignor names a consumer may list, with Kafka's class names mapped to them.
pub const ASSIGNOR_NAMES: &[(&str, &str)] = &[
    ("range", "org.apache.kafka.clients.consumer.RangeAssignor"),
    ("roundrobin", "org.apache.kafka.clients.consumer.RoundRobinAssignor"),
    ("sticky", "org.apache.kafka.clients.consumer.StickyAssignor"),
    ("cooperative-sticky", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"),
];

/// Normalises `partition.assignment.strategy` entries to short names, in order.
fn strategy_rule(v: &Vec<String>) -> Result<(), String> {
    if v.is_empty() {
        return Err("list at least one assignor".into());
    }
    match v.iter().find(|name| short_assignor_name(name).is_none()) {
        Some(bad) => Err(format!("'{bad}' is not an assignor (expected range, roundrobin, sticky or cooperative-sticky)")),
        None => Ok(()),
    }
}

/// `range` for `range` or `org.apache.kafka.clients.consumer.RangeAssignor`, and so on.
pub fn short_assignor_name(name: &str) -> Option<&'static str> {
    ASSIGNOR_NAMES.iter().find(|(short, class)| *short == name || *class == name).map(|(short, _)| *short)
}

kafka_config! {
    /// One consumer's configs.
    pub struct ConsumerConfig ("consumer") {
        "group.instance.id" => group_instance_id: Option<String> = None;
        "auto.offset.reset" => auto_offset_reset: OffsetReset = OffsetReset::Latest;
        "enable.auto.commit" => enable_auto_commit: bool = true;
        "auto.commit.interval.ms" => auto_commit_interval_ms: u64 = 5000, rule at_least_1_u64;
        "fetch.min.bytes" => fetch_min_bytes: u64 = 1;
        "fetch.max.wait.ms" => fetch_max_wait_ms: u64 = 500;
        "fetch.max.bytes" => fetch_max_bytes: u64 = 52_428_800, rule at_least_1_u64;
        "max.partition.fetch.bytes" => max_partition_fetch_bytes: u64 = 1_048_576, rule at_least_1_u64;
        "max.poll.records" => max_poll_records: u32 = 500, rule at_least_1_u32;
        "max.poll.interval.ms" => max_poll_interval_ms: u64 = 300_000, rule at_least_1_u64;
        "session.timeout.ms" => session_timeout_ms: u64 = 45_000, rule at_least_1_u64;
        "heartbeat.interval.ms" => heartbeat_interval_ms: u64 = 3000, rule at_least_1_u64;
        "partition.assignment.strategy" => partition_assignment_strategy: Vec<String> = vec!["range".into(), "cooperative-sticky".into()], rule strategy_rule;
        "isolation.level" => isolation_level: IsolationLevel = IsolationLevel::ReadUncommitted;
        "request.timeout.ms" => request_timeout_ms: u64 = 30_000, rule at_least_1_u64;
        "default.api.timeout.ms" => default_api_timeout_ms: u64 = 60_000, rule at_least_1_u64;
        "retry.backoff.ms" => retry_backoff_ms: u64 = 100;
        "retry.backoff.max.ms" => retry_backoff_max_ms: u64 = 1000;
        "reconnect.backoff.ms" => reconnect_backoff_ms: u64 = 50;
        "reconnect.backoff.max.ms" => reconnect_backoff_max_ms: u64 = 1000;
        "metadata.max.age.ms" => metadata_max_age_ms: u64 = 300_000;
    }
}

impl ConsumerConfig {
    /// retry.backoff.ms growing to retry.backoff.max.ms (KIP-580).
    /// The rule between two keys that Kafka's consumer checks when it is built (its `Heartbeat`
    /// throws "Heartbeat must be set lower than the session timeout"): a member must heartbeat more
    /// often than its session lasts.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.heartbeat_interval_ms >= self.session_timeout_ms {
            return Err(ConfigError::conflict(
                "session.timeout.ms",
                format!(
                    "must be more than heartbeat.interval.ms ({} ms): Kafka's consumer refuses to start otherwise (got {})",
                    self.heartbeat_interval_ms, self.session_timeout_ms
                ),
            ));
        }
        Ok(())
    }

    pub fn retry_backoff(&self) -> crate::kafka::backoff::ExponentialBackoff {
        crate::kafka::backoff::ExponentialBackoff::new(self.retry_backoff_ms, self.retry_backoff_max_ms)
    }

    /// How often the client refreshes its metadata.
    pub fn metadata_refresh(&self) -> crate::kafka::client_metadata::RefreshConfig {
        crate::kafka::client_metadata::RefreshConfig { retry: self.retry_backoff(), metadata_max_age_ms: self.metadata_max_age_ms }
    }

    /// How long the client stays away from a broker whose connection failed: reconnect.backoff.ms
    /// growing to reconnect.backoff.max.ms.
    pub fn reconnect_backoff(&self) -> crate::kafka::backoff::ExponentialBackoff {
        crate::kafka::backoff::ExponentialBackoff::new(self.reconnect_backoff_ms, self.reconnect_backoff_max_ms)
    }

    /// The assignors in preference order, as short names.
    pub fn assignors(&self) -> Vec<&'static str> {
        self.partition_assignment_strategy.iter().filter_map(|n| short_assignor_name(n)).collect()
    }
}
