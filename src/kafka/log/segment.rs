//! A log segment: a run of batches from a base offset, with its offset and time indexes.

use super::index::{OffsetIndex, OffsetIndexEntry, TimeIndex, TimeIndexEntry};
use crate::kafka::record::Batch;
use crate::sim::Tick;
use crate::sim::chunked::ChunkedVec;

/// Why the log rolled a new segment before an append (Kafka's `LogSegment.shouldRoll`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RollReason {
    /// The segment would grow past `segment.bytes`.
    SegmentBytes,
    /// The segment's first batch is older than `segment.ms` (minus jitter) relative to the new batch.
    SegmentMs,
    /// The offset or time index reached `segment.index.bytes`.
    IndexFull,
    /// The offset would not fit as a 32-bit offset relative to the segment's base.
    OffsetOverflow,
    /// Retention expired the active segment, so Kafka rolled a new empty one before deleting it.
    Retention,
}

/// The limits a segment is checked against before an append.
#[derive(Clone, Copy, Debug)]
pub struct RollLimits {
    pub segment_bytes: u64,
    pub segment_ms: u64,
}

#[derive(Clone, Debug)]
pub struct Segment {
    base_offset: u64,
    /// Shared with the keyframes' copies of this log, chunk by chunk (see `ChunkedVec`).
    batches: ChunkedVec<Batch>,
    size_bytes: u64,
    offset_index: OffsetIndex,
    time_index: TimeIndex,
    bytes_since_last_index_entry: u64,
    max_timestamp_ms: Option<u64>,
    offset_of_max_timestamp: u64,
    created_at: Tick,
    roll_jitter_ms: u64,
}

impl Segment {
    pub fn new(base_offset: u64, created_at: Tick, segment_index_bytes: u64, roll_jitter_ms: u64) -> Segment {
        Segment {
            base_offset,
            batches: ChunkedVec::new(),
            size_bytes: 0,
            offset_index: OffsetIndex::new(segment_index_bytes),
            time_index: TimeIndex::new(segment_index_bytes),
            bytes_since_last_index_entry: 0,
            max_timestamp_ms: None,
            offset_of_max_timestamp: base_offset,
            created_at,
            roll_jitter_ms,
        }
    }

    pub fn base_offset(&self) -> u64 {
        self.base_offset
    }

    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    pub fn is_empty(&self) -> bool {
        self.batches.is_empty()
    }

    pub fn batches(&self) -> &ChunkedVec<Batch> {
        &self.batches
    }

    pub fn offset_index(&self) -> &OffsetIndex {
        &self.offset_index
    }

    pub fn time_index(&self) -> &TimeIndex {
        &self.time_index
    }

    pub fn created_at(&self) -> Tick {
        self.created_at
    }

    /// The offset after the segment's last batch (its base offset when empty).
    pub fn next_offset(&self) -> u64 {
        self.batches.last().map_or(self.base_offset, Batch::next_offset)
    }

    /// The largest record timestamp in the segment; retention.ms compares against it.
    /// An empty segment falls back to its creation time, as Kafka uses the file's modification time.
    pub fn largest_timestamp_ms(&self) -> u64 {
        self.max_timestamp_ms.unwrap_or(self.created_at.ms())
    }

    /// Should the log roll before appending a batch of `batch_bytes` with `batch_max_timestamp_ms` and
    /// last offset `batch_last_offset`? Kafka checks the conditions in this order.
    pub fn should_roll(
        &self,
        limits: RollLimits,
        batch_bytes: u64,
        batch_max_timestamp_ms: u64,
        batch_last_offset: u64,
    ) -> Option<RollReason> {
        // Kafka's wording, `size > segment.bytes - batch size`, also rolls an empty segment for a batch
        // larger than segment.bytes; rolling an empty segment would recreate it at the same offset, so
        // that case appends instead.
        if self.size_bytes > 0 && self.size_bytes + batch_bytes > limits.segment_bytes {
            return Some(RollReason::SegmentBytes);
        }
        if self.size_bytes > 0 {
            // Time waited for roll: from the first batch's max timestamp to the new batch's, or from the
            // segment's creation when the first batch had no timestamp.
            let first = self.batches.first().map_or(0, |b| b.max_timestamp_ms);
            let waited_ms = batch_max_timestamp_ms.saturating_sub(first);
            if waited_ms > limits.segment_ms.saturating_sub(self.roll_jitter_ms) {
                return Some(RollReason::SegmentMs);
            }
        }
        if self.offset_index.is_full() || self.time_index.is_full() {
            return Some(RollReason::IndexFull);
        }
        if batch_last_offset.saturating_sub(self.base_offset) > i32::MAX as u64 {
            return Some(RollReason::OffsetOverflow);
        }
        None
    }

