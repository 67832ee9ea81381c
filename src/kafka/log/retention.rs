//! Which old segments retention deletes: Kafka's `UnifiedLog.deleteOldSegments`, as a pure function.
//!
//! Three passes run in this order, each deleting a prefix of what the previous left: the log start
//! offset breach (DeleteRecords), then `retention.bytes`, then `retention.ms`. Only the first pass runs
//! when `cleanup.policy` lacks `delete`. Deletion is whole segments, oldest first, and stops at the first
//! segment that does not qualify. A segment qualifies only when the high watermark has reached the next
//! segment's base offset (the log end offset for the last one), so the log start offset never passes
//! the high watermark. Only an *empty* last segment is never deleted: a non-empty active segment that
//! qualifies is deleted after Kafka rolls a new empty one.

/// What retention needs to know about one segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SegmentFacts {
    pub base_offset: u64,
    pub size_bytes: u64,
    pub largest_timestamp_ms: u64,
}

/// What retention needs to know about the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogFacts {
    pub log_start_offset: u64,
    pub log_end_offset: u64,
    pub high_watermark: u64,
    pub now_ms: u64,
}

/// The topic's retention settings (negative means unlimited, as in Kafka).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    pub retention_ms: i64,
    pub retention_bytes: i64,
    /// `cleanup.policy` includes `delete`.
    pub delete: bool,
}

/// Why a segment was deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum RetentionReason {
    /// Everything in it is below the log start offset (DeleteRecords moved it).
    LogStartOffset,
    /// The log was larger than `retention.bytes`.
    RetentionBytes,
    /// Its newest record is older than `retention.ms`.
    RetentionMs,
}

/// The reasons for deleting segments `0..n` (the oldest n), in order. Empty when nothing qualifies.
pub fn plan(segments: &[SegmentFacts], log: LogFacts, policy: RetentionPolicy) -> Vec<RetentionReason> {
    let mut reasons = Vec::new();
    // Pass 1: the log start offset breach.
    let deleted = deletable(segments, log, |_, next| next.is_some_and(|base| base <= log.log_start_offset));
    reasons.extend(std::iter::repeat_n(RetentionReason::LogStartOffset, deleted));
    if !policy.delete {
        return reasons;
    }
    // Pass 2: retention.bytes, over what pass 1 left.
    let rest = &segments[reasons.len()..];
    let size: u64 = rest.iter().map(|s| s.size_bytes).sum();
    if policy.retention_bytes >= 0 && size >= policy.retention_bytes as u64 {
        let mut diff = size as i64 - policy.retention_bytes;
        let deleted = deletable(rest, log, |segment, _| {
            if diff - segment.size_bytes as i64 >= 0 {
                diff -= segment.size_bytes as i64;
                true
            } else {
                false
            }
        });
        reasons.extend(std::iter::repeat_n(RetentionReason::RetentionBytes, deleted));
    }
    // Pass 3: retention.ms, over what passes 1 and 2 left.
    if policy.retention_ms >= 0 {
        let rest = &segments[reasons.len()..];
        let deleted = deletable(rest, log, |segment, _| {
            log.now_ms.saturating_sub(segment.largest_timestamp_ms) as i64 > policy.retention_ms
        });
        reasons.extend(std::iter::repeat_n(RetentionReason::RetentionMs, deleted));
    }
    reasons
}

