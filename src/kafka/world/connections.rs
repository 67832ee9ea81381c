//! TCP connections between clients and servers, as far as failures go.
//!
//! A connection that resets takes every request outstanding on it down at once: the requester
//! hears of each (Kafka's `NetworkClient` fails all in-flight requests of a closed connection), and
//! whatever was still travelling on it, either way, never arrives. A late answer to a request of a
//! dead connection is not sent: it has nowhere to go. Without this, a retried request could race
//! with later requests that the old connection still delivered, which real TCP never allows.

use crate::kafka::ids::Node;
use crate::sim::sorted::SortedMap;

/// Outstanding requests a connection remembers, at most (older ones were surely answered or given up).
const OUTSTANDING_MAX: usize = 256;

#[derive(Clone, Debug, Default)]
struct Connection {
    /// Requests sent and not answered yet.
    outstanding: Vec<u64>,
    /// Messages with an id below this were sent on a connection that has since reset.
    first_valid_id: u64,
}

/// Connections by (requester, server), packed by [`pair_key`].
#[derive(Clone, Debug, Default)]
pub struct Connections {
    map: SortedMap<u128, Connection>,
}

/// One number per (requester, server): every message looks its connection up, and comparing one
/// integer is cheaper than comparing two enums field by field. Only lookups use the key (the map
/// is never iterated), so its order does not matter.
fn pair_key(requester: Node, server: Node) -> u128 {
    (u128::from(node_key(requester)) << 64) | u128::from(node_key(server))
}

/// A node as (kind, number), distinct for distinct nodes.
fn node_key(node: Node) -> u64 {
    let (kind, number) = match node {
        Node::Broker(b) => (0u64, b.0),
        Node::Controller(c) => (1, c),
        Node::Producer(p) => (2, p),
        Node::Consumer(c) => (3, c),
    };
    (kind << 32) | u64::from(number)
}

impl Connections {
    /// A request goes out (again, when a network partition held it).
    pub fn on_request(&mut self, requester: Node, server: Node, request_id: u64) {
        let c = self.map.entry(pair_key(requester, server)).or_default();
        if !c.outstanding.contains(&request_id) {
            if c.outstanding.len() == OUTSTANDING_MAX {
                c.outstanding.remove(0);
            }
            c.outstanding.push(request_id);
        }
    }

    /// May a response to `request_id` be sent? Not when its request belonged to a connection that
    /// has reset since.
    pub fn is_open(&self, requester: Node, server: Node, request_id: u64) -> bool {
        self.map.get(&pair_key(requester, server)).is_some_and(|c| c.outstanding.contains(&request_id))
    }

    /// The requester got its answer, or learned the request failed some other way (the server was
    /// down).
    pub fn forget(&mut self, requester: Node, server: Node, request_id: u64) {
        if let Some(c) = self.map.get_mut(&pair_key(requester, server)) {
            c.outstanding.retain(|r| *r != request_id);
        }
    }

    /// The connection reset: the requests it had outstanding (each fails at the requester), and from
    /// now on only messages with an id of at least `next_message_id` travel on it.
    pub fn reset(&mut self, requester: Node, server: Node, next_message_id: u64) -> Vec<u64> {
        let c = self.map.entry(pair_key(requester, server)).or_default();
        c.first_valid_id = next_message_id;
        std::mem::take(&mut c.outstanding)
    }

    /// Was message `id` sent on the connection before it last reset?
    pub fn is_stale(&self, requester: Node, server: Node, id: u64) -> bool {
        self.map.get(&pair_key(requester, server)).is_some_and(|c| id < c.first_valid_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::ids::BrokerId;

    #[test]
    fn a_reset_fails_every_outstanding_request_and_silences_late_answers() {
        let (p, b) = (Node::Producer(0), Node::Broker(BrokerId(1)));
        let mut c = Connections::default();
        for r in [1, 2, 3] {
            c.on_request(p, b, r);
        }
        assert!(c.is_open(p, b, 1));
        c.forget(p, b, 1);
        assert_eq!(c.reset(p, b, 100), vec![2, 3]);
        assert!(!c.is_open(p, b, 2), "the answer to a request of the dead connection is not sent");
        assert!(c.is_stale(p, b, 99));
        assert!(!c.is_stale(p, b, 100));
    }
}
