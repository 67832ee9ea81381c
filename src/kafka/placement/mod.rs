//! Replica placement at topic creation (SEMANTICS §4): which brokers hold each new partition's
//! replicas, and which of them is the preferred leader (the first).
//!
//! - [`assign_replicas_to_brokers`]: `AdminUtils`, used by Kafka's admin tools and the ZooKeeper-era
//!   controller. Deterministic given a start index; rack-aware when every broker has a rack.
//! - [`StripedReplicaPlacer`]: what a KRaft controller uses. It draws from a Java `Random`; with
//!   Kafka's test [`MockRandom`] it reproduces Kafka's test expectations exactly.

mod admin_utils;
mod error;
pub mod java_random;
mod striped;

pub use admin_utils::{
    BrokerMetadata, ReplicaAssignment, assign_replicas_to_brokers, assign_replicas_with_draws, rack_alternated_broker_list,
};
pub use error::PlacementError;
pub use java_random::{JavaRandom, JavaUtilRandom, MockRandom};
pub use striped::{RackList, StripedReplicaPlacer, UsableBroker};
