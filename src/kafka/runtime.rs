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
    /// Replica fetches that got no answer in time (one armed [`DeadlineTimer`]).
    ReplicaFetchTimeouts,
    Append { key: u64 },
    /// Parked fetches whose max wait passed.
    FetchExpiries,
    /// Parked acks=all produces whose request.timeout.ms passed.
    ProduceExpiries,
    /// Requests to the controller (metadata fetch, AlterPartition) that got no answer.
    ControllerRequestTimeouts,
    /// Group sessions, join and sync phases that timed out (the coordinator's deadlines).
    GroupDeadlines,
    /// The transaction coordinator's check: timed-out transactions, markers to send again.
    TxnCheck,
    SendLater { key: u64 },
    // Controllers.
    SessionCheck,
    ImbalanceCheck,
    MetadataPollExpire { key: u64 },
    /// The quorum's deadlines: a follower that heard nothing from its leader, a candidate whose
    /// election timed out, a leader checking that a majority still fetches from it.
    QuorumCheck,
    /// A follower's next fetch from the quorum leader, after a failed one.
    QuorumFetch,
    // Producers.
    Generate,
    SenderWake,
    RequestTimeout { request_id: u64 },
    /// In-flight produce requests past request.timeout.ms.
    ProduceTimeouts,
    MetadataRetry,
    // Consumers.
    Poll,
    ConsumerRequestTimeout { request_id: u64 },
    /// In-flight consumer fetches past their deadline.
    FetchTimeouts,
    GroupHeartbeat,
    GroupRetry,
    /// A group request past its deadline (request.timeout.ms; a join's, the rebalance timeout too).
    GroupRequestTimeout { request_id: u64 },
    /// Clients refresh metadata every metadata.max.age.ms.
    MetadataRefresh,
}

/// What a handler asks the world to do.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    pub sends: Vec<(Node, Node, Message)>,
    pub timers: Vec<(Tick, Node, Timer)>,
    pub events: Vec<EventKind>,
    /// Facts for the guarantee ledger that events do not carry: (index of the event they belong to
    /// in `events`, fact).
    pub facts: Vec<(usize, Fact)>,
}

/// A fact only the guarantee ledger needs.
#[derive(Clone, Debug)]
pub enum Fact {
    /// A producer was told these records were written at `base_offset`.
    Acked { partition: crate::kafka::ids::PartitionIndex, base_offset: u64, records: std::rc::Rc<[crate::kafka::record::Record]> },
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

    /// Reports an event together with a fact for the ledger about it.
    pub fn event_with_fact(&mut self, kind: EventKind, fact: Fact) {
        self.facts.push((self.events.len(), fact));
        self.events.push(kind);
    }

    pub fn is_empty(&self) -> bool {
        self.sends.is_empty() && self.timers.is_empty() && self.events.is_empty()
    }
}

/// One timer standing in for many deadlines (request timeouts, parked-request expiries).
///
/// Requests usually finish long before their timeout; scheduling a timer per request would fill the
/// event queue with hundreds of thousands of stale entries. Instead a node arms one timer at its
/// earliest deadline, checks every deadline when it fires, and arms again for the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeadlineTimer {
    armed: Option<Tick>,
}

impl DeadlineTimer {
    /// Asks for a wake-up at `deadline`; returns true when a timer must be set (nothing armed at or
    /// before it yet).
    pub fn arm(&mut self, deadline: Tick) -> bool {
        if self.armed.is_some_and(|armed| armed <= deadline) {
            return false;
        }
        self.armed = Some(deadline);
        true
    }

    /// The timer fired at `now`: true when it is the armed one (a stale, superseded firing is false).
    pub fn fire(&mut self, now: Tick) -> bool {
        if self.armed == Some(now) {
            self.armed = None;
            true
        } else {
            false
        }
    }

    /// Forgets the armed time (the node restarted; its old timers are dropped by the world).
    pub fn reset(&mut self) {
        self.armed = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_armed_timer_covers_later_deadlines_and_stale_firings_are_ignored() {
        let mut t = DeadlineTimer::default();
        assert!(t.arm(Tick(300)));
        assert!(!t.arm(Tick(500)), "a later deadline waits for the armed one");
        assert!(t.arm(Tick(100)), "an earlier deadline arms again");
        assert!(!t.fire(Tick(300)), "the superseded firing is stale");
        assert!(t.fire(Tick(100)));
        assert!(t.arm(Tick(500)));
    }
}
