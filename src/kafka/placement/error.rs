//! Why a placement was refused, in Kafka's own words.

use crate::kafka::BrokerId;
use std::fmt;

/// A placement Kafka would refuse. `Display` gives Kafka's message where Kafka has one, and
/// [`PlacementError::kafka_exception`] names the exception Kafka throws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlacementError {
    /// `AdminUtils`: a topic needs at least one partition.
    PartitionsNotPositive,
    /// `AdminUtils`: the replication factor is 0 or negative.
    ReplicationFactorNotPositive,
    /// `AdminUtils`: more replicas than brokers, and two replicas of a partition never share a broker.
    ReplicationFactorAboveBrokers { replication_factor: i32, brokers: usize },
    /// `AdminUtils`: some brokers have a rack and some do not, so rack-aware placement cannot run.
    MissingRackInformation,
    /// `StripedReplicaPlacer`: the replication factor is 0 or negative.
    StripedReplicationFactorNotPositive { replication_factor: i32 },
    /// `StripedReplicaPlacer`: more replicas than registered brokers, fenced ones included.
    TooFewRegisteredBrokers { replication_factor: i32, registered: usize },
    /// `StripedReplicaPlacer`: a leader must be unfenced, and every broker is fenced.
    AllBrokersFenced,
    /// The same broker id was listed twice. Kafka's broker lists come from cluster metadata, keyed by
    /// id, so Kafka never sees this; a hand-written list can.
    DuplicateBroker(BrokerId),
    /// The partition ids would pass Java's largest `int`. Kafka's own loop would overflow and fail.
    PartitionIdOverflow { start_partition_id: i32, partitions: i32 },
    /// `AdminUtils`: Java `int` arithmetic wrapped a broker list position negative (a partition id plus
    /// the start index, or a follower shift, passed 2147483647), and `List.get` refused it.
    IndexOutOfBounds { index: i64, length: usize },
    /// A placement loop found no broker to take. Kafka has no message for this because its loop would
    /// never end; the algorithms make it unreachable, and this error stands where that endless loop would be.
    NoBrokerLeft,
}

impl PlacementError {
    /// The exception Kafka throws for this refusal (simple class name).
    pub fn kafka_exception(&self) -> &'static str {
        match self {
            PlacementError::PartitionsNotPositive => "InvalidPartitionsException",
            PlacementError::ReplicationFactorNotPositive
            | PlacementError::ReplicationFactorAboveBrokers { .. }
            | PlacementError::StripedReplicationFactorNotPositive { .. }
            | PlacementError::TooFewRegisteredBrokers { .. }
            | PlacementError::AllBrokersFenced => "InvalidReplicationFactorException",
            PlacementError::MissingRackInformation => "AdminOperationException",
            PlacementError::DuplicateBroker(_) | PlacementError::PartitionIdOverflow { .. } => {
                "IllegalArgumentException"
            }
            PlacementError::IndexOutOfBounds { .. } => "IndexOutOfBoundsException",
            PlacementError::NoBrokerLeft => "IllegalStateException",
        }
    }
}

impl fmt::Display for PlacementError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlacementError::PartitionsNotPositive => write!(f, "Number of partitions must be larger than 0."),
            PlacementError::ReplicationFactorNotPositive => write!(f, "Replication factor must be larger than 0."),
            PlacementError::ReplicationFactorAboveBrokers { replication_factor, brokers } => {
                write!(f, "Replication factor: {replication_factor} larger than available brokers: {brokers}.")
            }
            PlacementError::MissingRackInformation => {
                write!(f, "Not all brokers have rack information for replica rack aware assignment.")
            }
            PlacementError::StripedReplicationFactorNotPositive { replication_factor } => {
                write!(f, "Invalid replication factor {replication_factor}: the replication factor must be positive.")
            }
            PlacementError::TooFewRegisteredBrokers { replication_factor, registered } => write!(
                f,
                "The target replication factor of {replication_factor} cannot be reached because only \
                 {registered} broker(s) are registered."
            ),
            PlacementError::AllBrokersFenced => write!(f, "All brokers are currently fenced."),
            PlacementError::DuplicateBroker(id) => {
                write!(f, "Broker {id} is listed twice; each broker id may appear only once.")
            }
            PlacementError::PartitionIdOverflow { start_partition_id, partitions } => write!(
                f,
                "Partition ids from {start_partition_id} for {partitions} partitions would pass 2147483647, \
                 the largest partition id Kafka can hold."
            ),
            PlacementError::IndexOutOfBounds { index, length } => write!(f, "Index {index} out of bounds for length {length}"),
            PlacementError::NoBrokerLeft => {
                write!(f, "No broker is left to place this replica on (Kafka would loop forever here).")
            }
        }
    }
}

impl std::error::Error for PlacementError {}

/// Refuses a broker list that names a broker twice (both placers would put two replicas on it).
pub(crate) fn check_distinct(ids: impl IntoIterator<Item = BrokerId>) -> Result<(), PlacementError> {
    let mut seen = crate::sim::sorted::SortedSet::new();
    match ids.into_iter().find(|id| !seen.insert(*id)) {
        Some(duplicate) => Err(PlacementError::DuplicateBroker(duplicate)),
        None => Ok(()),
    }
}