/// Kafka's `deletableSegments`: the length of the prefix for which the predicate holds, given the next
/// segment's base offset (`None` for the last segment).
fn deletable(
    segments: &[SegmentFacts],
    log: LogFacts,
    mut predicate: impl FnMut(&SegmentFacts, Option<u64>) -> bool,
) -> usize {
    let mut count = 0;
    for (i, segment) in segments.iter().enumerate() {
        let next = segments.get(i + 1).map(|s| s.base_offset);
        let is_last_and_empty = next.is_none() && segment.size_bytes == 0;
        let upper_bound = next.unwrap_or(log.log_end_offset);
        if !is_last_and_empty && log.high_watermark >= upper_bound && predicate(segment, next) {
            count += 1;
        } else {
            break;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use RetentionReason::*;

    const S: u64 = 72;

    fn segments(sizes: &[u64], records_each: u64) -> Vec<SegmentFacts> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, &size)| SegmentFacts { base_offset: i as u64 * records_each, size_bytes: size, largest_timestamp_ms: 0 })
            .collect()
    }

    fn at_end(leo: u64) -> LogFacts {
        LogFacts { log_start_offset: 0, log_end_offset: leo, high_watermark: leo, now_ms: 0 }
    }

    const KEEP_FOREVER: RetentionPolicy = RetentionPolicy { retention_ms: -1, retention_bytes: -1, delete: true };

    #[test]
    fn retention_bytes_deletes_whole_old_segments_and_may_stay_above_the_limit() {
        // UnifiedLogTest#shouldDeleteSizeBasedSegments: three 5S segments, retention.bytes 10S → 2 remain.
        let policy = RetentionPolicy { retention_bytes: (10 * S) as i64, ..KEEP_FOREVER };
        assert_eq!(plan(&segments(&[5 * S, 5 * S, 5 * S], 5), at_end(15), policy), vec![RetentionBytes]);
        // 12S allowed: 15S - 12S = 3S is less than a segment, so nothing goes and the log stays above.
        let policy = RetentionPolicy { retention_bytes: (12 * S) as i64, ..KEEP_FOREVER };
        assert_eq!(plan(&segments(&[5 * S, 5 * S, 5 * S], 5), at_end(15), policy), vec![]);
    }

    #[test]
    fn retention_bytes_not_breached_deletes_nothing() {
        // UnifiedLogTest#shouldNotDeleteSizeBasedSegmentsWhenUnderRetentionSize.
        let policy = RetentionPolicy { retention_bytes: (15 * S) as i64, ..KEEP_FOREVER };
        assert_eq!(plan(&segments(&[5 * S, 5 * S, 5 * S], 5), at_end(15), policy), vec![]);
    }

    #[test]
    fn expired_segments_go_including_the_non_empty_active_one() {
        // UnifiedLogTest#shouldDeleteTimeBasedSegmentsReadyToBeDeleted: all three expired, HW = LEO.
        let policy = RetentionPolicy { retention_ms: 10_000, ..KEEP_FOREVER };
        let log = LogFacts { now_ms: 20_000, ..at_end(15) };
        assert_eq!(plan(&segments(&[5 * S, 5 * S, 5 * S], 5), log, policy), vec![RetentionMs; 3]);
    }

    #[test]
    fn nothing_at_or_above_the_high_watermark_is_deleted() {
        let policy = RetentionPolicy { retention_ms: 10_000, ..KEEP_FOREVER };
        // The HW sits inside the second segment: only the first may go.
        let log = LogFacts { high_watermark: 7, now_ms: 20_000, ..at_end(15) };
        assert_eq!(plan(&segments(&[5 * S, 5 * S, 5 * S], 5), log, policy), vec![RetentionMs]);
    }

    #[test]
    fn an_empty_last_segment_is_never_deleted() {
        let policy = RetentionPolicy { retention_ms: 0, ..KEEP_FOREVER };
        let log = LogFacts { now_ms: 20_000, ..at_end(10) };
        assert_eq!(plan(&segments(&[5 * S, 5 * S, 0], 5), log, policy), vec![RetentionMs, RetentionMs]);
    }

    #[test]
    fn deletion_stops_at_the_first_segment_that_does_not_qualify() {
        let mut segs = segments(&[S, S, S], 1);
        segs[0].largest_timestamp_ms = 0;
        segs[1].largest_timestamp_ms = 19_000; // young
        segs[2].largest_timestamp_ms = 0; // old again, but behind a young one
        let policy = RetentionPolicy { retention_ms: 10_000, ..KEEP_FOREVER };
        let log = LogFacts { now_ms: 20_000, ..at_end(3) };
        assert_eq!(plan(&segs, log, policy), vec![RetentionMs]);
    }

    #[test]
    fn a_moved_log_start_offset_deletes_segments_wholly_below_it_even_without_delete_policy() {
        let compact_only = RetentionPolicy { retention_ms: 0, retention_bytes: 0, delete: false };
        let log = LogFacts { log_start_offset: 10, ..at_end(15) };
        assert_eq!(plan(&segments(&[5 * S, 5 * S, 5 * S], 5), log, compact_only), vec![LogStartOffset, LogStartOffset]);
    }

    #[test]
    fn the_passes_run_log_start_then_bytes_then_time() {
        let mut segs = segments(&[5 * S, 5 * S, 5 * S, 5 * S], 5);
        for (i, s) in segs.iter_mut().enumerate() {
            s.largest_timestamp_ms = i as u64 * 1000;
        }
        let policy = RetentionPolicy { retention_ms: 18_500, retention_bytes: (10 * S) as i64, delete: true };
        let log = LogFacts { log_start_offset: 5, now_ms: 20_000, ..at_end(20) };
        // Segment 0 is below the log start; then 15S remain over 10S: one more goes by size;
        // then segment 2 (newest record at 2 s, 18 s old) is within 18.5 s and stays.
        assert_eq!(plan(&segs, log, policy), vec![LogStartOffset, RetentionBytes]);
    }
}
