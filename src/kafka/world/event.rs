//! What the engine tells the world: every change a learner could see, with its cause.
//!
//! Anything that travels carries `sent_at` and `arrive_at`, so the UI can move a dot between them
//! without ever feeding back into the run. Events hash into the run's trace hash.

use crate::kafka::config::OffsetReset;
use crate::kafka::ids::{BrokerId, Node, PartitionIndex};
use crate::kafka::log::RollReason;
use crate::kafka::log::retention::RetentionReason;
use crate::kafka::metadata::ChangeReason;
use crate::kafka::protocol::{KafkaError, MessageKind};
use crate::kafka::record::RecordId;
use crate::sim::Tick;
use crate::sim::net::LossReason;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// Position in the run's event stream (0, 1, 2, …).
    pub seq: u64,
    pub at: Tick,
    pub kind: EventKind,
}

/// Why a message did not arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DropReason {
    Network(LossReason),
    /// The receiving process died while the message was on its way.
    NodeDown,
    /// A request to a process already dead: its machine refused the connection, and the request was
    /// never sent (the sender hears so and keeps it, see `Message::Disconnected`).
    Refused,
    /// The sending process died while a network partition held its message.
    SenderDied,
}

/// Why a follower truncated its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TruncateCause {
    /// Its log diverged from the new leader's: records of an older epoch the leader never had.
    DivergingEpoch { leader: BrokerId, epoch: i32 },
    /// Its fetch offset fell below the leader's log start: it restarts there.
    BelowLeaderLogStart { leader: BrokerId },
    /// A crash lost the page cache: everything not flushed to disk is gone.
    LostPageCache,
}

/// Why a group rebalances (or lost a member).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RebalanceReason {
    /// A consumer joined (the first members of an empty group, or a newcomer).
    MemberJoined { consumer: u32 },
    /// A consumer left cleanly (LeaveGroup).
    MemberLeft { consumer: u32 },
    /// A consumer sent no heartbeat for session.timeout.ms.
    SessionTimeout { consumer: u32, silent_ms: u64 },
    /// A consumer did not call poll within max.poll.interval.ms and left the group.
    PollTimeout { consumer: u32 },
    /// A member's subscription changed, or the leader saw the topics' partitions change.
    SubscriptionChanged { consumer: u32 },
    /// A member did not rejoin before the rebalance timeout.
    RejoinTimeout { consumer: u32 },
}

