//! The messages that cross the simulated network, modelled on Kafka's requests and responses.
//!
//! Each carries just what the receiving side needs; sizes approximate the wire format so bandwidth
//! and the sequential-I/O lesson see realistic bytes.

use crate::kafka::config::{Acks, IsolationLevel};
use crate::kafka::ids::{BrokerId, PartitionIndex, TopicPartition};
use crate::kafka::metadata::{MetadataImage, MetadataRecord};
use crate::kafka::record::{Batch, ProducerStamp};
use std::rc::Rc;

/// Kafka's error codes that the simulation produces, by their Kafka names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum KafkaError {
    NotLeaderOrFollower,
    NotEnoughReplicas,
    NotEnoughReplicasAfterAppend,
    RequestTimedOut,
    OffsetOutOfRange,
    FencedLeaderEpoch,
    UnknownLeaderEpoch,
    OutOfOrderSequenceNumber,
    DuplicateSequenceNumber,
    InvalidProducerEpoch,
    ProducerFenced,
    MessageTooLarge,
    UnknownTopicOrPartition,
    /// The connection broke (the peer died or the request was lost and timed out on the client).
    NetworkException,
    /// The producer gave up: the batch sat longer than delivery.timeout.ms (Kafka's client throws a
    /// `TimeoutException`; there is no wire error code for it).
    DeliveryTimeout,
    CoordinatorNotAvailable,
    NotCoordinator,
    IllegalGeneration,
    UnknownMemberId,
    RebalanceInProgress,
    MemberIdRequired,
    FencedInstanceId,
    InvalidTxnState,
    ConcurrentTransactions,
    /// A broker registered while the controller still had a live session for an earlier incarnation.
    DuplicateBrokerRegistration,
    /// The transaction was aborted before this batch was sent (Kafka's client throws a
    /// `TransactionAbortedException`; there is no wire error code for it).
    TransactionAborted,
    /// The transaction coordinator has no transaction for this transactional id (its state was
    /// lost): the producer aborts by asking for a new producer id (KIP-360).
    InvalidProducerIdMapping,
    /// A consumer with `auto.offset.reset = none` found no committed offset to start from (Kafka's
    /// client throws a `NoOffsetForPartitionException`; there is no wire error code for it).
    NoOffsetForPartition,
    /// The member's session.timeout.ms lies outside the brokers' group.min.session.timeout.ms and
    /// group.max.session.timeout.ms: the coordinator refuses its JoinGroup.
    InvalidSessionTimeout,
}

impl KafkaError {
    pub const ALL: [KafkaError; 29] = [
        KafkaError::NotLeaderOrFollower,
        KafkaError::NotEnoughReplicas,
        KafkaError::NotEnoughReplicasAfterAppend,
        KafkaError::RequestTimedOut,
        KafkaError::OffsetOutOfRange,
        KafkaError::FencedLeaderEpoch,
        KafkaError::UnknownLeaderEpoch,
        KafkaError::OutOfOrderSequenceNumber,
        KafkaError::DuplicateSequenceNumber,
        KafkaError::InvalidProducerEpoch,
        KafkaError::ProducerFenced,
        KafkaError::MessageTooLarge,
        KafkaError::UnknownTopicOrPartition,
        KafkaError::NetworkException,
        KafkaError::DeliveryTimeout,
        KafkaError::CoordinatorNotAvailable,
        KafkaError::NotCoordinator,
        KafkaError::IllegalGeneration,
        KafkaError::UnknownMemberId,
        KafkaError::RebalanceInProgress,
        KafkaError::MemberIdRequired,
        KafkaError::FencedInstanceId,
        KafkaError::InvalidTxnState,
        KafkaError::ConcurrentTransactions,
        KafkaError::DuplicateBrokerRegistration,
        KafkaError::TransactionAborted,
        KafkaError::InvalidProducerIdMapping,
        KafkaError::NoOffsetForPartition,
        KafkaError::InvalidSessionTimeout,
    ];

