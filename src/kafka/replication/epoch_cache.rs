//! The leader-epoch cache (`LeaderEpochFileCache`, KIP-101/279): for each leader epoch, the offset
//! of the first record written in it.
//!
//! After a failover, a follower asks the new leader where its latest epoch ended and truncates its log
//! there instead of at the high watermark, which is what stops replicas from diverging. The cache
//! answers that question ([`LeaderEpochCache::end_offset_for`]) and keeps itself monotonic: epochs
//! and start offsets both strictly increase, and an entry that breaks that removes the entries it
//! conflicts with.

use crate::sim::sorted::SortedMap;
use std::fmt;

/// "No epoch": what a follower sends before it knows one, and half of the unknown answer.
pub const UNDEFINED_EPOCH: i32 = -1;
/// "No offset": the other half of the unknown answer.
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;

/// One cache entry: `epoch` began at `start_offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

impl EpochEntry {
    pub fn new(epoch: i32, start_offset: i64) -> EpochEntry {
        EpochEntry { epoch, start_offset }
    }
}

impl fmt::Display for EpochEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EpochEntry(epoch={}, startOffset={})", self.epoch, self.start_offset)
    }
}

/// A negative epoch or start offset was assigned; Kafka throws `IllegalArgumentException`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidEpochEntry(pub EpochEntry);

impl fmt::Display for InvalidEpochEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Received invalid partition leader epoch entry {}", self.0)
    }
}

impl std::error::Error for InvalidEpochEntry {}

/// A replica's leader-epoch cache, ordered by epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeaderEpochCache {
    /// Epoch → start offset. Both strictly increase along the map.
    epochs: SortedMap<i32, i64>,
}

impl LeaderEpochCache {
    pub fn new() -> LeaderEpochCache {
        LeaderEpochCache::default()
    }

