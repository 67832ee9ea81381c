//! Consumer group assignors, exactly as Kafka computes them (SEMANTICS §3).
