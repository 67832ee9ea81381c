//! A list that grows at its end and clones cheaply: full chunks of [`CHUNK`] items are shared behind
//! `Rc`, only the last, growing chunk is copied. Items can also be dropped from the front, and changed
//! in place (copying the chunk they are in if a clone shares it).
//!
//! The lab keeps cloned worlds along a run (keyframes, for rewinding). A log that held its batches in
//! one `Vec` was copied whole into every keyframe: an hour of a busy run held millions of batches,
//! copied into up to 96 keyframes, and the browser ran out of memory after about half an hour of
//! simulated time. Cloning this list copies one pointer per full chunk and at most `CHUNK - 1` items.

use std::collections::VecDeque;
use std::rc::Rc;

/// Items per shared chunk: a clone copies at most this many items, and one pointer per chunk.
pub const CHUNK: usize = 64;

#[derive(Clone, Debug)]
pub struct ChunkedVec<T> {
    /// Full chunks, each exactly `CHUNK` items, shared between clones.
    full: VecDeque<Rc<[T]>>,
    /// The last items, fewer than `CHUNK`.
    tail: Vec<T>,
    /// Items already taken from the front (`pop_front`) and still stored in the first chunk, or in
    /// the tail when there is no full chunk: they are skipped.
    start: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec { full: VecDeque::new(), tail: Vec::new(), start: 0 }
    }
}

impl<T: Clone> ChunkedVec<T> {
    pub fn new() -> ChunkedVec<T> {
        ChunkedVec::default()
    }

    pub fn len(&self) -> usize {
        self.full.len() * CHUNK + self.tail.len() - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<&T> {
        let j = i + self.start;
        match self.full.get(j / CHUNK) {
            Some(chunk) => chunk.get(j % CHUNK),
            None => self.tail.get(j - self.full.len() * CHUNK),
        }
    }

    /// The item at `i`, to change. An item in a full chunk that a clone shares copies that chunk
    /// first (copy on write), so the clone keeps its own.
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        let j = i + self.start;
        let chunks = self.full.len();
        match self.full.get_mut(j / CHUNK) {
            Some(chunk) => Rc::make_mut(chunk).get_mut(j % CHUNK),
            None => self.tail.get_mut(j - chunks * CHUNK),
        }
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        if self.is_empty() {
            return None;
        }
        self.tail.last().or_else(|| self.full.back().and_then(|chunk| chunk.last()))
    }

    pub fn push(&mut self, item: T) {
        self.tail.push(item);
        if self.tail.len() == CHUNK {
            self.full.push_back(self.tail.drain(..).collect());
        }
    }

    /// Drops the first item.
    pub fn pop_front(&mut self) {
        if self.is_empty() {
            return;
        }
        self.start += 1;
        if self.full.is_empty() {
            self.tail.drain(..self.start);
            self.start = 0;
        } else if self.start == CHUNK {
            self.full.pop_front();
            self.start = 0;
        }
    }

    /// Items from `start` on, in order.
    pub fn iter_from(&self, start: usize) -> Iter<'_, T> {
        Iter { list: self, front: start.min(self.len()), back: self.len() }
    }

    pub fn iter(&self) -> Iter<'_, T> {
        self.iter_from(0)
    }

    /// The index of the first item for which `pred` is false, when it is true for a prefix and false
    /// after (as `slice::partition_point`).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(item) if pred(item) => lo = mid + 1,
                _ => hi = mid,
            }
        }
        lo
    }

    /// Keeps the first `len` items and returns the others, in order.
    pub fn split_off(&mut self, len: usize) -> Vec<T> {
        if len >= self.len() {
            return Vec::new();
        }
        let mut removed: Vec<T> = Vec::with_capacity(self.len() - len);
        let j = len + self.start;
        let kept_chunks = j / CHUNK;
        let cut = j - kept_chunks * CHUNK;
        if kept_chunks == self.full.len() {
            // The cut falls in the tail.
            removed.extend(self.tail.drain(cut..));
            return removed;
        }
        // The chunk the cut falls into becomes the new tail: its first `cut` items stay (the
        // skipped front ones included, when it is the first chunk; `start` still skips them).
        let mut chunks = self.full.drain(kept_chunks..);
        let cut_chunk = chunks.next().expect("kept_chunks < full.len(), checked above");
        let new_tail = cut_chunk[..cut].to_vec();
        removed.extend_from_slice(&cut_chunk[cut..]);
        for chunk in chunks {
            removed.extend_from_slice(&chunk);
        }
        removed.append(&mut self.tail);
        self.tail = new_tail;
        removed
    }
}

/// The items of a [`ChunkedVec`] from `front` to before `back`. One small iterator by index serves
/// every reader (a chain of per-chunk iterators, compiled once per call site, cost the page 2 KB).
#[derive(Clone)]
pub struct Iter<'a, T> {
    list: &'a ChunkedVec<T>,
    front: usize,
    back: usize,
}

