//! Consumer group assignors, exactly as Kafka computes them (SEMANTICS §3).
pub mod java_hash_order;
