//! A partition's log as an in-memory segment store (SEMANTICS §6).
//!
//! The log appends batches whose offsets its leader assigned, rolls segments on `segment.bytes`,
//! `segment.ms` and full indexes, reads by offset through the offset index, finds offsets by time
//! through the time index, truncates at batch boundaries, and deletes whole old segments exactly as
//! Kafka's retention does. Deleting a segment drops its batches, so memory stays bounded.

pub mod index;
pub mod producer_state;
pub mod retention;
pub mod segment;

use crate::kafka::record::Batch;
use crate::sim::{Rng, Tick};
use retention::{LogFacts, RetentionPolicy, RetentionReason, SegmentFacts};
pub use segment::{RollReason, RollLimits, Segment};
use std::collections::VecDeque;
use crate::sim::sorted::SortedMap;

/// The topic configs a log obeys, with Kafka's names in the docs and Kafka's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LogConfig {
    /// `segment.bytes` (1 GiB).
    pub segment_bytes: u64,
    /// `segment.ms` (7 days).
    pub segment_ms: u64,
    /// `segment.jitter.ms` (0): a random amount, up to this, subtracted from segment.ms per segment.
    pub segment_jitter_ms: u64,
    /// `segment.index.bytes` (10 MiB).
    pub segment_index_bytes: u64,
    /// `index.interval.bytes` (4096).
    pub index_interval_bytes: u64,
    /// `retention.ms` (7 days; negative = forever).
    pub retention_ms: i64,
    /// `retention.bytes` (-1 = no limit).
    pub retention_bytes: i64,
    /// `cleanup.policy` includes `delete` (default yes).
    pub cleanup_delete: bool,
    /// `cleanup.policy` includes `compact` (default no).
    pub cleanup_compact: bool,
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig {
            segment_bytes: 1_073_741_824,
            segment_ms: 604_800_000,
            segment_jitter_ms: 0,
            segment_index_bytes: 10_485_760,
            index_interval_bytes: 4096,
            retention_ms: 604_800_000,
            retention_bytes: -1,
            cleanup_delete: true,
            cleanup_compact: false,
        }
    }
}

/// A read that Kafka answers with `OFFSET_OUT_OF_RANGE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OffsetOutOfRange {
    pub requested: u64,
    pub log_start_offset: u64,
    pub log_end_offset: u64,
}

impl std::fmt::Display for OffsetOutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "offset {} is out of range: the log holds offsets {} to {}",
            self.requested,
            self.log_start_offset,
            self.log_end_offset.saturating_sub(1)
        )
    }
}

/// One segment retention removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DeletedSegment {
    pub base_offset: u64,
    /// The offset after its last record.
    pub next_offset: u64,
    pub size_bytes: u64,
    pub reason: RetentionReason,
}

#[derive(Clone, Debug)]
pub struct Log {
    config: LogConfig,
    segments: VecDeque<Segment>,
    /// The active segment's next offset (the LEO), kept here because every produce, fetch and
    /// ledger check asks for it: reading it through the segments is three dependent loads into
    /// memory that is rarely in cache. Refreshed after every change to `segments`.
    log_end_offset: u64,
    log_start_offset: u64,
    high_watermark: u64,
    /// Draws each segment's roll jitter (only when `segment.jitter.ms` > 0).
    rng: Rng,
    /// Idempotent producers' recent batches (Kafka keeps this beside the log too).
    pub producer_state: producer_state::ProducerStateManager,
    /// Transactions still open in this log: producer id → first offset (they hold the LSO back).
    ongoing_transactions: SortedMap<i64, u64>,
    /// Aborted transactions (Kafka's `.txnindex`): (producer id, first offset, offset of the abort marker).
    aborted_transactions: Vec<(i64, u64, u64)>,
    /// Transactions whose marker is written but not yet below the high watermark: (first offset,
    /// marker offset). Until the marker is replicated the transaction still holds the LSO back.
    completed_unreplicated: Vec<(u64, u64)>,
}

/// An aborted transaction a read_committed consumer must skip: its producer and first offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AbortedTransaction {
    pub producer_id: i64,
    pub first_offset: u64,
}

impl Log {
    pub fn new(config: LogConfig, now: Tick, rng: Rng) -> Log {
        let mut log = Log {
            config,
            segments: VecDeque::new(),
            log_end_offset: 0,
            log_start_offset: 0,
            high_watermark: 0,
            rng,
            producer_state: producer_state::ProducerStateManager::default(),
            ongoing_transactions: SortedMap::new(),
            aborted_transactions: Vec::new(),
            completed_unreplicated: Vec::new(),
        };
        let first = log.new_segment(0, now);
        log.segments.push_back(first);
        log.refresh_log_end_offset();
        log
    }

