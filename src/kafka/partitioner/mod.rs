//! How a producer picks a record's partition (SEMANTICS §2): an explicit partition wins; then a
//! custom `partitioner.class`; then a key's murmur2 hash over all partitions; else the built-in sticky
//! partitioner for keyless records.

pub mod built_in;
pub mod murmur2;
pub mod round_robin;

pub use built_in::BuiltInPartitioner;
pub use murmur2::{murmur2, partition_for_key, to_positive};
pub use round_robin::RoundRobinPartitioner;