    /// Records that `epoch` starts at `start_offset`, as a leader does when it takes over and a follower
    /// does for each batch it appends. Returns whether the cache changed.
    ///
    /// * The latest epoch again, at the same or a later offset: ignored (an epoch's start never moves
    ///   forward once recorded; later batches of the same epoch change nothing).
    /// * Anything else first removes, from the newest down, every entry whose epoch is at least `epoch`
    ///   or whose start offset is at least `start_offset`, so the cache stays monotonic; then adds the
    ///   entry. So a new epoch at the same offset replaces the old one (it wrote nothing), the latest
    ///   epoch at an earlier offset moves back, and an older epoch erases everything after it.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> Result<bool, InvalidEpochEntry> {
        let entry = EpochEntry::new(epoch, start_offset);
        if epoch < 0 || start_offset < 0 {
            return Err(InvalidEpochEntry(entry));
        }
        let update_needed =
            self.latest_entry().is_none_or(|latest| epoch != latest.epoch || start_offset < latest.start_offset);
        if !update_needed {
            return Ok(false);
        }
        while let Some((&last_epoch, &last_start)) = self.epochs.last_key_value() {
            if last_epoch >= epoch || last_start >= start_offset {
                self.epochs.remove(&last_epoch);
            } else {
                break;
            }
        }
        self.epochs.insert(epoch, start_offset);
        Ok(true)
    }

    /// Every entry, oldest epoch first.
    pub fn entries(&self) -> Vec<EpochEntry> {
        self.epochs.iter().map(|(&epoch, &start)| EpochEntry::new(epoch, start)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }

    pub fn latest_entry(&self) -> Option<EpochEntry> {
        self.epochs.last_key_value().map(|(&epoch, &start)| EpochEntry::new(epoch, start))
    }

    pub fn earliest_entry(&self) -> Option<EpochEntry> {
        self.epochs.first_key_value().map(|(&epoch, &start)| EpochEntry::new(epoch, start))
    }

    /// The epoch the log is being written in: the largest one cached.
    pub fn latest_epoch(&self) -> Option<i32> {
        self.latest_entry().map(|e| e.epoch)
    }

    /// The epoch before the latest one.
    pub fn previous_epoch_of_latest(&self) -> Option<i32> {
        self.latest_epoch().and_then(|latest| self.previous_epoch(latest))
    }

    /// The largest cached epoch below `epoch`.
    pub fn previous_epoch(&self, epoch: i32) -> Option<i32> {
        self.previous_entry(epoch).map(|e| e.epoch)
    }

    /// The entry of the largest cached epoch below `epoch`.
    pub fn previous_entry(&self, epoch: i32) -> Option<EpochEntry> {
        self.epochs.range(..epoch).next_back().map(|(&e, &start)| EpochEntry::new(e, start))
    }

    /// The smallest cached epoch above `epoch`.
    pub fn next_epoch(&self, epoch: i32) -> Option<i32> {
        self.higher_entry(epoch).map(|e| e.epoch)
    }

    /// The entry for exactly `epoch`.
    pub fn epoch_entry(&self, epoch: i32) -> Option<EpochEntry> {
        self.epochs.get(&epoch).map(|&start| EpochEntry::new(epoch, start))
    }

    fn higher_entry(&self, epoch: i32) -> Option<EpochEntry> {
        // `epoch + 1..` is "strictly above"; for i32::MAX nothing can be above.
        let above = epoch.checked_add(1)?;
        self.epochs.range(above..).next().map(|(&e, &start)| EpochEntry::new(e, start))
    }

    fn floor_entry(&self, epoch: i32) -> Option<EpochEntry> {
        self.epochs.range(..=epoch).next_back().map(|(&e, &start)| EpochEntry::new(e, start))
    }

    /// The answer to OffsetsForLeaderEpoch: `(epoch, end offset)` for `requested_epoch`.
    ///
    /// * `UNDEFINED_EPOCH` requested, or the cache is empty, or the epoch is above every cached one:
    ///   `(-1, -1)`, unknown.
    /// * The latest epoch: `(epoch, log_end_offset)`; it is still being written.
    /// * An older epoch that is cached, or falls between two cached ones: the largest cached epoch at or
    ///   below it, ending where the next cached epoch starts.
    /// * Below every cached epoch: the requested epoch itself, ending where the first cached epoch
    ///   starts (older entries were removed with the log's start).
    pub fn end_offset_for(&self, requested_epoch: i32, log_end_offset: i64) -> (i32, i64) {
        const UNKNOWN: (i32, i64) = (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        if requested_epoch == UNDEFINED_EPOCH {
            return UNKNOWN;
        }
        if self.latest_epoch() == Some(requested_epoch) {
            return (requested_epoch, log_end_offset);
        }
        let Some(higher) = self.higher_entry(requested_epoch) else {
            return UNKNOWN;
        };
        match self.floor_entry(requested_epoch) {
            None => (requested_epoch, higher.start_offset),
            Some(floor) => (floor.epoch, higher.start_offset),
        }
    }

    /// The epoch `offset` was written in: the epoch of the last entry starting at or before it.
    pub fn epoch_for_offset(&self, offset: i64) -> Option<i32> {
        let mut previous = None;
        for (&epoch, &start) in &self.epochs {
            if start == offset {
                return Some(epoch);
            }
            if start > offset {
                return previous;
            }
            previous = Some(epoch);
        }
        previous
    }

    /// After the log is truncated to `end_offset` (exclusive), removes every entry starting at or after
    /// it, newest first. A negative offset (undefined) changes nothing. Returns the removed entries.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> Vec<EpochEntry> {
        let mut removed = Vec::new();
        if end_offset < 0 || self.latest_entry().is_none_or(|latest| latest.start_offset < end_offset) {
            return removed;
        }
        while let Some(latest) = self.latest_entry() {
            if latest.start_offset < end_offset {
                break;
            }
            self.epochs.remove(&latest.epoch);
            removed.push(latest);
        }
        removed
    }

    /// After the log's start moves to `start_offset` (retention or DeleteRecords), removes entries that
    /// start at or before it, then puts back the last of them starting at `start_offset`: the epoch the
    /// new first record belongs to is kept. An entry starting exactly there is kept as it was.
    /// Returns the removed entries (the re-added one included, with its old offset).
    pub fn truncate_from_start(&mut self, start_offset: i64) -> Vec<EpochEntry> {
        let mut removed = Vec::new();
        while let Some(earliest) = self.earliest_entry() {
            if earliest.start_offset > start_offset {
                break;
            }
            self.epochs.remove(&earliest.epoch);
            removed.push(earliest);
        }
        if let Some(last_removed) = removed.last() {
            self.epochs.insert(last_removed.epoch, start_offset);
        }
        removed
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.epochs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache_with(entries: &[(i32, i64)]) -> LeaderEpochCache {
        let mut cache = LeaderEpochCache::new();
        for &(epoch, start) in entries {
            cache.assign(epoch, start).expect("valid entries");
        }
        cache
    }

    fn entries(list: &[(i32, i64)]) -> Vec<EpochEntry> {
        list.iter().map(|&(epoch, start)| EpochEntry::new(epoch, start)).collect()
    }

    const UNKNOWN: (i32, i64) = (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);

    // LeaderEpochFileCacheTest, one test per Kafka test (the checkpoint-file tests excepted).

    #[test]
    fn the_previous_epoch_is_the_one_before_the_latest() {
        // testPreviousEpoch.
        let mut cache = LeaderEpochCache::new();
        assert_eq!(cache.previous_epoch_of_latest(), None);
        cache.assign(2, 10).unwrap();
        assert_eq!(cache.previous_epoch_of_latest(), None);
        cache.assign(4, 15).unwrap();
        assert_eq!(cache.previous_epoch_of_latest(), Some(2));
        cache.assign(10, 20).unwrap();
        assert_eq!(cache.previous_epoch_of_latest(), Some(4));
        cache.truncate_from_end(18);
        assert_eq!(cache.previous_epoch_of_latest(), Some(2));
    }

    #[test]
    fn the_latest_epoch_ends_at_the_log_end_offset() {
        // shouldAddEpochAndMessageOffsetToCache.
        let cache = cache_with(&[(2, 10)]);
        assert_eq!(cache.latest_epoch(), Some(2));
        assert_eq!(cache.entries(), entries(&[(2, 10)]));
        assert_eq!(cache.end_offset_for(2, 11), (2, 11));
    }

    #[test]
    fn asking_for_the_latest_epoch_returns_the_log_end_offset_whatever_was_assigned_later() {
        // shouldReturnLogEndOffsetIfLatestEpochRequested.
        let cache = cache_with(&[(2, 11), (2, 12)]);
        assert_eq!(cache.end_offset_for(2, 14), (2, 14));
    }

    #[test]
    fn an_undefined_epoch_gets_an_undefined_answer() {
        // shouldReturnUndefinedOffsetIfUndefinedEpochRequested.
        let cache = cache_with(&[(2, 11), (3, 12)]);
        assert_eq!(cache.end_offset_for(UNDEFINED_EPOCH, 0), UNKNOWN);
    }

    #[test]
    fn an_epochs_start_offset_never_moves_forward() {
        // shouldNotOverwriteLogEndOffsetForALeaderEpochOnceItHasBeenAssigned.
        let cache = cache_with(&[(2, 9), (2, 10)]);
        assert_eq!(cache.entries(), entries(&[(2, 9)]));
    }

    #[test]
    fn a_new_epoch_at_the_same_offset_replaces_the_old_one_that_wrote_nothing() {
        // shouldEnforceMonotonicallyIncreasingStartOffsets.
        let cache = cache_with(&[(2, 9), (3, 9)]);
        assert_eq!(cache.entries(), entries(&[(3, 9)]));
    }

    #[test]
    fn reassigning_an_epoch_at_a_greater_offset_is_ignored() {
        // shouldNotOverwriteOffsetForALeaderEpochOnceItHasBeenAssigned.
        let cache = cache_with(&[(2, 6), (2, 10)]);
        assert_eq!(cache.entries()[0].start_offset, 6);
    }

    #[test]
    fn an_empty_cache_knows_no_epoch() {
        // shouldReturnUnsupportedIfNoEpochRecorded, ...AndUndefinedEpochRequested, shouldFetchEndOffsetOfEmptyCache.
        let cache = LeaderEpochCache::new();
        assert_eq!(cache.end_offset_for(0, 0), UNKNOWN);
        assert_eq!(cache.end_offset_for(UNDEFINED_EPOCH, 73), UNKNOWN);
        assert_eq!(cache.end_offset_for(7, 0), UNKNOWN);
    }

    #[test]
    fn an_epoch_below_every_cached_one_ends_where_the_first_cached_epoch_starts() {
        // shouldReturnFirstEpochIfRequestedEpochLessThanFirstEpoch.
        let cache = cache_with(&[(5, 11), (6, 12), (7, 13)]);
        assert_eq!(cache.end_offset_for(4, 0), (4, 11));
    }

    #[test]
    fn the_latest_epoch_assigned_at_an_earlier_offset_truncates_the_epochs_it_overlaps() {
        // shouldTruncateIfMatchingEpochButEarlierStartingOffset.
        let cache = cache_with(&[(5, 11), (6, 12), (7, 13), (7, 12)]);
        assert_eq!(cache.end_offset_for(5, 0), (5, 12));
        assert_eq!(cache.end_offset_for(6, 0), (5, 12));
    }

    #[test]
    fn an_older_epoch_ends_where_the_next_epoch_starts() {
        // shouldGetFirstOffsetOfSubsequentEpochWhenOffsetRequestedForPreviousEpoch.
        let cache = cache_with(&[(1, 11), (1, 12), (2, 13), (2, 14), (3, 15), (3, 16)]);
        assert_eq!(cache.end_offset_for(2, 17), (2, 15));
    }

    #[test]
    fn an_epoch_between_cached_ones_answers_with_the_largest_cached_epoch_below_it() {
        // shouldReturnNextAvailableEpochIfThereIsNoExactEpochForTheOneRequested.
        let cache = cache_with(&[(0, 10), (2, 13), (4, 17)]);
        assert_eq!(cache.end_offset_for(1, 0), (0, 13));
        assert_eq!(cache.end_offset_for(2, 0), (2, 17));
        assert_eq!(cache.end_offset_for(3, 0), (2, 17));
    }

    #[test]
    fn the_same_epoch_at_a_later_offset_adds_no_entry() {
        // shouldNotUpdateEpochAndStartOffsetIfItDidNotChange.
        let mut cache = cache_with(&[(2, 6)]);
        assert_eq!(cache.assign(2, 7), Ok(false));
        assert_eq!(cache.entries(), entries(&[(2, 6)]));
    }

    #[test]
    fn an_epoch_above_every_cached_one_is_unknown() {
        // shouldReturnInvalidOffsetIfEpochIsRequestedWhichIsNotCurrentlyTracked.
        assert_eq!(cache_with(&[(2, 100)]).end_offset_for(3, 100), UNKNOWN);
    }

    #[test]
    fn epochs_need_not_start_from_zero() {
        // shouldSupportEpochsThatDoNotStartFromZero.
        let cache = cache_with(&[(2, 6)]);
        assert_eq!(cache.end_offset_for(2, 7), (2, 7));
        assert_eq!(cache.entries(), entries(&[(2, 6)]));
    }

    #[test]
    fn an_older_epoch_at_a_later_offset_erases_every_later_epoch() {
        // shouldEnforceMonotonicallyIncreasingEpochs.
        let cache = cache_with(&[(1, 5), (2, 6), (1, 7)]);
        assert_eq!(cache.latest_epoch(), Some(1));
        assert_eq!(cache.end_offset_for(1, 8), (1, 8));
        assert_eq!(cache.end_offset_for(2, 8), UNKNOWN);
        assert_eq!(cache.entries(), entries(&[(1, 7)]));
    }

    #[test]
    fn a_later_epoch_at_an_earlier_offset_wins_and_removes_the_conflict() {
        // shouldEnforceOffsetsIncreaseMonotonically.
        let cache = cache_with(&[(2, 6), (3, 5)]);
        assert_eq!(cache.entries(), entries(&[(3, 5)]));
    }

    #[test]
    fn epochs_advance_as_leaders_change_many_times() {
        // shouldIncreaseAndTrackEpochsAsLeadersChangeManyTimes.
        let mut cache = cache_with(&[(0, 0), (1, 0)]);
        assert_eq!(cache.latest_epoch(), Some(1));
        assert_eq!(cache.end_offset_for(1, 0), (1, 0));
        assert_eq!(cache.end_offset_for(0, 0), (0, 0));
        assert_eq!(cache.end_offset_for(1, 5), (1, 5));
        assert_eq!(cache.end_offset_for(0, 5), (0, 0));
        cache.assign(2, 5).unwrap();
        assert_eq!(cache.end_offset_for(2, 10), (2, 10));
        assert_eq!(cache.end_offset_for(1, 10), (1, 5));
        assert_eq!(cache.end_offset_for(0, 10), (0, 0));
    }

    #[test]
    fn a_follower_appending_batch_by_batch_records_one_entry_per_epoch() {
        // shouldIncreaseAndTrackEpochsAsFollowerReceivesManyMessages.
        let mut cache = cache_with(&[(0, 0), (0, 1), (0, 2)]);
        assert_eq!(cache.latest_epoch(), Some(0));
        assert_eq!(cache.end_offset_for(0, 3), (0, 3));
        for offset in 3..6 {
            cache.assign(1, offset).unwrap();
        }
        assert_eq!(cache.latest_epoch(), Some(1));
        assert_eq!(cache.end_offset_for(1, 6), (1, 6));
        for offset in 6..9 {
            cache.assign(2, offset).unwrap();
        }
        assert_eq!(cache.latest_epoch(), Some(2));
        assert_eq!(cache.end_offset_for(2, 9), (2, 9));
        assert_eq!(cache.end_offset_for(0, 9), (0, 3));
        assert_eq!(cache.end_offset_for(1, 9), (1, 6));
    }

    fn three_epochs() -> LeaderEpochCache {
        cache_with(&[(2, 6), (3, 8), (4, 11)])
    }

    #[test]
    fn truncating_the_end_on_an_epoch_boundary_removes_that_epoch_too() {
        // shouldDropEntriesOnEpochBoundaryWhenRemovingLatestEntries.
        let mut cache = three_epochs();
        cache.truncate_from_end(8);
        assert_eq!(cache.entries(), entries(&[(2, 6)]));
    }

    #[test]
    fn truncating_the_start_on_an_epoch_boundary_keeps_that_epoch() {
        // shouldPreserveResetOffsetOnClearEarliestIfOneExists.
        let mut cache = three_epochs();
        cache.truncate_from_start(8);
        assert_eq!(cache.entries(), entries(&[(3, 8), (4, 11)]));
    }

    #[test]
    fn truncating_the_start_inside_an_epoch_moves_that_epochs_start() {
        // shouldUpdateSavedOffsetWhenOffsetToClearToIsBetweenEpochs and shouldUpdateOffsetBetweenEpochBoundariesOnClearEarliest.
        let mut cache = three_epochs();
        cache.truncate_from_start(9);
        assert_eq!(cache.entries(), entries(&[(3, 9), (4, 11)]));
    }

    #[test]
    fn truncating_the_start_before_or_at_the_first_entry_changes_nothing() {
        // shouldNotClearAnythingIfOffsetToEarly and shouldNotClearAnythingIfOffsetToFirstOffset.
        for start in [1, 6] {
            let mut cache = three_epochs();
            cache.truncate_from_start(start);
            assert_eq!(cache.entries(), entries(&[(2, 6), (3, 8), (4, 11)]));
        }
    }

    #[test]
    fn truncating_the_start_up_to_the_latest_epoch_keeps_only_it() {
        // shouldRetainLatestEpochOnClearAllEarliest.
        let mut cache = three_epochs();
        cache.truncate_from_start(11);
        assert_eq!(cache.entries(), entries(&[(4, 11)]));
    }

    #[test]
    fn truncating_the_start_inside_the_first_epoch_moves_its_start() {
        // shouldUpdateOffsetBetweenEpochBoundariesOnClearEarliest2.
        let mut cache = cache_with(&[(0, 0), (1, 7), (2, 10)]);
        cache.truncate_from_start(5);
        assert_eq!(cache.entries(), entries(&[(0, 5), (1, 7), (2, 10)]));
    }

    #[test]
    fn truncating_the_start_past_the_latest_epoch_moves_its_start() {
        // shouldRetainLatestEpochOnClearAllEarliestAndUpdateItsOffset.
        let mut cache = three_epochs();
        cache.truncate_from_start(15);
        assert_eq!(cache.entries(), entries(&[(4, 15)]));
    }

    #[test]
    fn truncating_the_end_inside_an_epoch_keeps_that_epoch() {
        // shouldDropEntriesBetweenEpochBoundaryWhenRemovingNewest.
        let mut cache = three_epochs();
        cache.truncate_from_end(9);
        assert_eq!(cache.latest_epoch(), Some(3));
        assert_eq!(cache.entries(), entries(&[(2, 6), (3, 8)]));
    }

    #[test]
    fn clearing_removes_every_entry() {
        // shouldClearAllEntries.
        let mut cache = three_epochs();
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn truncating_to_an_undefined_offset_changes_nothing() {
        // shouldNotResetEpochHistoryHeadIfUndefinedPassed and shouldNotResetEpochHistoryTailIfUndefinedPassed.
        let mut cache = three_epochs();
        cache.truncate_from_start(UNDEFINED_EPOCH_OFFSET);
        assert_eq!(cache.entries().len(), 3);
        cache.truncate_from_end(UNDEFINED_EPOCH_OFFSET);
        assert_eq!(cache.entries().len(), 3);
    }

    #[test]
    fn an_empty_cache_has_no_latest_epoch_and_truncates_to_nothing() {
        // shouldFetchLatestEpochOfEmptyCache, shouldClearEarliestOnEmptyCache, shouldClearLatestOnEmptyCache.
        let mut cache = LeaderEpochCache::new();
        assert_eq!(cache.latest_epoch(), None);
        assert!(cache.truncate_from_start(7).is_empty());
        assert!(cache.truncate_from_end(7).is_empty());
    }

    #[test]
    fn previous_epoch_and_entry_look_strictly_below() {
        // testFindPreviousEpoch and testFindPreviousEntry.
        let mut cache = LeaderEpochCache::new();
        assert_eq!(cache.previous_epoch(2), None);
        assert_eq!(cache.previous_entry(2), None);
        cache.assign(2, 10).unwrap();
        assert_eq!(cache.previous_epoch(2), None);
        cache.assign(4, 15).unwrap();
        assert_eq!(cache.previous_epoch(4), Some(2));
        assert_eq!(cache.previous_entry(4), Some(EpochEntry::new(2, 10)));
        cache.assign(10, 20).unwrap();
        assert_eq!(cache.previous_epoch(10), Some(4));
        assert_eq!(cache.previous_entry(10), Some(EpochEntry::new(4, 15)));
        cache.truncate_from_end(18);
        let latest = cache.latest_epoch().unwrap();
        assert_eq!(cache.previous_epoch(latest), Some(2));
        assert_eq!(cache.previous_entry(latest), Some(EpochEntry::new(2, 10)));
    }

    #[test]
    fn next_epoch_looks_strictly_above() {
        // testFindNextEpoch.
        let cache = cache_with(&[(0, 0), (1, 100), (2, 200)]);
        assert_eq!(cache.next_epoch(-1), Some(0));
        assert_eq!(cache.next_epoch(0), Some(1));
        assert_eq!(cache.next_epoch(1), Some(2));
        assert_eq!(cache.next_epoch(2), None);
        assert_eq!(cache.next_epoch(100), None);
    }

    #[test]
    fn each_epoch_entry_can_be_read_back() {
        // testGetEpochEntry.
        let cache = cache_with(&[(2, 100), (3, 500), (5, 1000)]);
        assert_eq!(cache.epoch_entry(2), Some(EpochEntry::new(2, 100)));
        assert_eq!(cache.epoch_entry(3), Some(EpochEntry::new(3, 500)));
        assert_eq!(cache.epoch_entry(5), Some(EpochEntry::new(5, 1000)));
    }

    #[test]
    fn an_offset_belongs_to_the_last_epoch_starting_at_or_before_it() {
        // shouldFetchEpochForGivenOffset.
        let cache = cache_with(&[(0, 10), (1, 20), (5, 30)]);
        assert_eq!(cache.epoch_for_offset(25), Some(1));
        assert_eq!(cache.epoch_for_offset(20), Some(1));
        assert_eq!(cache.epoch_for_offset(30), Some(5));
        assert_eq!(cache.epoch_for_offset(50), Some(5));
        assert_eq!(cache.epoch_for_offset(5), None);
    }

    #[test]
    fn truncating_both_ends_leaves_the_middle_epoch() {
        // shouldWriteCheckpointOnTruncation (the cache content half; the file is not modelled).
        let mut cache = three_epochs();
        cache.truncate_from_end(11);
        cache.truncate_from_start(8);
        assert_eq!(cache.entries(), entries(&[(3, 8)]));
    }

    #[test]
    fn negative_epochs_and_offsets_are_refused_with_kafkas_message() {
        let mut cache = LeaderEpochCache::new();
        let err = cache.assign(-1, 5).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Received invalid partition leader epoch entry EpochEntry(epoch=-1, startOffset=5)"
        );
        assert!(cache.assign(1, -5).is_err());
        assert!(cache.is_empty());
    }
}
