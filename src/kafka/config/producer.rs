//! Producer configs with Kafka's names and defaults (Kafka 4.0: `linger.ms` is 5, KIP-1030).

use super::rules::*;
use super::value::{ConfigError, ConfigField, ConfigValue, kafka_config};
use serde::{Deserialize, Serialize};
use std::fmt;

/// `acks`: how many replicas must have a record before the producer hears "done".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Acks {
    /// `acks=0`: fire and forget; the broker never answers.
    None,
    /// `acks=1`: the leader answers once it has appended.
    Leader,
    /// `acks=all` (-1): the leader answers once the whole ISR has the record.
    All,
}

impl fmt::Display for Acks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        })
    }
}

impl ConfigField for Acks {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        let text = match value {
            ConfigValue::Int(i) => i.to_string(),
            ConfigValue::Str(s) => s.trim().to_ascii_lowercase(),
            _ => String::new(),
        };
        match text.as_str() {
            "all" | "-1" => Ok(Acks::All),
            "1" => Ok(Acks::Leader),
            "0" => Ok(Acks::None),
            _ => Err("acks must be one of all, -1, 0, 1".into()),
        }
    }
    fn render(&self) -> ConfigValue {
        match self {
            Acks::All => ConfigValue::Str("all".into()),
            Acks::Leader => ConfigValue::Int(1),
            Acks::None => ConfigValue::Int(0),
        }
    }
}

/// Kafka's custom partitioner shipped with the client.
pub const ROUND_ROBIN_PARTITIONER: &str = "org.apache.kafka.clients.producer.RoundRobinPartitioner";

fn partitioner_rule(v: &Option<String>) -> Result<(), String> {
    match v.as_deref() {
        None | Some(ROUND_ROBIN_PARTITIONER | "RoundRobinPartitioner") => Ok(()),
        Some(other) => Err(format!(
            "the lab knows no partitioner class '{other}' (leave it unset for the built-in partitioner, or use {ROUND_ROBIN_PARTITIONER})"
        )),
    }
}

fn in_flight_rule(v: &u32) -> Result<(), String> {
    if *v >= 1 { Ok(()) } else { Err("must be at least 1".into()) }
}

kafka_config! {
    /// One producer's configs.
    pub struct ProducerConfig ("producer") {
        "acks" => acks: Acks = Acks::All;
        "batch.size" => batch_size: u32 = 16_384;
        "linger.ms" => linger_ms: u64 = 5;
        "buffer.memory" => buffer_memory: u64 = 33_554_432, rule at_least_1_u64;
        "max.block.ms" => max_block_ms: u64 = 60_000;
        "max.in.flight.requests.per.connection" => max_in_flight_requests_per_connection: u32 = 5, rule in_flight_rule;
        "retries" => retries: u32 = 2_147_483_647;
        "retry.backoff.ms" => retry_backoff_ms: u64 = 100;
        "retry.backoff.max.ms" => retry_backoff_max_ms: u64 = 1000;
        "reconnect.backoff.ms" => reconnect_backoff_ms: u64 = 50;
        "reconnect.backoff.max.ms" => reconnect_backoff_max_ms: u64 = 1000;
        "request.timeout.ms" => request_timeout_ms: u64 = 30_000, rule at_least_1_u64;
        "delivery.timeout.ms" => delivery_timeout_ms: u64 = 120_000, rule at_least_1_u64;
        "enable.idempotence" => enable_idempotence: bool = true;
        "transactional.id" => transactional_id: Option<String> = None;
        "transaction.timeout.ms" => transaction_timeout_ms: u64 = 60_000, rule at_least_1_u64;
        "partitioner.class" => partitioner_class: Option<String> = None, rule partitioner_rule;
        "partitioner.ignore.keys" => partitioner_ignore_keys: bool = false;
        "partitioner.adaptive.partitioning.enable" => partitioner_adaptive_partitioning_enable: bool = true;
        "partitioner.availability.timeout.ms" => partitioner_availability_timeout_ms: u64 = 0;
        "max.request.size" => max_request_size: u32 = 1_048_576, rule at_least_1_u32;
        "metadata.max.age.ms" => metadata_max_age_ms: u64 = 300_000;
    }
}