    fn refresh_log_end_offset(&mut self) {
        self.log_end_offset = self.active().next_offset();
    }

    fn new_segment(&mut self, base_offset: u64, now: Tick) -> Segment {
        // Kafka: jitter = random % min(segment.jitter.ms, segment.ms), 0 when jitter is off.
        let jitter_ms = match self.config.segment_jitter_ms.min(self.config.segment_ms) {
            0 => 0,
            bound => self.rng.below(bound),
        };
        Segment::new(base_offset, now, self.config.segment_index_bytes, jitter_ms)
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// A topic config change applies from the next append or retention check on.
    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }

    pub fn log_start_offset(&self) -> u64 {
        self.log_start_offset
    }

    /// The offset the next appended record gets (LEO).
    pub fn log_end_offset(&self) -> u64 {
        debug_assert_eq!(self.log_end_offset, self.active().next_offset());
        self.log_end_offset
    }

    pub fn high_watermark(&self) -> u64 {
        self.high_watermark
    }

    pub fn segments(&self) -> impl ExactSizeIterator<Item = &Segment> + DoubleEndedIterator {
        self.segments.iter()
    }

    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(Segment::size_bytes).sum()
    }

    fn active(&self) -> &Segment {
        // A log always keeps at least one (possibly empty) segment: see `new` and `delete_old_segments`.
        self.segments.back().expect("a log always has an active segment")
    }

    /// Appends a batch whose base offset is this log's end offset. Rolls first when the active segment
    /// should roll, and says why.
    pub fn append(&mut self, batch: Batch, now: Tick) -> Option<RollReason> {
        debug_assert_eq!(batch.base_offset, self.log_end_offset(), "appends are contiguous");
        let limits = RollLimits { segment_bytes: self.config.segment_bytes, segment_ms: self.config.segment_ms };
        let roll = self.active().should_roll(
            limits,
            u64::from(batch.size_bytes),
            batch.max_timestamp_ms,
            batch.last_offset(),
        );
        if roll.is_some() {
            self.roll(batch.base_offset, now);
        }
        let interval = self.config.index_interval_bytes;
        self.producer_state.on_append(&batch);
        self.track_transaction(&batch);
        // Just rolled or already present: the active segment exists.
        self.segments.back_mut().expect("a log always has an active segment").append(batch, interval);
        self.refresh_log_end_offset();
        roll
    }

    /// A transactional batch opens (or continues) its producer's transaction; a marker closes it,
    /// and an abort marker records the transaction in the aborted index.
    fn track_transaction(&mut self, batch: &Batch) {
        let pid = batch.producer.producer_id;
        match batch.control {
            Some(kind) => {
                if let Some(first) = self.ongoing_transactions.remove(&pid) {
                    if kind == crate::kafka::record::ControlKind::Abort {
                        self.aborted_transactions.push((pid, first, batch.base_offset));
                    }
                    if batch.base_offset >= self.high_watermark {
                        self.completed_unreplicated.push((first, batch.base_offset));
                    }
                }
            }
            None if batch.transactional => {
                self.ongoing_transactions.entry(pid).or_insert(batch.base_offset);
            }
            None => {}
        }
    }

    /// The last stable offset: below it every transaction is decided (committed or aborted). A
    /// read_committed consumer reads only up to here.
    pub fn last_stable_offset(&self) -> u64 {
        let hw = self.high_watermark;
        let unreplicated = self.completed_unreplicated.iter().filter(|(_, marker)| *marker >= hw).map(|(first, _)| *first);
        self.ongoing_transactions.values().copied().chain(unreplicated).fold(hw, u64::min)
    }

    /// Aborted transactions that overlap `[from, to)` (sent with read_committed fetches).
    pub fn aborted_transactions(&self, from: u64, to: u64) -> Vec<AbortedTransaction> {
        self.aborted_transactions
            .iter()
            .filter(|(_, first, marker)| *first < to && *marker >= from)
            .map(|&(producer_id, first_offset, _)| AbortedTransaction { producer_id, first_offset })
            .collect()
    }

    /// Producer ids with a transaction open here.
    pub fn ongoing_transactions(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.ongoing_transactions.iter().map(|(p, o)| (*p, *o))
    }

    fn roll(&mut self, base_offset: u64, now: Tick) {
        // Kafka's LocalLog.roll: an empty active segment already at this base offset is replaced by a
        // fresh one, not left behind it. This happens when a time index of segment.index.bytes < 12
        // holds no entry and so is always full (KAFKA-6388): every append rolls, the first one too.
        if self.segments.back().is_some_and(|active| active.is_empty() && active.base_offset() == base_offset) {
            let fresh = self.new_segment(base_offset, now);
            if let Some(active) = self.segments.back_mut() {
                *active = fresh;
            }
            return;
        }
        if let Some(active) = self.segments.back_mut() {
            active.on_become_inactive();
        }
        let segment = self.new_segment(base_offset, now);
        self.segments.push_back(segment);
        self.refresh_log_end_offset();
    }

    /// Whole batches starting with the one that holds `from`, up to `max_bytes` (at least one batch),
    /// ending below `upper_bound` (the high watermark for consumers, the LEO for followers).
    /// Offsets below the log start or past the end are out of range; at or past the bound is empty.
    pub fn read(&self, from: u64, max_bytes: u64, upper_bound: u64) -> Result<Vec<Batch>, OffsetOutOfRange> {
        let leo = self.log_end_offset();
        if from < self.log_start_offset || from > leo {
            return Err(OffsetOutOfRange { requested: from, log_start_offset: self.log_start_offset, log_end_offset: leo });
        }
        let mut out = Vec::new();
        if from >= upper_bound.min(leo) {
            return Ok(out);
        }
        let first_segment = self.segments.partition_point(|s| s.base_offset() <= from).saturating_sub(1);
        let mut bytes = 0u64;
        for segment in self.segments.range(first_segment..) {
            let start = if out.is_empty() { segment.find_batch(from) } else { Some(0) };
            let Some(start) = start else { continue };
            for batch in segment.batches().iter_from(start) {
                let first = out.is_empty();
                if batch.next_offset() > upper_bound || (!first && bytes + u64::from(batch.size_bytes) > max_bytes) {
                    return Ok(out);
                }
                bytes += u64::from(batch.size_bytes);
                out.push(batch.clone());
            }
        }
        Ok(out)
    }

    /// Every batch in the log, oldest first (for inspectors).
    pub fn batches(&self) -> impl Iterator<Item = &Batch> {
        self.segments.iter().flat_map(|s| s.batches().iter())
    }

    /// Batches from the one holding `offset` to the end, oldest first (found through the index).
    pub fn batches_from(&self, offset: u64) -> impl Iterator<Item = &Batch> {
        let first = self.segments.partition_point(|s| s.base_offset() <= offset).saturating_sub(1);
        let start_slot = self.segments.get(first).and_then(|s| s.find_batch(offset)).unwrap_or(usize::MAX);
        self.segments.range(first..).enumerate().flat_map(move |(i, s)| {
            let skip = if i == 0 { start_slot.min(s.batches().len()) } else { 0 };
            s.batches().iter_from(skip)
        })
    }

    /// The batch holding `offset`, if the log has it.
    pub fn batch_at(&self, offset: u64) -> Option<&Batch> {
        if offset < self.log_start_offset || offset >= self.log_end_offset() {
            return None;
        }
        let i = self.segments.partition_point(|s| s.base_offset() <= offset).checked_sub(1)?;
        let segment = &self.segments[i];
        segment.find_batch(offset).and_then(|slot| segment.batches().get(slot))
    }

    /// The first offset with a timestamp at or after `timestamp_ms` (`offsetsForTimes`), through the
    /// time index; `None` when every record is older.
    pub fn offset_for_timestamp(&self, timestamp_ms: u64) -> Option<u64> {
        self.segments
            .iter()
            .filter(|s| !s.is_empty() && s.largest_timestamp_ms() >= timestamp_ms)
            .find_map(|s| s.find_offset_by_timestamp(timestamp_ms))
            .map(|offset| offset.max(self.log_start_offset))
    }

    /// Removes every batch at or after `offset` (a follower truncating to its new leader's epoch end),
    /// and returns them: records the log lost. As Kafka's `UnifiedLog.truncateTo`: segments starting
    /// after `offset` go, a segment starting exactly at it stays as the empty active one, and the log
    /// start offset comes down to `offset` if it was above. Below the first segment nothing of the log
    /// can stay, so it restarts empty at `offset`.
    pub fn truncate_to(&mut self, offset: u64, now: Tick) -> Vec<Batch> {
        if offset >= self.log_end_offset() {
            return Vec::new();
        }
        if self.segments.front().is_some_and(|first| first.base_offset() > offset) {
            return self.truncate_fully_and_start_at(offset, now);
        }
        let mut removed = Vec::new();
        while self.segments.len() > 1 && self.segments.back().is_some_and(|s| s.base_offset() > offset) {
            if let Some(segment) = self.segments.pop_back() {
                removed.splice(0..0, segment.batches().iter().cloned());
            }
        }
        if let Some(active) = self.segments.back_mut() {
            let mut tail = active.truncate_to(offset, now);
            tail.append(&mut removed);
            removed = tail;
        }
        self.refresh_log_end_offset();
        self.high_watermark = self.high_watermark.min(self.log_end_offset());
        if !removed.is_empty() {
            let remaining: Vec<Batch> = self.batches().cloned().collect();
            self.producer_state.rebuild(offset, remaining.iter());
            self.rebuild_transactions(&remaining);
        }
        self.log_start_offset = self.log_start_offset.min(offset);
        removed
    }

    /// Replays what is left of the log into the transaction state (after a truncation).
    fn rebuild_transactions(&mut self, remaining: &[Batch]) {
        self.ongoing_transactions.clear();
        self.completed_unreplicated.clear();
        let start = self.log_start_offset;
        self.aborted_transactions.retain(|(_, first, _)| *first < start);
        for batch in remaining {
            self.track_transaction(batch);
        }
    }

    /// Empties the log and restarts it at `offset` (a follower whose fetch offset fell below the
    /// leader's log start). Returns what it held.
    pub fn truncate_fully_and_start_at(&mut self, offset: u64, now: Tick) -> Vec<Batch> {
        let removed: Vec<Batch> = self.batches().cloned().collect();
        self.segments.clear();
        let segment = self.new_segment(offset, now);
        self.segments.push_back(segment);
        self.refresh_log_end_offset();
        self.log_start_offset = offset;
        self.high_watermark = offset;
        self.producer_state.clear();
        self.ongoing_transactions.clear();
        self.aborted_transactions.clear();
        self.completed_unreplicated.clear();
        removed
    }

    /// Sets the high watermark (the caller enforces Kafka's rules for when it may move).
    pub fn set_high_watermark(&mut self, hw: u64) {
        self.high_watermark = hw.min(self.log_end_offset());
        if !self.completed_unreplicated.is_empty() {
            let hw = self.high_watermark;
            self.completed_unreplicated.retain(|(_, marker)| *marker >= hw);
        }
    }

    /// Moves the log start offset forward (DeleteRecords, or a follower following its leader's log
    /// start). Retention then deletes segments wholly below it.
    pub fn maybe_increment_log_start_offset(&mut self, offset: u64) -> bool {
        let offset = offset.min(self.high_watermark);
        if offset > self.log_start_offset {
            self.log_start_offset = offset;
            true
        } else {
            false
        }
    }

    /// Runs Kafka's retention check at `now` and deletes what qualifies.
    pub fn delete_old_segments(&mut self, now: Tick) -> Vec<DeletedSegment> {
        let facts: Vec<SegmentFacts> = self
            .segments
            .iter()
            .map(|s| SegmentFacts {
                base_offset: s.base_offset(),
                size_bytes: s.size_bytes(),
                largest_timestamp_ms: s.largest_timestamp_ms(),
            })
            .collect();
        let log = LogFacts {
            log_start_offset: self.log_start_offset,
            log_end_offset: self.log_end_offset(),
            high_watermark: self.high_watermark,
            now_ms: now.ms(),
        };
        let policy = RetentionPolicy {
            retention_ms: self.config.retention_ms,
            retention_bytes: self.config.retention_bytes,
            delete: self.config.cleanup_delete,
        };
        let reasons = retention::plan(&facts, log, policy);
        if reasons.is_empty() {
            return Vec::new();
        }
        if reasons.len() == self.segments.len() {
            // The active segment is among them: Kafka first rolls a new empty one at the log end.
            let leo = self.log_end_offset();
            self.roll(leo, now);
        }
        let mut deleted = Vec::with_capacity(reasons.len());
        for reason in reasons {
            // `plan` never names more segments than exist.
            let segment = self.segments.pop_front().expect("retention deletes existing segments");
            deleted.push(DeletedSegment {
                base_offset: segment.base_offset(),
                next_offset: segment.next_offset(),
                size_bytes: segment.size_bytes(),
                reason,
            });
        }
        self.refresh_log_end_offset();
        let first_base = self.segments.front().map_or(self.log_end_offset(), Segment::base_offset);
        self.log_start_offset = self.log_start_offset.max(first_base);
        let start = self.log_start_offset;
        self.aborted_transactions.retain(|(_, _, marker)| *marker >= start);
        deleted
    }
}

#[cfg(test)]
mod tests;