impl<'a, T: Clone> Iterator for Iter<'a, T> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        if self.front >= self.back {
            return None;
        }
        self.front += 1;
        self.list.get(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl<'a, T: Clone> DoubleEndedIterator for Iter<'a, T> {
    fn next_back(&mut self) -> Option<&'a T> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        self.list.get(self.back)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize) -> ChunkedVec<usize> {
        let mut l = ChunkedVec::new();
        for i in 0..n {
            l.push(i);
        }
        l
    }

    #[test]
    fn it_reads_as_the_vec_it_stands_for() {
        for n in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5] {
            let l = list(n);
            let v: Vec<usize> = (0..n).collect();
            assert_eq!(l.len(), n);
            assert_eq!(l.iter().copied().collect::<Vec<_>>(), v);
            assert_eq!(l.iter().rev().copied().collect::<Vec<_>>(), v.iter().rev().copied().collect::<Vec<_>>());
            assert_eq!(l.last(), v.last());
            assert_eq!(l.first(), v.first());
            for start in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, n.saturating_sub(1), n, n + 3] {
                assert_eq!(l.iter_from(start).copied().collect::<Vec<_>>(), v.get(start..).unwrap_or(&[]).to_vec(), "n {n} from {start}");
            }
            for i in 0..n + 2 {
                assert_eq!(l.get(i), v.get(i));
                assert_eq!(l.partition_point(|x| *x < i), v.partition_point(|x| *x < i));
            }
        }
    }

    #[test]
    fn split_off_keeps_the_prefix_and_returns_the_rest_in_order() {
        let n = 3 * CHUNK + 5;
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK, 3 * CHUNK + 2, n, n + 1] {
            let mut l = list(n);
            let removed = l.split_off(len);
            let kept = len.min(n);
            assert_eq!(l.iter().copied().collect::<Vec<_>>(), (0..kept).collect::<Vec<_>>(), "len {len}");
            assert_eq!(removed, (kept..n).collect::<Vec<_>>(), "len {len}");
            assert_eq!(l.len(), kept);
            // It grows on from the cut as a fresh list would.
            for i in kept..n {
                l.push(i);
            }
            assert_eq!(l.iter().copied().collect::<Vec<_>>(), (0..n).collect::<Vec<_>>(), "len {len}, regrown");
            assert_eq!(l.get(n - 1), Some(&(n - 1)));
        }
    }

    #[test]
    fn pop_front_drops_from_the_front_and_the_rest_reads_the_same() {
        let n = 3 * CHUNK + 5;
        for popped in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 4, n, n + 2] {
            let mut l = list(n);
            for _ in 0..popped {
                l.pop_front();
            }
            let v: Vec<usize> = (popped.min(n)..n).collect();
            assert_eq!(l.len(), v.len(), "popped {popped}");
            assert_eq!(l.iter().copied().collect::<Vec<_>>(), v, "popped {popped}");
            assert_eq!(l.first(), v.first());
            assert_eq!(l.last(), v.last());
            for i in 0..v.len() + 1 {
                assert_eq!(l.get(i), v.get(i));
                assert_eq!(l.iter_from(i).copied().collect::<Vec<_>>(), v[i.min(v.len())..].to_vec());
            }
            let wanted = v.get(v.len() / 2).copied().unwrap_or(0);
            assert_eq!(l.partition_point(|x| *x < wanted), v.partition_point(|x| *x < wanted));
            // A cut after popping keeps what is left of the front.
            let keep = v.len() / 3;
            let removed = l.split_off(keep);
            assert_eq!(removed, v[keep..].to_vec(), "popped {popped}, kept {keep}");
            assert_eq!(l.iter().copied().collect::<Vec<_>>(), v[..keep].to_vec());
            l.push(7777);
            assert_eq!(l.last(), Some(&7777));
            assert_eq!(l.len(), keep + 1);
        }
    }

    #[test]
    fn a_clone_shares_the_full_chunks_and_owns_its_changes() {
        let a = list(2 * CHUNK + 3);
        let mut b = a.clone();
        assert!(Rc::ptr_eq(&a.full[0], &b.full[0]), "full chunks are shared, not copied");
        b.split_off(CHUNK + 1);
        b.push(1000);
        assert_eq!(a.len(), 2 * CHUNK + 3);
        assert_eq!(a.get(CHUNK + 1), Some(&(CHUNK + 1)), "the original is untouched");
        assert_eq!(b.get(CHUNK + 1), Some(&1000));
        // A change inside a shared chunk copies it: the original keeps its value.
        let mut c = a.clone();
        *c.get_mut(3).unwrap() = 5000; // index 3 exists: a holds more than a chunk
        assert_eq!(c.get(3), Some(&5000));
        assert_eq!(a.get(3), Some(&3));
        assert!(!Rc::ptr_eq(&a.full[0], &c.full[0]));
        assert!(Rc::ptr_eq(&a.full[1], &c.full[1]), "only the changed chunk is copied");
    }
}