impl ProducerConfig {
    /// retry.backoff.ms growing to retry.backoff.max.ms (KIP-580).
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

    /// Kafka's cross-key checks (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`).
    ///
    /// Idempotence is on by default, but when the user did not set it and chose conflicting settings
    /// (acks other than all, more than 5 in flight, retries 0) Kafka quietly turns it off; when the
    /// user set it explicitly, the conflict is an error. `explicit` lists the keys the user set.
    pub fn resolve(&mut self, explicit: &[&str]) -> Result<(), Vec<ConfigError>> {
        let conflicts = self.acks != Acks::All || self.max_in_flight_requests_per_connection > 5 || self.retries == 0;
        let idempotence_explicit = explicit.contains(&"enable.idempotence");
        let mut errors = Vec::new();
        if self.enable_idempotence && conflicts {
            if idempotence_explicit {
                if self.acks != Acks::All {
                    errors.push(ConfigError::conflict("acks", format!("must be all when enable.idempotence is true (got {})", self.acks)));
                }
                if self.max_in_flight_requests_per_connection > 5 {
                    errors.push(ConfigError::conflict(
                        "max.in.flight.requests.per.connection",
                        "must be at most 5 when enable.idempotence is true",
                    ));
                }
                if self.retries == 0 {
                    errors.push(ConfigError::conflict("retries", "must be more than 0 when enable.idempotence is true"));
                }
            } else {
                self.enable_idempotence = false;
            }
        }
        if self.transactional_id.is_some() && !self.enable_idempotence {
            errors.push(ConfigError::conflict("transactional.id", "needs enable.idempotence (a transactional producer is idempotent)"));
        }
        if self.delivery_timeout_ms < self.linger_ms + self.request_timeout_ms {
            errors.push(ConfigError::conflict(
                "delivery.timeout.ms",
                format!(
                    "must be at least linger.ms + request.timeout.ms ({} ms)",
                    self.linger_ms + self.request_timeout_ms
                ),
            ));
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }

    pub fn uses_round_robin_partitioner(&self) -> bool {
        self.partitioner_class.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acks_accepts_kafkas_spellings_only() {
        let mut c = ProducerConfig::default();
        for (v, want) in [(ConfigValue::from("all"), Acks::All), (ConfigValue::from(-1), Acks::All), (ConfigValue::from(1), Acks::Leader), (ConfigValue::from("0"), Acks::None)] {
            c.set("acks", &v).unwrap();
            assert_eq!(c.acks, want);
        }
        let err = c.set("acks", &ConfigValue::from(2)).unwrap_err();
        assert_eq!(err.to_string(), "acks: 2 is not allowed: acks must be one of all, -1, 0, 1");
    }

    #[test]
    fn acks_1_quietly_turns_default_idempotence_off_but_conflicts_with_explicit_idempotence() {
        let mut c = ProducerConfig { acks: Acks::Leader, ..ProducerConfig::default() };
        c.resolve(&["acks"]).unwrap();
        assert!(!c.enable_idempotence);
        let mut c = ProducerConfig { acks: Acks::Leader, ..ProducerConfig::default() };
        let errors = c.resolve(&["acks", "enable.idempotence"]).unwrap_err();
        assert_eq!(errors[0].key, "acks");
    }

    #[test]
    fn kafka_4_defaults() {
        let c = ProducerConfig::default();
        assert_eq!((c.acks, c.batch_size, c.linger_ms, c.enable_idempotence), (Acks::All, 16_384, 5, true));
        assert_eq!((c.max_in_flight_requests_per_connection, c.delivery_timeout_ms), (5, 120_000));
        assert_eq!((c.buffer_memory, c.max_block_ms), (32 * 1024 * 1024, 60_000));
    }
}
