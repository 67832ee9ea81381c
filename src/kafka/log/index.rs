//! A segment's sparse indexes: offset → position, and timestamp → offset.
//!
//! Kafka adds an entry only after more than `index.interval.bytes` were appended since the last one, so
//! a read looks up the nearest entry at or below its target and scans forward from there.

/// One offset-index entry: the batch whose last offset is `offset` starts at byte `position`.
/// `batch` is the batch's slot in the segment (our stand-in for seeking the file to `position`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OffsetIndexEntry {
    pub offset: u64,
    pub position: u64,
    pub batch: u32,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetIndex {
    entries: Vec<OffsetIndexEntry>,
    max_entries: usize,
}

impl OffsetIndex {
    /// Kafka's offset index entry takes 8 bytes, so `segment.index.bytes / 8` entries fit.
    pub const ENTRY_BYTES: u64 = 8;

    pub fn new(segment_index_bytes: u64) -> OffsetIndex {
        let max_entries = usize::try_from(segment_index_bytes / Self::ENTRY_BYTES).unwrap_or(usize::MAX);
        OffsetIndex { entries: Vec::new(), max_entries }
    }

    pub fn append(&mut self, entry: OffsetIndexEntry) {
        debug_assert!(self.entries.last().is_none_or(|last| last.offset < entry.offset));
        self.entries.push(entry);
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.max_entries
    }

    /// The entry with the largest offset at or below `target`, if any.
    pub fn lookup(&self, target: u64) -> Option<OffsetIndexEntry> {
        let after = self.entries.partition_point(|e| e.offset <= target);
        after.checked_sub(1).map(|i| self.entries[i])
    }

    /// Drops entries for batches at or after `batch` (truncation).
    pub fn truncate_to_batch(&mut self, batch: u32) {
        self.entries.retain(|e| e.batch < batch);
    }

    pub fn entries(&self) -> &[OffsetIndexEntry] {
        &self.entries
    }
}

/// One time-index entry: the largest timestamp seen in the segment up to `offset` is `timestamp_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeIndexEntry {
    pub timestamp_ms: u64,
    pub offset: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimeIndex {
    entries: Vec<TimeIndexEntry>,
    max_entries: usize,
}

impl TimeIndex {
    /// Kafka's time index entry takes 12 bytes.
    pub const ENTRY_BYTES: u64 = 12;

    pub fn new(segment_index_bytes: u64) -> TimeIndex {
        let max_entries = usize::try_from(segment_index_bytes / Self::ENTRY_BYTES).unwrap_or(usize::MAX);
        TimeIndex { entries: Vec::new(), max_entries }
    }

    /// Appends only when the timestamp grew (Kafka's `maybeAppend`).
    pub fn maybe_append(&mut self, entry: TimeIndexEntry) {
        if self.entries.last().is_none_or(|last| entry.timestamp_ms > last.timestamp_ms) {
            self.entries.push(entry);
        }
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.max_entries
    }

    /// The entry with the largest timestamp at or below `timestamp_ms`, if any.
    pub fn lookup(&self, timestamp_ms: u64) -> Option<TimeIndexEntry> {
        let after = self.entries.partition_point(|e| e.timestamp_ms <= timestamp_ms);
        after.checked_sub(1).map(|i| self.entries[i])
    }

    pub fn truncate_to_offset(&mut self, offset: u64) {
        self.entries.retain(|e| e.offset < offset);
    }

    pub fn entries(&self) -> &[TimeIndexEntry] {
        &self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_lookup_finds_the_nearest_entry_at_or_below() {
        let mut index = OffsetIndex::new(1024);
        index.append(OffsetIndexEntry { offset: 9, position: 4200, batch: 9 });
        index.append(OffsetIndexEntry { offset: 19, position: 8500, batch: 19 });
        assert_eq!(index.lookup(5), None, "below the first entry: scan from the segment start");
        assert_eq!(index.lookup(9).map(|e| e.position), Some(4200));
        assert_eq!(index.lookup(18).map(|e| e.position), Some(4200));
        assert_eq!(index.lookup(500).map(|e| e.position), Some(8500));
    }

    #[test]
    fn an_index_is_full_at_segment_index_bytes() {
        let mut index = OffsetIndex::new(16);
        index.append(OffsetIndexEntry { offset: 1, position: 0, batch: 0 });
        assert!(!index.is_full());
        index.append(OffsetIndexEntry { offset: 2, position: 10, batch: 1 });
        assert!(index.is_full());
    }

    #[test]
    fn the_time_index_only_grows() {
        let mut index = TimeIndex::new(1200);
        index.maybe_append(TimeIndexEntry { timestamp_ms: 100, offset: 3 });
        index.maybe_append(TimeIndexEntry { timestamp_ms: 90, offset: 7 });
        index.maybe_append(TimeIndexEntry { timestamp_ms: 150, offset: 9 });
        assert_eq!(index.entries().len(), 2);
        assert_eq!(index.lookup(120), Some(TimeIndexEntry { timestamp_ms: 100, offset: 3 }));
        assert_eq!(index.lookup(50), None);
    }
}
