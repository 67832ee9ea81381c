//! Replication: leader election rules, the leader-epoch cache, and (later) ISR and high watermark.

pub mod election;
pub mod epoch_cache;
