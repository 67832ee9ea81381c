//! The plumbing every node's handlers share: they never act directly, they record what should
//! happen (messages to send, timers to set, events to report) in an [`Outbox`], and the world carries
//! it out. That keeps each handler a plain function of (state, input, now).

use crate::kafka::ids::{BrokerId, Node};
use crate::kafka::protocol::Message;
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;

/// A timer a node set for itself. The world drops timers set before the node last restarted.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    // Brokers.
    BrokerHeartbeat,
    IsrCheck,
    RetentionCheck,
    Writeback,
    MetadataFetch,
    ReplicaFetch { leader: BrokerId },
    ReplicaFetchTimeout { leader: BrokerId, request_id: u64 },
    Append { key: u64 },
    FetchExpire { key: u64 },
    ProduceExpire { key: u64 },
    SendLater { key: u64 },
    // Controllers.
    SessionCheck,
    ImbalanceCheck,
    MetadataPollExpire { key: u64 },
    // Producers.
    Generate,
    SenderWake,
    RequestTimeout { request_id: u64 },
    MetadataRetry,
    // Consumers.
    Poll,
    ConsumerRequestTimeout { request_id: u64 },
}

/// What a handler asks the world to do.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    pub sends: Vec<(Node, Node, Message)>,
    pub timers: Vec<(Tick, Node, Timer)>,
    pub events: Vec<EventKind>,
}

impl Outbox {
    pub fn send(&mut self, from: Node, to: Node, message: Message) {
        self.sends.push((from, to, message));
    }

    pub fn timer(&mut self, at: Tick, node: Node, timer: Timer) {
        self.timers.push((at, node, timer));
    }

    pub fn event(&mut self, kind: EventKind) {
        self.events.push(kind);
    }

    pub fn is_empty(&self) -> bool {
        self.sends.is_empty() && self.timers.is_empty() && self.events.is_empty()
    }
}
