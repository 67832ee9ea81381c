//! The event queue: items ordered by (time, sequence), so ties fire in the order they were scheduled.
//! An item pushed with [`EventQueue::push_end_of_tick`] fires after every ordinary item of its tick,
//! even those scheduled later: a learner's click lands after the tick's work, whether it is applied
//! live or replayed from a share link.
//!
//! Payloads live in a slab and the queue's indexes hold only small keys, so large messages are never
//! moved while the queue reorders itself.
//!
//! Almost every item is due within a few milliseconds (network hops, linger, disk writes, the next
//! generated record), so those go to a calendar: one FIFO bucket per millisecond of a short window
//! starting at the time of the last item popped. A bucket holds items of a single time in the order
//! they were pushed, which is sequence order, so its front is its earliest. Items further out, and
//! end-of-tick items, go to a binary heap. The earliest item is the earlier of the first non-empty
//! bucket's front and the heap's top, so the order is exactly the heap-only order, with pushes and
//! pops that cost a few instructions instead of a sift through the whole heap.

use super::time::Tick;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// Marks an end-of-tick item in [`Key::rank`]: above every sequence number, so it sorts after the
/// tick's ordinary items.
const END_OF_TICK: u64 = 1 << 63;

/// Milliseconds the calendar covers (one bit of `occupied` per bucket).
const WINDOW: u64 = 64;

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

/// One millisecond of the calendar: (sequence, slot) of its items in push order, read from `head`.
#[derive(Clone, Debug, Default)]
struct Bucket {
    items: Vec<(u64, u32)>,
    head: usize,
}

#[derive(Clone, Debug)]
pub struct EventQueue<T> {
    /// Ordinary items due in `[base, base + WINDOW)`, in bucket `at % WINDOW`.
    buckets: Vec<Bucket>,
    /// Bit `at % WINDOW` is set when that bucket has items.
    occupied: u64,
    /// No item in the calendar is due before this (the time of the last item popped).
    base: u64,
    /// Everything else: items due later than the window, and end-of-tick items.
    heap: BinaryHeap<Key>,
    slots: Vec<Option<T>>,
    free: Vec<u32>,
    next_seq: u64,
    len: usize,
}

impl<T> Default for EventQueue<T> {
    fn default() -> Self {
        EventQueue {
            buckets: (0..WINDOW).map(|_| Bucket::default()).collect(),
            occupied: 0,
            base: 0,
            heap: BinaryHeap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
            len: 0,
        }
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
        self.len += 1;
        debug_assert!(seq < END_OF_TICK, "sequence numbers stay below the end-of-tick mark");
        let at = at.0;
        if !end_of_tick && at >= self.base && at - self.base < WINDOW {
            // Sequence numbers only grow, so appending keeps the bucket in order.
            let b = (at % WINDOW) as usize;
            self.buckets[b].items.push((seq, slot));
            self.occupied |= 1 << b;
        } else {
            let rank = if end_of_tick { END_OF_TICK | seq } else { seq };
            self.heap.push(Key { at, rank, slot });
        }
        seq
    }

    /// The earliest calendar item: (time, sequence, bucket).
    fn calendar_front(&self) -> Option<(u64, u64, usize)> {
        if self.occupied == 0 {
            return None;
        }
        // Buckets before `base` are empty, so the first set bit from `base` on is the earliest time.
        let shift = (self.base % WINDOW) as u32;
        let ahead = u64::from(self.occupied.rotate_right(shift).trailing_zeros());
        let b = ((self.base + ahead) % WINDOW) as usize;
        let bucket = &self.buckets[b];
        Some((self.base + ahead, bucket.items[bucket.head].0, b))
    }

    /// Where the earliest item is: `Ok(bucket)` in the calendar, `Err(())` at the heap's top.
    fn earliest(&self) -> Option<(u64, Result<usize, ()>)> {
        let calendar = self.calendar_front();
        let heap = self.heap.peek();
        match (calendar, heap) {
            (None, None) => None,
            (Some((at, _, b)), None) => Some((at, Ok(b))),
            (None, Some(k)) => Some((k.at, Err(()))),
            (Some((at, seq, b)), Some(k)) => Some(if (at, seq) < (k.at, k.rank) { (at, Ok(b)) } else { (k.at, Err(())) }),
        }
    }

    /// The time of the next item, if any.
    pub fn peek_time(&self) -> Option<Tick> {
        self.earliest().map(|(at, _)| Tick(at))
    }

    /// Removes and returns the earliest item (ties: the one scheduled first).
    pub fn pop(&mut self) -> Option<(Tick, T)> {
        let (at, place) = self.earliest()?;
        self.take(at, place)
    }

    fn take(&mut self, at: u64, place: Result<usize, ()>) -> Option<(Tick, T)> {
        let slot = match place {
            Ok(b) => {
                let bucket = &mut self.buckets[b];
                let (_, slot) = bucket.items[bucket.head];
                bucket.head += 1;
                if bucket.head == bucket.items.len() {
                    // Emptied: reuse its memory from the start.
                    bucket.items.clear();
                    bucket.head = 0;
                    self.occupied &= !(1 << b);
                }
                slot
            }
            Err(()) => self.heap.pop()?.slot,
        };
        // Nothing left is due before this item, so the window may start here.
        self.base = self.base.max(at);
        self.len -= 1;
        let item = self.slots[slot as usize].take();
        self.free.push(slot);
        item.map(|item| (Tick(at), item))
    }

    /// Removes the earliest item only if it is due at or before `until`.
    pub fn pop_until(&mut self, until: Tick) -> Option<(Tick, T)> {
        let (at, place) = self.earliest()?;
        if at > until.0 {
            return None;
        }
        self.take(at, place)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Everything queued, in no particular order: for tests that look at what is on its way.
    #[cfg(test)]
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().flatten()
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

    #[test]
    fn the_calendar_and_the_heap_give_the_order_of_a_plain_sort() {
        // Items near and far, end-of-tick or not, pushed while popping: the queue must give exactly
        // (time, end-of-tick, sequence) order, as a plain sort of the same items does.
        let mut rng = crate::sim::Rng::new(7);
        let mut q = EventQueue::new();
        let mut now = 0u64;
        let mut pending: Vec<(u64, bool, u64)> = Vec::new();
        let mut pending_total = 0u64;
        for _ in 0..20_000 {
            for _ in 0..rng.below(3) {
                let ahead = match rng.below(10) {
                    0 => rng.below(500),
                    1 => 64 + rng.below(3),
                    _ => rng.below(8),
                };
                let end_of_tick = rng.below(20) == 0;
                let at = Tick(now + ahead);
                // The payload is the sequence number the push returns (they count up from 0).
                let id = pending_total;
                pending_total += 1;
                let seq = if end_of_tick { q.push_end_of_tick(at, id) } else { q.push(at, id) };
                assert_eq!(seq, id);
                pending.push((at.0, end_of_tick, seq));
            }
            if rng.below(2) == 0 {
                pending.sort();
                let expected = if pending.is_empty() { None } else { Some(pending.remove(0)) };
                assert_eq!(q.peek_time().map(|t| t.0), expected.map(|e| e.0));
                let got = q.pop().map(|(at, id)| (at.0, id));
                assert_eq!(got, expected.map(|e| (e.0, e.2)));
                if let Some(e) = expected {
                    now = e.0;
                }
            }
            assert_eq!(q.len(), pending.len());
        }
    }
}
