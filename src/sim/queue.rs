//! The event queue: items ordered by (time, sequence), so ties fire in the order they were scheduled.
//! An item pushed with [`EventQueue::push_end_of_tick`] fires after every ordinary item of its tick,
//! even those scheduled later: a learner's click lands after the tick's work, whether it is applied
//! live or replayed from a share link.
//!
//! Payloads live in a slab and the heap holds only small keys, so large messages are never moved while
//! the heap reorders itself.

use super::time::Tick;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Marks an end-of-tick item in [`Key::rank`]: above every sequence number, so it sorts after the
/// tick's ordinary items.
const END_OF_TICK: u64 = 1 << 63;

/// A heap entry: the item's place in the order, and where its payload waits.
///
/// The order (time, then end-of-tick, then sequence) is packed into two words so the heap, which
/// compares on every level of every push and pop, compares two integers instead of four fields.
#[derive(Clone, Copy, Debug)]
struct Key {
    at: u64,
    /// `END_OF_TICK` for an end-of-tick item, ored with its sequence number (unique, so two keys
    /// never tie).
    rank: u64,
    slot: u32,
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.rank) == (other.at, other.rank)
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    /// Reversed: `BinaryHeap` is a max-heap, and the earliest item must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.rank).cmp(&(self.at, self.rank))
    }
}

#[derive(Clone, Debug)]
pub struct EventQueue<T> {
    heap: BinaryHeap<Key>,
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), slots: Vec::new(), free: Vec::new(), next_seq: 0 }
    }
}

impl<T> EventQueue<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Schedules `item` at `at`; returns its sequence number (unique, increasing).
    pub fn push(&mut self, at: Tick, item: T) -> u64 {
        self.push_keyed(at, false, item)
    }

    /// Schedules `item` at `at`, after every ordinary item due at `at` (whenever those are pushed).
    pub fn push_end_of_tick(&mut self, at: Tick, item: T) -> u64 {
        self.push_keyed(at, true, item)
    }

    fn push_keyed(&mut self, at: Tick, end_of_tick: bool, item: T) -> u64 {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(item);
                slot
            }
            None => {
                self.slots.push(Some(item));
                // The queue never holds 4 billion items: every producer of items is bounded.
                u32::try_from(self.slots.len() - 1).expect("event queue slot count fits in u32")
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        debug_assert!(seq < END_OF_TICK, "sequence numbers stay below the end-of-tick mark");
        let rank = if end_of_tick { END_OF_TICK | seq } else { seq };
        self.heap.push(Key { at: at.0, rank, slot });
        seq
    }

    /// The time of the next item, if any.
    pub fn peek_time(&self) -> Option<Tick> {
        self.heap.peek().map(|k| Tick(k.at))
    }

    /// Removes and returns the earliest item (ties: the one scheduled first).
    pub fn pop(&mut self) -> Option<(Tick, T)> {
        let key = self.heap.pop()?;
        let item = self.slots[key.slot as usize].take();
        self.free.push(key.slot);
        item.map(|item| (Tick(key.at), item))
    }

    /// Removes the earliest item only if it is due at or before `until`.
    pub fn pop_until(&mut self, until: Tick) -> Option<(Tick, T)> {
        if self.peek_time()? > until {
            return None;
        }
        self.pop()
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_fire_in_time_order_and_ties_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.push(Tick(20), "late");
        q.push(Tick(10), "first at 10");
        q.push(Tick(10), "second at 10");
        q.push(Tick(5), "early");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, s)| s).collect();
        assert_eq!(order, ["early", "first at 10", "second at 10", "late"]);
    }

    #[test]
    fn an_end_of_tick_item_fires_after_its_ticks_work_even_work_scheduled_later() {
        let mut q = EventQueue::new();
        q.push_end_of_tick(Tick(10), "click at 10");
        q.push(Tick(10), "timer at 10");
        q.push(Tick(11), "at 11");
        q.push(Tick(10), "message at 10, scheduled last");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, s)| s).collect();
        assert_eq!(order, ["timer at 10", "message at 10, scheduled last", "click at 10", "at 11"]);
    }

    #[test]
    fn pop_until_leaves_future_items() {
        let mut q = EventQueue::new();
        q.push(Tick(10), 1);
        q.push(Tick(30), 2);
        assert_eq!(q.pop_until(Tick(20)), Some((Tick(10), 1)));
        assert_eq!(q.pop_until(Tick(20)), None);
        assert_eq!(q.len(), 1);
        assert_eq!(q.peek_time(), Some(Tick(30)));
    }

    #[test]
    fn slots_are_reused() {
        let mut q = EventQueue::new();
        for round in 0..100u64 {
            q.push(Tick(round), round);
            q.pop();
        }
        assert_eq!(q.slots.len(), 1);
    }
}
