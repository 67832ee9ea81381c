//! The Kafka model, following `shared/kafka/SEMANTICS.md`.
