//! What the session follows from every event, replays included: the messages on the wire (for the
//! animation) and the network cuts in force, which the engine's view does not show. Keyframes keep a
//! copy, so a rewind restores it with the world. (Slow disks show in the view; changed links are
//! told by the narration.)

use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::protocol::MessageKind;
use crate::kafka::world::event::{Event, EventKind};
use crate::sim::Tick;

/// How long an arrived message is remembered (ms of simulated time): half a second, so the lab's
/// reduced-motion table, drawn twice a second, shows at 1× every message of the run once, not only
/// the few that happen to be on the wire at the moment it is drawn.
pub const ARRIVED_RECENTLY_MS: u64 = 500;

/// Arrived messages remembered at most (the most recent): a busy run delivers thousands a second.
const ARRIVED_MAX: usize = 100;

/// A message on the wire: a dot from `from` to `to` between `sent_at` and `arrive_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flight {
    pub id: u64,
    pub from: Node,
    pub to: Node,
    pub kind: MessageKind,
    pub sent_at: Tick,
    pub arrive_at: Tick,
    pub bytes: u64,
    /// Records carried (0 for requests and control messages).
    pub records: u32,
    /// The first partition the message is about, if any (the engine reports only the first).
    pub partition: Option<PartitionIndex>,
}

impl Flight {
    /// How far along its path the message is at `t` (0 at the sender, 1 at the receiver).
    pub fn progress(&self, t_ms: f64) -> f64 {
        let start = self.sent_at.ms() as f64;
        let span = (self.arrive_at.ms() as f64 - start).max(1.0);
        ((t_ms - start) / span).clamp(0.0, 1.0)
    }
}

/// A network cut in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CutState {
    pub id: u32,
    pub side_a: Vec<Node>,
    pub side_b: Vec<Node>,
}

#[derive(Clone, Debug, Default)]
pub struct Tracked {
    /// Messages sent and not yet arrived, in the order they were sent.
    pub flights: Vec<Flight>,
    /// Messages that arrived in the last [`ARRIVED_RECENTLY_MS`], in the order they arrived (by
    /// arrival, then id): the same list however the run got to its moment (played, sought, rewound).
    pub arrived: Vec<Flight>,
    /// Cuts in force, by number (a handful at most, so a list).
    pub cuts: Vec<CutState>,
    /// At most this many flights are kept (the oldest are dropped: bounded memory on any run).
    pub flights_max: usize,
}

impl Tracked {
    pub fn new(flights_max: usize) -> Tracked {
        Tracked { flights_max: flights_max.max(1), ..Tracked::default() }
    }

    pub fn observe(&mut self, event: &Event) {
        match &event.kind {
            EventKind::MessageSent { id, from, to, kind, sent_at, arrive_at, bytes, records, partition, .. } => {
                if self.flights.len() >= self.flights_max {
                    let excess = self.flights.len() + 1 - self.flights_max;
                    self.flights.drain(..excess);
                }
                self.flights.push(Flight {
                    id: *id,
                    from: *from,
                    to: *to,
                    kind: *kind,
                    sent_at: *sent_at,
                    arrive_at: *arrive_at,
                    bytes: *bytes,
                    records: *records,
                    partition: *partition,
                });
            }
            EventKind::NetworkCut { cut, side_a, side_b } => {
                self.cuts.retain(|c| c.id != *cut);
                self.cuts.push(CutState { id: *cut, side_a: side_a.to_vec(), side_b: side_b.to_vec() });
            }
            EventKind::NetworkHealed { cut } => self.cuts.retain(|c| c.id != *cut),
            _ => {}
        }
    }

    /// Moves the messages that have arrived by `now` off the wire, and forgets those that arrived
    /// longer ago than [`ARRIVED_RECENTLY_MS`].
    pub fn retire(&mut self, now: Tick) {
        let recent = |f: &Flight| now.since(f.arrive_at) <= ARRIVED_RECENTLY_MS;
        let arrived = &mut self.arrived;
        arrived.retain(recent);
        self.flights.retain(|f| {
            let on_the_wire = f.arrive_at > now;
            // A seek retires a second at a time: what landed longer ago is not recent any more.
            if !on_the_wire && recent(f) {
                let at = arrived.partition_point(|g| (g.arrive_at, g.id) < (f.arrive_at, f.id));
                arrived.insert(at, *f);
            }
            on_the_wire
        });
        let excess = arrived.len().saturating_sub(ARRIVED_MAX);
        arrived.drain(..excess);
    }

    /// Records on the wire (the sum over messages in flight).
    pub fn records_in_flight(&self) -> u64 {
        self.flights.iter().map(|f| u64::from(f.records)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::ids::BrokerId;

    fn flight(id: u64, sent_at: u64, arrive_at: u64) -> Flight {
        Flight {
            id,
            from: Node::Broker(BrokerId(1)),
            to: Node::Broker(BrokerId(2)),
            kind: MessageKind::ReplicaFetch,
            sent_at: Tick(sent_at),
            arrive_at: Tick(arrive_at),
            bytes: 0,
            records: 0,
            partition: None,
        }
    }

    #[test]
    fn an_arrived_message_is_remembered_for_half_a_second_then_forgotten() {
        // The reduced-motion table shows what arrived since it was last drawn: a fetch that took 2 ms
        // was never on the wire at the moment it was drawn, twice a second.
        let mut tracked = Tracked::new(10);
        tracked.flights = vec![flight(1, 100, 102), flight(2, 100, 900)];
        tracked.retire(Tick(300));
        assert_eq!(tracked.flights.iter().map(|f| f.id).collect::<Vec<_>>(), [2]);
        assert_eq!(tracked.arrived.iter().map(|f| f.id).collect::<Vec<_>>(), [1]);
        tracked.retire(Tick(602));
        assert_eq!(tracked.arrived.len(), 1, "arrived 500 ms ago: still recent");
        tracked.retire(Tick(603));
        assert!(tracked.arrived.is_empty());
    }

    #[test]
    fn what_arrived_recently_is_the_same_whether_the_run_was_played_or_sought_there() {
        // A seek retires a second at a time; the table said "arrived in the last half second" of
        // messages that had landed up to a second before, and listed them in another order.
        let wire = [flight(1, 0, 300), flight(2, 0, 900), flight(3, 0, 850), flight(4, 0, 200)];
        let mut played = Tracked::new(10);
        played.flights = wire.to_vec();
        for t in (0..=1000).step_by(10) {
            played.retire(Tick(t));
        }
        let mut sought = Tracked::new(10);
        sought.flights = wire.to_vec();
        sought.retire(Tick(1000));
        let ids = |t: &Tracked| t.arrived.iter().map(|f| f.id).collect::<Vec<_>>();
        assert_eq!(ids(&played), [3, 2]);
        assert_eq!(ids(&sought), ids(&played));
    }
}
