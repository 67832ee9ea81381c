//! What the session follows from every event, replays included: the messages on the wire (for the
//! animation) and the network cuts in force, which the engine's view does not show. Keyframes keep a
//! copy, so a rewind restores it with the world. (Slow disks show in the view; changed links are
//! told by the narration.)

use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::protocol::MessageKind;
use crate::kafka::world::event::{Event, EventKind};
use crate::sim::Tick;

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

    /// Forgets messages that have arrived by `now`.
    pub fn retire(&mut self, now: Tick) {
        self.flights.retain(|f| f.arrive_at > now);
    }

    /// Records on the wire (the sum over messages in flight).
    pub fn records_in_flight(&self) -> u64 {
        self.flights.iter().map(|f| u64::from(f.records)).sum()
    }
}
