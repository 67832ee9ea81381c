//! Broker (cluster-wide) configs with Kafka's names and defaults. Topic configs default from these.

use super::rules::*;
use super::value::kafka_config;

kafka_config! {
    /// Configs every broker in the simulated cluster shares.
    pub struct BrokerConfig ("broker") {
        "num.partitions" => num_partitions: u32 = 1, rule at_least_1_u32;
        "default.replication.factor" => default_replication_factor: u32 = 1, rule at_least_1_u32;
        "min.insync.replicas" => min_insync_replicas: u32 = 1, rule at_least_1_u32;
        "unclean.leader.election.enable" => unclean_leader_election_enable: bool = false;
        "log.segment.bytes" => log_segment_bytes: u64 = 1_073_741_824, rule segment_bytes_rule;
        "log.roll.ms" => log_roll_ms: u64 = 604_800_000, rule at_least_1_u64;
        "log.roll.jitter.ms" => log_roll_jitter_ms: u64 = 0;
        "log.retention.ms" => log_retention_ms: i64 = 604_800_000, rule at_least_minus_1;
        "log.retention.bytes" => log_retention_bytes: i64 = -1, rule at_least_minus_1;
        "log.retention.check.interval.ms" => log_retention_check_interval_ms: u64 = 300_000, rule at_least_1_u64;
        "log.index.interval.bytes" => log_index_interval_bytes: u64 = 4096;
        "log.index.size.max.bytes" => log_index_size_max_bytes: u64 = 10_485_760, rule index_bytes_rule;
        "log.cleanup.policy" => log_cleanup_policy: Vec<String> = vec!["delete".to_string()], rule cleanup_policy_rule;
        "log.flush.interval.messages" => log_flush_interval_messages: i64 = i64::MAX, rule at_least_1_i64;
        "log.flush.interval.ms" => log_flush_interval_ms: i64 = i64::MAX, rule at_least_1_i64;
        "replica.lag.time.max.ms" => replica_lag_time_max_ms: u64 = 30_000, rule at_least_1_u64;
        "replica.fetch.wait.max.ms" => replica_fetch_wait_max_ms: u64 = 500;
        "replica.fetch.min.bytes" => replica_fetch_min_bytes: u64 = 1;
        "replica.fetch.max.bytes" => replica_fetch_max_bytes: u64 = 1_048_576;
        "replica.fetch.backoff.ms" => replica_fetch_backoff_ms: u64 = 1000;
        "broker.heartbeat.interval.ms" => broker_heartbeat_interval_ms: u64 = 2000, rule at_least_1_u64;
        "broker.session.timeout.ms" => broker_session_timeout_ms: u64 = 9000, rule at_least_1_u64;
        "auto.leader.rebalance.enable" => auto_leader_rebalance_enable: bool = true;
        "leader.imbalance.check.interval.seconds" => leader_imbalance_check_interval_seconds: u64 = 300, rule at_least_1_u64;
        "offsets.topic.num.partitions" => offsets_topic_num_partitions: u32 = 50, rule at_least_1_u32;
        "offsets.topic.replication.factor" => offsets_topic_replication_factor: u32 = 3, rule at_least_1_u32;
        "offsets.commit.timeout.ms" => offsets_commit_timeout_ms: u64 = 5000, rule at_least_1_u64;
        "group.initial.rebalance.delay.ms" => group_initial_rebalance_delay_ms: u64 = 3000;
        "group.min.session.timeout.ms" => group_min_session_timeout_ms: u64 = 6000;
        "group.max.session.timeout.ms" => group_max_session_timeout_ms: u64 = 1_800_000;
        "transaction.state.log.num.partitions" => transaction_state_log_num_partitions: u32 = 50, rule at_least_1_u32;
        "transaction.state.log.replication.factor" => transaction_state_log_replication_factor: u32 = 3, rule at_least_1_u32;
        "transaction.state.log.min.isr" => transaction_state_log_min_isr: u32 = 2, rule at_least_1_u32;
        "transaction.max.timeout.ms" => transaction_max_timeout_ms: u64 = 900_000, rule at_least_1_u64;
        "controller.quorum.election.timeout.ms" => controller_quorum_election_timeout_ms: u64 = 1000, rule at_least_1_u64;
        "controller.quorum.fetch.timeout.ms" => controller_quorum_fetch_timeout_ms: u64 = 2000, rule at_least_1_u64;
        "controller.quorum.election.backoff.max.ms" => controller_quorum_election_backoff_max_ms: u64 = 1000, rule at_least_1_u64;
    }
}

/// Kafka's floor for segment.bytes: a segment must hold at least one record's overhead (14 bytes).
/// Kafka 4.0 raised the floor to 1 MiB for production; the lab keeps the older floor so lessons can
/// show small segments roll.
pub fn segment_bytes_rule(v: &u64) -> Result<(), String> {
    if *v >= 14 { Ok(()) } else { Err("must be at least 14 bytes".into()) }
}

pub fn index_bytes_rule(v: &u64) -> Result<(), String> {
    if *v >= 8 { Ok(()) } else { Err("must hold at least one index entry (8 bytes)".into()) }
}

pub fn at_least_1_i64(v: &i64) -> Result<(), String> {
    if *v >= 1 { Ok(()) } else { Err("must be at least 1".into()) }
}

pub fn cleanup_policy_rule(v: &Vec<String>) -> Result<(), String> {
    match v.iter().find(|p| p.as_str() != "delete" && p.as_str() != "compact") {
        Some(bad) => Err(format!("'{bad}' is not a cleanup policy (expected delete, compact or both)")),
        None if v.is_empty() => Err("expected delete, compact or both".into()),
        None => Ok(()),
    }
}
