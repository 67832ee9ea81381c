//! Consumer groups: the classic protocol's coordinator and Kafka's assignors.

pub mod assignor;
pub mod coordinator;