    /// Appends a batch at the end, indexing it when more than `index_interval_bytes` came since the
    /// last entry (the first batch of a segment is never indexed).
    pub fn append(&mut self, batch: Batch, index_interval_bytes: u64) {
        let position = self.size_bytes;
        if self.max_timestamp_ms.is_none_or(|max| batch.max_timestamp_ms > max) {
            self.max_timestamp_ms = Some(batch.max_timestamp_ms);
            self.offset_of_max_timestamp = batch.last_offset();
        }
        if self.bytes_since_last_index_entry > index_interval_bytes {
            let slot = u32::try_from(self.batches.len()).unwrap_or(u32::MAX);
            self.offset_index.append(OffsetIndexEntry { offset: batch.last_offset(), position, batch: slot });
            self.time_index.maybe_append(TimeIndexEntry {
                timestamp_ms: self.largest_timestamp_ms(),
                offset: self.offset_of_max_timestamp,
            });
            self.bytes_since_last_index_entry = 0;
        }
        let size = u64::from(batch.size_bytes);
        self.size_bytes += size;
        self.bytes_since_last_index_entry += size;
        self.batches.push(batch);
    }

    /// Called when the segment stops being the active one: the time index gets its final entry.
    pub fn on_become_inactive(&mut self) {
        if let Some(max) = self.max_timestamp_ms {
            self.time_index.maybe_append(TimeIndexEntry { timestamp_ms: max, offset: self.offset_of_max_timestamp });
        }
    }

    /// The slot of the first batch whose last offset is at or after `target`, found through the offset
    /// index and a short forward scan (Kafka's `translateOffset`). Most lookups ask for the tail (the
    /// batch just appended, a caught-up reader), so the last few batches are checked first.
    pub fn find_batch(&self, target: u64) -> Option<usize> {
        const TAIL_BATCHES: usize = 4;
        let n = self.batches.len();
        if self.batches.last().is_none_or(|b| b.last_offset() < target) {
            return None;
        }
        for (back, batch) in self.batches.iter().rev().take(TAIL_BATCHES).enumerate() {
            if batch.base_offset <= target {
                return Some(n - 1 - back);
            }
        }
        let start = self.offset_index.lookup(target).map_or(0, |e| e.batch as usize);
        self.batches.iter_from(start).position(|b| b.last_offset() >= target).map(|i| start + i)
    }

    /// The first offset whose record has a timestamp at or after `timestamp_ms`, found through the time
    /// index, then the offset index, then a scan (Kafka's `findOffsetByTimestamp`).
    pub fn find_offset_by_timestamp(&self, timestamp_ms: u64) -> Option<u64> {
        let from_offset = self.time_index.lookup(timestamp_ms).map_or(self.base_offset, |e| e.offset);
        let start = self.offset_index.lookup(from_offset).map_or(0, |e| e.batch as usize);
        self.batches
            .iter_from(start)
            .filter(|b| b.max_timestamp_ms >= timestamp_ms)
            .find_map(|b| b.iter().find(|(_, r)| r.timestamp_ms >= timestamp_ms).map(|(offset, _)| offset))
    }

    /// Removes every batch that ends at or after `offset`; Kafka truncates at batch boundaries.
    /// Returns the removed batches.
    pub fn truncate_to(&mut self, offset: u64, now: Tick) -> Vec<Batch> {
        let keep = self.batches.partition_point(|b| b.next_offset() <= offset);
        let removed = self.batches.split_off(keep);
        if !removed.is_empty() {
            self.size_bytes = self.batches.iter().map(|b| u64::from(b.size_bytes)).sum();
            self.offset_index.truncate_to_batch(u32::try_from(keep).unwrap_or(u32::MAX));
            self.time_index.truncate_to_offset(self.next_offset());
            self.max_timestamp_ms = self.batches.iter().map(|b| b.max_timestamp_ms).max();
            self.offset_of_max_timestamp = self
                .batches
                .iter()
                .filter(|b| Some(b.max_timestamp_ms) == self.max_timestamp_ms)
                .map(Batch::last_offset)
                .next()
                .unwrap_or(self.base_offset);
            self.bytes_since_last_index_entry = 0;
            if self.batches.is_empty() {
                self.created_at = now;
            }
        }
        removed
    }
}
