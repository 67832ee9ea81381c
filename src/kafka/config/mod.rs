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

/// How long a client waits between its periodic metadata refreshes: Kafka's
/// `Metadata.timeToNextUpdate`, the larger of metadata.max.age.ms and the refresh backoff
/// (retry.backoff.ms), so `metadata.max.age.ms = 0`, which Kafka accepts, refreshes once per backoff.
/// At least 1 ms: a simulated timer that rearms itself at the same moment would never let time pass.
pub fn metadata_refresh_interval_ms(metadata_max_age_ms: u64, retry_backoff_ms: u64) -> u64 {
    metadata_max_age_ms.max(retry_backoff_ms).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_max_age_zero_refreshes_once_per_backoff_and_time_still_passes() {
        assert_eq!(metadata_refresh_interval_ms(300_000, 100), 300_000);
        assert_eq!(metadata_refresh_interval_ms(0, 100), 100);
        assert_eq!(metadata_refresh_interval_ms(0, 0), 1);
    }
}