    /// The error with this Kafka name.
    pub fn from_kafka_name(name: &str) -> Option<KafkaError> {
        KafkaError::ALL.into_iter().find(|e| e.kafka_name() == name)
    }

    /// Kafka's name for the error, as a learner would search for it.
    pub fn kafka_name(self) -> &'static str {
        match self {
            KafkaError::NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
            KafkaError::NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
            KafkaError::NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
            KafkaError::RequestTimedOut => "REQUEST_TIMED_OUT",
            KafkaError::OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
            KafkaError::FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
            KafkaError::UnknownLeaderEpoch => "UNKNOWN_LEADER_EPOCH",
            KafkaError::OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
            KafkaError::DuplicateSequenceNumber => "DUPLICATE_SEQUENCE_NUMBER",
            KafkaError::InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
            KafkaError::ProducerFenced => "PRODUCER_FENCED",
            KafkaError::MessageTooLarge => "MESSAGE_TOO_LARGE",
            KafkaError::UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
            KafkaError::NetworkException => "NETWORK_EXCEPTION",
            KafkaError::DeliveryTimeout => "DELIVERY_TIMEOUT",
            KafkaError::CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
            KafkaError::NotCoordinator => "NOT_COORDINATOR",
            KafkaError::IllegalGeneration => "ILLEGAL_GENERATION",
            KafkaError::UnknownMemberId => "UNKNOWN_MEMBER_ID",
            KafkaError::RebalanceInProgress => "REBALANCE_IN_PROGRESS",
            KafkaError::MemberIdRequired => "MEMBER_ID_REQUIRED",
            KafkaError::FencedInstanceId => "FENCED_INSTANCE_ID",
            KafkaError::InvalidTxnState => "INVALID_TXN_STATE",
            KafkaError::ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
            KafkaError::DuplicateBrokerRegistration => "DUPLICATE_BROKER_REGISTRATION",
            KafkaError::TransactionAborted => "TRANSACTION_ABORTED",
            KafkaError::InvalidProducerIdMapping => "INVALID_PRODUCER_ID_MAPPING",
            KafkaError::NoOffsetForPartition => "NO_OFFSET_FOR_PARTITION",
            KafkaError::InvalidSessionTimeout => "INVALID_SESSION_TIMEOUT",
        }
    }

    /// Whether a producer retries a batch that failed with this error. OUT_OF_ORDER_SEQUENCE_NUMBER
    /// is not, by itself: whether that batch is retried depends on the producer's sequence state
    /// (`producer::sequence::out_of_order_answer`).
    pub fn is_retriable_for_produce(self) -> bool {
        matches!(
            self,
            KafkaError::NotLeaderOrFollower
                | KafkaError::NotEnoughReplicas
                | KafkaError::NotEnoughReplicasAfterAppend
                | KafkaError::RequestTimedOut
                | KafkaError::NetworkException
                | KafkaError::UnknownTopicOrPartition
        )
    }
}

impl std::fmt::Display for KafkaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kafka_name())
    }
}

/// A batch as the producer sends it: records without offsets yet.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProduceBatch {
    pub partition: PartitionIndex,
    pub producer: ProducerStamp,
    pub transactional: bool,
    pub records: Rc<[crate::kafka::record::Record]>,
    pub size_bytes: u32,
    pub max_timestamp_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProduceRequest {
    pub request_id: u64,
    pub acks: Acks,
    pub timeout_ms: u64,
    pub batches: Vec<ProduceBatch>,
}

/// One partition's answer to a produce request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProducePartitionResult {
    pub partition: PartitionIndex,
    /// The base offset the leader gave the batch, or the error.
    pub result: Result<u64, KafkaError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProduceResponse {
    pub request_id: u64,
    pub results: Vec<ProducePartitionResult>,
}