/// Why a consumer's position was reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResetCause {
    /// No committed offset for the partition.
    NoCommittedOffset,
    /// The position fell outside the log (retention deleted it, or it ran past the end).
    OffsetOutOfRange { position: u64 },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    // The network.
    MessageSent {
        id: u64,
        from: Node,
        to: Node,
        kind: MessageKind,
        sent_at: Tick,
        arrive_at: Tick,
        bytes: u64,
        records: u32,
        partition: Option<PartitionIndex>,
        /// Lost transmissions TCP repaired on the way (each cost a retransmission timeout).
        retransmits: u8,
    },
    MessageDropped { id: u64, from: Node, to: Node, kind: MessageKind, reason: DropReason },
    /// A network partition holds the message (TCP keeps retransmitting); it moves on when healed.
    MessageHeld { id: u64, from: Node, to: Node, kind: MessageKind, cut: u32 },
    NetworkCut { cut: u32, side_a: Rc<[Node]>, side_b: Rc<[Node]> },
    NetworkHealed { cut: u32 },
    LinkChanged { from: Node, to: Node, latency_ms: u64, loss_percent: u32, drop_percent: u32 },
    DiskSlowed { broker: BrokerId, factor: u64 },

    // Brokers and the controller.
    BrokerStopped { broker: BrokerId, lost_page_cache: bool },
    BrokerStarted { broker: BrokerId },
    BrokerRegistered { broker: BrokerId, epoch: u64 },
    BrokerRegistrationRefused { broker: BrokerId, error: KafkaError },
    BrokerFenced { broker: BrokerId, silent_ms: u64 },
    BrokerUnfenced { broker: BrokerId },
    TopicCreated { topic: u32, name: String, partitions: u32, replication_factor: u32 },
    PartitionsAdded { topic: u32, from: u32, to: u32 },
    ConfigChanged { target: String, key: String, value: String },
    LeaderChanged { partition: PartitionIndex, leader: Option<BrokerId>, previous: Option<BrokerId>, epoch: i32, reason: ChangeReason },
    IsrChanged { partition: PartitionIndex, isr: Rc<[BrokerId]>, previous: Rc<[BrokerId]>, reason: ChangeReason },
    /// A broker took leadership (it learned of its election): from here its log is the partition's.
    BecameLeader { broker: BrokerId, partition: PartitionIndex, epoch: i32, log_end_offset: u64 },

    // Logs.
    Appended { broker: BrokerId, partition: PartitionIndex, base_offset: u64, last_offset: u64, leader_epoch: i32, as_leader: bool },
    HighWatermark { broker: BrokerId, partition: PartitionIndex, offset: u64 },
    SegmentRolled { broker: BrokerId, partition: PartitionIndex, base_offset: u64, reason: RollReason },
    SegmentDeleted { broker: BrokerId, partition: PartitionIndex, base_offset: u64, next_offset: u64, reason: RetentionReason, log_start_offset: u64 },
    Truncated { broker: BrokerId, partition: PartitionIndex, to_offset: u64, removed_records: u64, cause: TruncateCause },
    Flushed { broker: BrokerId, partition: PartitionIndex, offset: u64 },

    // Producers.
    ProduceAcked { producer: u32, partition: PartitionIndex, base_offset: u64, records: u32, latency_ms: u64 },
    ProduceFailed { producer: u32, partition: PartitionIndex, records: u32, error: KafkaError, retrying: bool },
    /// An acks=0 batch left the producer: it counts as sent, with no offset known.
    ProduceSentNoAck { producer: u32, partition: PartitionIndex, records: u32 },

    // Consumers.
    Polled { consumer: u32, partition: PartitionIndex, first_offset: u64, last_offset: u64, records: u32 },
    Processed { consumer: u32, partition: PartitionIndex, first_offset: u64, last_offset: u64, records: u32 },
    PositionReset { consumer: u32, partition: PartitionIndex, offset: u64, policy: OffsetReset, cause: ResetCause },
    ConsumerError { consumer: u32, partition: PartitionIndex, error: KafkaError },
    ConsumerCrashed { consumer: u32 },
    ConsumerStarted { consumer: u32 },

    // The guarantee ledger.
    /// A guarantee broke: `records` records from `offset` on, because of event `caused_by`.
    Violation { kind: ViolationKind, partition: PartitionIndex, offset: u64, records: u32, record: Option<RecordId>, caused_by: u64 },

    // New variants go last: a variant's position is part of every event's trace hash.
    // Consumer groups.
    /// The coordinator starts a rebalance of `group` (its generation so far, and why).
    RebalanceStarted { group: Rc<str>, coordinator: BrokerId, generation: i32, reason: RebalanceReason },
    /// The join phase completed: a new generation with its protocol, leader and members (consumers).
    GenerationStarted { group: Rc<str>, generation: i32, protocol: Rc<str>, leader: Option<u32>, members: Rc<[u32]> },
    /// The leader's assignment arrived: the group is stable in this generation.
    GroupStable { group: Rc<str>, generation: i32 },
    /// The coordinator removed a member.
    MemberRemoved { group: Rc<str>, consumer: u32, reason: RebalanceReason },
    /// A consumer's partitions changed (eager: everything first revoked; cooperative: only what moves).
    AssignmentChanged { consumer: u32, group: Rc<str>, generation: i32, assigned: Rc<[PartitionIndex]>, revoked: Rc<[PartitionIndex]>, added: Rc<[PartitionIndex]> },
    /// A consumer gave up partitions (onPartitionsRevoked) before rejoining.
    PartitionsRevoked { consumer: u32, group: Rc<str>, partitions: Rc<[PartitionIndex]> },
    /// The coordinator stored committed offsets (durable in `__consumer_offsets`).
    OffsetsCommitted { group: Rc<str>, consumer: Option<u32>, offsets: Rc<[(PartitionIndex, u64)]> },
    OffsetCommitFailed { group: Rc<str>, consumer: u32, error: KafkaError },
    /// A consumer resumes a partition at its group's committed offset.
    PositionRestored { consumer: u32, partition: PartitionIndex, offset: u64 },
    /// A broker took over as a group's coordinator and loaded its state from `__consumer_offsets`.
    CoordinatorLoaded { group: Rc<str>, coordinator: BrokerId, generation: i32 },

    // Transactions.
    /// A transaction moved on (Ongoing, PrepareCommit/Abort, CompleteCommit/Abort) at its coordinator.
    TransactionStateChanged { transactional_id: Rc<str>, producer: Option<u32>, state: crate::kafka::txn::coordinator::TxnState },
    /// A commit or abort marker was written into a partition (a control record).
    MarkerWritten { broker: BrokerId, partition: PartitionIndex, offset: u64, producer_id: i64, commit: bool },
    /// A transactional producer learned a newer instance (or a timeout) bumped its epoch: it stops.
    ProducerFenced { producer: u32, producer_epoch: i16 },
    /// A producer's process died with these records unsent or unacknowledged.
    ProducerCrashed { producer: u32, records_lost: u64 },
    ProducerStarted { producer: u32 },

    // The controller quorum.
    /// A controller's wait for its leader ran out: it stands for election in a new epoch.
    ControllerElectionStarted { controller: u32, epoch: u32 },
    /// A controller won a majority of votes: it is the active controller for `epoch`.
    ControllerElected { controller: u32, epoch: u32 },
    /// A leader no longer fetched from by a majority steps down (check-quorum).
    ControllerResigned { controller: u32, epoch: u32 },
    ControllerStopped { controller: u32 },
    ControllerStarted { controller: u32 },
    /// DeleteRecords moved the partition's log start on its leader: the records below are gone for
    /// every reader.
    RecordsDeleted { broker: BrokerId, partition: PartitionIndex, log_start_offset: u64 },
    /// An idempotent producer found that leaders of `partitions` lost records it had acknowledged: it
    /// raised its epoch to `producer_epoch` and numbers their unfinished batches from 0 again.
    ProducerEpochBumped { producer: u32, producer_epoch: i16, partitions: Rc<[PartitionIndex]> },
    // Added after the kinds above: a new kind goes last, so that runs without it keep their trace
    // hashes (the derived Hash numbers kinds in declaration order).
    /// An acks=0 batch came back: its leader's machine refused the connection, so it never left the
    /// producer after all and waits to be sent again.
    ProduceUnsent { producer: u32, partition: PartitionIndex, records: u32 },
    /// A consumer dropped its partitions without committing (onPartitionsLost): its generation was
    /// reset (its session expired, it was fenced, or it left for not polling), so it cannot commit
    /// for them, or it closed while a rebalance was under way.
    PartitionsLost { consumer: u32, group: Rc<str>, partitions: Rc<[PartitionIndex]> },
    /// The application closed the consumer cleanly, once it had finished what it was processing.
    /// `left_group`: it sent LeaveGroup (a dynamic member with a known coordinator).
    ConsumerClosed { consumer: u32, left_group: bool },
    /// The producer's application waited max.block.ms inside `send()` (its topic's metadata had not
    /// come, or buffer.memory stayed full) and `send()` threw a TimeoutException: these records were
    /// never handed to the producer.
    SendTimedOut { producer: u32, records: u64, buffer_full: bool },
    /// The consumer's `poll()` threw an error Kafka's client does not retry (the coordinator
    /// refused its JoinGroup with INVALID_SESSION_TIMEOUT), and the application, which does not
    /// catch it, died.
    ConsumerFailed { consumer: u32, error: KafkaError },
}