/// One partition of a fetch request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FetchPartition {
    pub partition: PartitionIndex,
    pub fetch_offset: u64,
    /// The epoch of the last batch the follower has (followers only): lets the leader detect divergence.
    pub last_fetched_epoch: Option<i32>,
    /// The leader epoch the fetcher believes is current.
    pub current_leader_epoch: i32,
    /// The follower's log start offset (followers only).
    pub log_start_offset: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FetchRequest {
    pub request_id: u64,
    /// Set for a follower's fetch; `None` for a consumer's.
    pub replica: Option<(BrokerId, u64)>,
    pub max_wait_ms: u64,
    pub min_bytes: u64,
    pub max_bytes: u64,
    pub max_partition_bytes: u64,
    pub isolation: IsolationLevel,
    pub partitions: Vec<FetchPartition>,
}

/// One partition's data in a fetch response.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FetchPartitionData {
    pub partition: PartitionIndex,
    pub error: Option<KafkaError>,
    pub high_watermark: u64,
    pub last_stable_offset: u64,
    pub log_start_offset: u64,
    /// The leader's LEO (what a follower's OffsetOutOfRange handling asks the leader for).
    pub log_end_offset: u64,
    pub batches: Vec<Batch>,
    /// Set when the follower's log diverged from the leader's: (epoch, end offset) to truncate to.
    pub diverging_epoch: Option<(i32, u64)>,
    /// Producer ids and first offsets of aborted transactions in the returned range (read_committed).
    pub aborted_transactions: Vec<(i64, u64)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FetchResponse {
    pub request_id: u64,
    pub partitions: Vec<FetchPartitionData>,
}

/// Where ListOffsets should look.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    Timestamp(u64),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Message {
    MetadataRequest { request_id: u64 },
    MetadataResponse { request_id: u64, image: Rc<MetadataImage> },
    Produce(ProduceRequest),
    ProduceResponse(ProduceResponse),
    Fetch(Rc<FetchRequest>),
    FetchResponse(FetchResponse),
    ListOffsets { request_id: u64, partition: PartitionIndex, spec: OffsetSpec, isolation: IsolationLevel },
    ListOffsetsResponse { request_id: u64, partition: PartitionIndex, result: Result<Option<u64>, KafkaError> },
    InitProducerId { request_id: u64 },
    InitProducerIdResponse { request_id: u64, producer_id: i64, producer_epoch: i16 },
    /// The request failed with its connection. `refused`: the peer's process was already dead when
    /// the request was sent, so a real client's connection attempt was refused and the request never
    /// left it (otherwise the peer died while the request was outstanding: the connection reset).
    Disconnected { request_id: u64, refused: bool },
    /// An acks=0 produce request whose connection was refused (see `Disconnected`): the producer
    /// keeps no copy of what it sends without acknowledgement, so the refusal hands the request back.
    /// In Kafka the request never left the client, and its batches are still the producer's.
    ProduceRefused(ProduceRequest),
    BrokerRegistration { request_id: u64, incarnation: u64 },
    /// The new broker epoch, or why registration was refused.
    BrokerRegistrationResponse { request_id: u64, result: Result<u64, KafkaError> },
    BrokerHeartbeat { request_id: u64, broker_epoch: u64, metadata_offset: u64 },
    BrokerHeartbeatResponse { request_id: u64, fenced: bool },
    /// A broker's long-poll for metadata records after `from_offset`.
    MetadataFetch { request_id: u64, from_offset: u64 },
    MetadataFetchResponse { request_id: u64, from_offset: u64, records: Rc<[MetadataRecord]> },
    AlterPartition {
        request_id: u64,
        partition: PartitionIndex,
        leader_epoch: i32,
        partition_epoch: i32,
        new_isr: Vec<BrokerId>,
        broker_epoch: u64,
    },
    AlterPartitionResponse {
        request_id: u64,
        partition: PartitionIndex,
        /// The committed state (isr, leader epoch, partition epoch), or why it was refused.
        result: Result<(Vec<BrokerId>, i32, i32), AlterPartitionError>,
    },
    /// Boxed, like every large and rare payload: messages are moved many times on their way.
    Group { request_id: u64, group: Rc<str>, request: Box<GroupRequest> },
    GroupResponse { request_id: u64, group: Rc<str>, response: Box<GroupResponse> },
    Txn { request_id: u64, transactional_id: Rc<str>, request: Box<TxnRequest> },
    TxnResponse { request_id: u64, transactional_id: Rc<str>, response: Box<TxnResponse> },
    /// From a transaction coordinator to a partition leader: write the commit or abort marker.
    WriteTxnMarkers { request_id: u64, producer_id: i64, producer_epoch: i16, commit: bool, partitions: Rc<[PartitionIndex]> },
    WriteTxnMarkersResponse { request_id: u64, results: Vec<(PartitionIndex, Result<(), KafkaError>)> },
    /// A controller that does not lead the quorum answers a broker with where the leader is.
    NotController { request_id: u64, leader: Option<u32> },
    /// A follower controller fetches the metadata log from the quorum leader.
    QuorumFetch { request_id: u64, epoch: u32, fetch_offset: u64, last_fetched_epoch: u32 },
    QuorumFetchResponse { request_id: u64, epoch: u32, leader: Option<u32>, result: QuorumFetchResult },
    /// A candidate asks for a vote in `epoch`; its log ends with a record of `last_epoch` at `last_offset`.
    /// A vote request; `pre_vote` asks only whether the voter would vote (KIP-996), binding nothing.
    Vote { request_id: u64, epoch: u32, last_epoch: u32, last_offset: u64, pre_vote: bool },
    VoteResponse { request_id: u64, epoch: u32, granted: bool },
    /// A new quorum leader tells the other voters.
    BeginQuorumEpoch { epoch: u32 },
    /// AdminClient.deleteRecords: move each partition's log start up to the offset.
    DeleteRecords { request_id: u64, partitions: Vec<(PartitionIndex, u64)> },
    /// Each partition's new log start (its low watermark), or why not.
    DeleteRecordsResponse { request_id: u64, results: Vec<(PartitionIndex, Result<u64, KafkaError>)> },
}

/// What the quorum leader answers a follower's fetch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum QuorumFetchResult {
    /// Records from the fetch offset on (each with its epoch), and the quorum high watermark.
    Records { records: Rc<[(u32, MetadataRecord)]>, high_watermark: u64 },
    /// The follower's log parted from the leader's: truncate to this offset and fetch again.
    Diverging { truncate_to: u64 },
    /// This controller does not lead `epoch`.
    NotLeader,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlterPartitionError {
    FencedLeaderEpoch,
    InvalidUpdateVersion,
    IneligibleReplica,
    NotController,
}

/// A member's subscription as it travels in JoinGroup (the assignor's input for that member).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Subscription {
    pub topics: Vec<Rc<str>>,
    /// Partitions the member owns now (sent for cooperative rebalancing and the sticky assignors).
    pub owned: Vec<TopicPartition>,
    pub generation: Option<i32>,
}

/// What JoinGroup answers when the join phase completes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct JoinResult {
    pub member_id: Rc<str>,
    pub generation: i32,
    pub protocol: Rc<str>,
    pub leader: Rc<str>,
    /// Every member's id, instance id and subscription: sent to the leader only.
    pub members: Vec<(Rc<str>, Option<Rc<str>>, Subscription)>,
}

/// The group requests of the classic consumer protocol.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupRequest {
    FindCoordinator,
    JoinGroup {
        member_id: Option<Rc<str>>,
        instance_id: Option<Rc<str>>,
        session_timeout_ms: u64,
        rebalance_timeout_ms: u64,
        /// (assignor name, subscription) in preference order.
        protocols: Vec<(Rc<str>, Subscription)>,
    },
    SyncGroup { generation: i32, member_id: Rc<str>, assignments: Vec<(Rc<str>, Vec<TopicPartition>)> },
    Heartbeat { generation: i32, member_id: Rc<str> },
    LeaveGroup { member_id: Rc<str>, reason: Rc<str> },
    OffsetCommit { generation: i32, member_id: Option<Rc<str>>, offsets: Vec<(PartitionIndex, u64)> },
    OffsetFetch { partitions: Vec<PartitionIndex> },
    /// Offsets committed inside a transaction: they count only if the transaction commits.
    TxnOffsetCommit { producer_id: i64, producer_epoch: i16, offsets: Vec<(PartitionIndex, u64)> },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupResponse {
    FindCoordinator(Result<BrokerId, KafkaError>),
    /// On MEMBER_ID_REQUIRED the error carries the id to rejoin with.
    JoinGroup(Result<JoinResult, (KafkaError, Option<Rc<str>>)>),
    SyncGroup(Result<Vec<TopicPartition>, KafkaError>),
    Heartbeat(Result<(), KafkaError>),
    LeaveGroup(Result<(), KafkaError>),
    OffsetCommit(Result<(), KafkaError>),
    OffsetFetch(Result<Vec<(PartitionIndex, Option<u64>)>, KafkaError>),
    TxnOffsetCommit(Result<(), KafkaError>),
}