/// The guarantees the ledger watches (see `src/kafka/invariants/`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViolationKind {
    /// A record the producer was told was written is gone from the partition.
    AckedRecordLost,
    /// A consumer read a record above the high watermark (never committed).
    ReadAboveHighWatermark,
    /// A producer that promises order (idempotent, or one request in flight) had records land out of order.
    OrderBroken,
    /// An idempotent producer's record was written twice.
    DuplicateRecord,
    /// Two brokers accepted writes for one partition in the same leader epoch.
    TwoLeadersOneEpoch,
    /// A leader's high watermark went backwards.
    HighWatermarkBackwards,
    /// A committed offset (below the high watermark) now holds a different record.
    OffsetReused,
}

impl ViolationKind {
    pub const ALL: [ViolationKind; 7] = [
        ViolationKind::AckedRecordLost,
        ViolationKind::ReadAboveHighWatermark,
        ViolationKind::OrderBroken,
        ViolationKind::DuplicateRecord,
        ViolationKind::TwoLeadersOneEpoch,
        ViolationKind::HighWatermarkBackwards,
        ViolationKind::OffsetReused,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::AckedRecordLost => "acked_record_lost",
            ViolationKind::ReadAboveHighWatermark => "read_above_high_watermark",
            ViolationKind::OrderBroken => "order_broken",
            ViolationKind::DuplicateRecord => "duplicate_record",
            ViolationKind::TwoLeadersOneEpoch => "two_leaders_one_epoch",
            ViolationKind::HighWatermarkBackwards => "high_watermark_backwards",
            ViolationKind::OffsetReused => "offset_reused",
        }
    }
}