/// A transactional producer's requests to its transaction coordinator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TxnRequest {
    FindCoordinator,
    InitProducerId { timeout_ms: u64 },
    AddPartitions { producer_id: i64, producer_epoch: i16, partitions: Vec<PartitionIndex> },
    /// Adds the group's `__consumer_offsets` partition (sendOffsetsToTransaction).
    AddOffsets { producer_id: i64, producer_epoch: i16, group: Rc<str> },
    EndTxn { producer_id: i64, producer_epoch: i16, commit: bool },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TxnResponse {
    FindCoordinator(Result<BrokerId, KafkaError>),
    InitProducerId(Result<(i64, i16), KafkaError>),
    AddPartitions(Result<(), KafkaError>),
    AddOffsets(Result<(), KafkaError>),
    EndTxn(Result<(), KafkaError>),
}

/// What a message is, for narration and the animation's colours (no payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MessageKind {
    Metadata,
    Produce,
    ProduceResponse,
    Fetch,
    ReplicaFetch,
    FetchResponse,
    ReplicaFetchResponse,
    ListOffsets,
    InitProducerId,
    Disconnected,
    ControllerPlane,
    Group,
    Transaction,
    /// Controllers among themselves: votes and the metadata log's replication.
    Quorum,
}

impl Message {
    /// Approximate bytes on the wire.
    pub fn size_bytes(&self) -> u64 {
        const HEADER: u64 = 64;
        match self {
            Message::Produce(r) => HEADER + r.batches.iter().map(|b| u64::from(b.size_bytes) + 16).sum::<u64>(),
            Message::ProduceResponse(r) => HEADER + 16 * r.results.len() as u64,
            Message::Fetch(r) => HEADER + 28 * r.partitions.len() as u64,
            Message::FetchResponse(r) => {
                HEADER
                    + r.partitions
                        .iter()
                        .map(|p| 40 + p.batches.iter().map(|b| u64::from(b.size_bytes)).sum::<u64>())
                        .sum::<u64>()
            }
            Message::MetadataResponse { image, .. } => HEADER + 40 * image.partitions.len() as u64 + 32 * image.brokers.len() as u64,
            Message::MetadataFetchResponse { records, .. } => HEADER + 48 * records.len() as u64,
            Message::QuorumFetchResponse { result: QuorumFetchResult::Records { records, .. }, .. } => HEADER + 52 * records.len() as u64,
            _ => HEADER,
        }
    }

    /// Records carried (for the animation: a dot's size).
    pub fn record_count(&self) -> u32 {
        match self {
            Message::Produce(r) => r.batches.iter().map(|b| b.records.len() as u32).sum(),
            Message::FetchResponse(r) => r.partitions.iter().flat_map(|p| &p.batches).map(Batch::record_count).sum(),
            _ => 0,
        }
    }

    /// The first partition the message is about (for colouring by partition).
    pub fn first_partition(&self) -> Option<PartitionIndex> {
        match self {
            Message::Produce(r) => r.batches.first().map(|b| b.partition),
            Message::FetchResponse(r) => r.partitions.iter().find(|p| !p.batches.is_empty()).map(|p| p.partition),
            Message::ListOffsets { partition, .. } | Message::AlterPartition { partition, .. } => Some(*partition),
            _ => None,
        }
    }

    pub fn kind(&self) -> MessageKind {
        match self {
            Message::MetadataRequest { .. } | Message::MetadataResponse { .. } => MessageKind::Metadata,
            Message::Produce(_) => MessageKind::Produce,
            Message::ProduceResponse(_) => MessageKind::ProduceResponse,
            Message::Fetch(r) if r.replica.is_some() => MessageKind::ReplicaFetch,
            Message::Fetch(_) => MessageKind::Fetch,
            Message::FetchResponse(_) => MessageKind::FetchResponse,
            Message::ListOffsets { .. } | Message::ListOffsetsResponse { .. } => MessageKind::ListOffsets,
            Message::InitProducerId { .. } | Message::InitProducerIdResponse { .. } => MessageKind::InitProducerId,
            Message::Disconnected { .. } | Message::ProduceRefused(_) => MessageKind::Disconnected,
            Message::Group { .. } | Message::GroupResponse { .. } => MessageKind::Group,
            Message::Txn { .. } | Message::TxnResponse { .. } | Message::WriteTxnMarkers { .. } | Message::WriteTxnMarkersResponse { .. } => MessageKind::Transaction,
            Message::QuorumFetch { .. } | Message::QuorumFetchResponse { .. } | Message::Vote { .. } | Message::VoteResponse { .. } | Message::BeginQuorumEpoch { .. } => MessageKind::Quorum,
            _ => MessageKind::ControllerPlane,
        }
    }

    /// The request this message answers, for a response.
    pub fn response_to(&self) -> Option<u64> {
        match self {
            Message::MetadataResponse { request_id, .. }
            | Message::ListOffsetsResponse { request_id, .. }
            | Message::InitProducerIdResponse { request_id, .. }
            | Message::BrokerRegistrationResponse { request_id, .. }
            | Message::BrokerHeartbeatResponse { request_id, .. }
            | Message::MetadataFetchResponse { request_id, .. }
            | Message::AlterPartitionResponse { request_id, .. } => Some(*request_id),
            Message::ProduceResponse(r) => Some(r.request_id),
            Message::FetchResponse(r) => Some(r.request_id),
            Message::GroupResponse { request_id, .. } | Message::TxnResponse { request_id, .. } | Message::WriteTxnMarkersResponse { request_id, .. } => Some(*request_id),
            Message::NotController { request_id, .. } | Message::QuorumFetchResponse { request_id, .. } | Message::VoteResponse { request_id, .. } => Some(*request_id),
            Message::DeleteRecordsResponse { request_id, .. } => Some(*request_id),
            _ => None,
        }
    }

    /// The request id of a request this node may answer with `Disconnected` when it dies holding it.
    pub fn request_id(&self) -> Option<u64> {
        match self {
            Message::MetadataRequest { request_id }
            | Message::ListOffsets { request_id, .. }
            | Message::InitProducerId { request_id }
            | Message::BrokerRegistration { request_id, .. }
            | Message::BrokerHeartbeat { request_id, .. }
            | Message::MetadataFetch { request_id, .. }
            | Message::AlterPartition { request_id, .. } => Some(*request_id),
            Message::Produce(r) => Some(r.request_id),
            Message::Fetch(r) => Some(r.request_id),
            Message::Group { request_id, .. } | Message::Txn { request_id, .. } | Message::WriteTxnMarkers { request_id, .. } => Some(*request_id),
            Message::QuorumFetch { request_id, .. } | Message::Vote { request_id, .. } => Some(*request_id),
            Message::DeleteRecords { request_id, .. } => Some(*request_id),
            _ => None,
        }
    }
}
