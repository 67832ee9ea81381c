use super::*;
use crate::kafka::record::{BatchBuilder, ProducerStamp, RecordId, Value};
use std::rc::Rc;

/// A single-record batch with value "test" and no key: 72 bytes, Kafka's `S` in UnifiedLogTest.
const S: u64 = 72;

fn batch_at(log: &Log, timestamp_ms: u64) -> Batch {
    let mut b = BatchBuilder::new();
    b.push(RecordId { producer: 0, sequence: log.log_end_offset() }, timestamp_ms, None, Value::Text("test".into()), Rc::from([]));
    let (records, size_bytes, max_timestamp_ms) = b.finish();
    Batch {
        base_offset: log.log_end_offset(),
        partition_leader_epoch: 0,
        producer: ProducerStamp::NONE,
        transactional: false,
        control: None,
        max_timestamp_ms,
        size_bytes,
        records,
    }
}

fn append_n(log: &mut Log, n: u64, timestamp_ms: u64) {
    for _ in 0..n {
        let batch = batch_at(log, timestamp_ms);
        log.append(batch, Tick(timestamp_ms));
    }
}

fn log_with(config: LogConfig) -> Log {
    Log::new(config, Tick(0), Rng::new(1))
}

fn base_offsets(log: &Log) -> Vec<u64> {
    log.segments().map(Segment::base_offset).collect()
}

#[test]
fn a_segment_rolls_when_the_next_batch_would_pass_segment_bytes() {
    // UnifiedLogTest#shouldDeleteSizeBasedSegments setup: segment.bytes = 5S, 15 appends → 3 segments.
    let mut log = log_with(LogConfig { segment_bytes: 5 * S, ..LogConfig::default() });
    append_n(&mut log, 15, 1000);
    assert_eq!(base_offsets(&log), vec![0, 5, 10]);
    assert_eq!(log.log_end_offset(), 15);
}

#[test]
fn eleven_appends_into_segments_of_ten_s_minus_ten_make_two_segments_of_nine_and_two() {
    // UnifiedLogTest#testSizeBasedLogRoll: 9S + S > 10S - 10, so the tenth append rolls.
    let mut log = log_with(LogConfig { segment_bytes: 10 * (S - 1), ..LogConfig::default() });
    append_n(&mut log, 11, 1000);
    assert_eq!(base_offsets(&log), vec![0, 9]);
}

#[test]
fn a_segment_rolls_when_its_first_record_is_older_than_segment_ms() {
    let mut log = log_with(LogConfig { segment_ms: 10_000, ..LogConfig::default() });
    append_n(&mut log, 3, 1_000);
    append_n(&mut log, 1, 11_000); // exactly 10 s after the first: not more than segment.ms
    assert_eq!(base_offsets(&log), vec![0]);
    let batch = batch_at(&log, 11_001);
    assert_eq!(log.append(batch, Tick(11_001)), Some(RollReason::SegmentMs));
    assert_eq!(base_offsets(&log), vec![0, 4]);
}

#[test]
fn the_offset_index_gets_an_entry_only_after_more_than_index_interval_bytes() {
    // With index.interval.bytes = 3S, an entry is added before the 5th batch (4S > 3S), then the 9th.
    let mut log = log_with(LogConfig { index_interval_bytes: 3 * S, ..LogConfig::default() });
    append_n(&mut log, 10, 1000);
    let segment = log.segments().next().unwrap();
    let entries: Vec<(u64, u64)> = segment.offset_index().entries().iter().map(|e| (e.offset, e.position)).collect();
    assert_eq!(entries, vec![(4, 4 * S), (8, 8 * S)]);
}

#[test]
fn the_first_batch_of_a_segment_is_never_indexed() {
    let mut log = log_with(LogConfig { index_interval_bytes: 0, segment_bytes: 3 * S, ..LogConfig::default() });
    append_n(&mut log, 6, 1000);
    for segment in log.segments() {
        assert!(segment.offset_index().entries().iter().all(|e| e.offset != segment.base_offset()));
    }
}

#[test]
fn reads_by_offset_go_through_the_index_and_return_whole_batches_below_the_bound() {
    let mut log = log_with(LogConfig { index_interval_bytes: 2 * S, segment_bytes: 6 * S, ..LogConfig::default() });
    append_n(&mut log, 20, 1000);
    log.set_high_watermark(20);
    for from in [0, 5, 6, 13, 19] {
        let batches = log.read(from, u64::MAX, 20).unwrap();
        assert_eq!(batches.first().map(|b| b.base_offset), Some(from), "read from {from}");
        assert_eq!(batches.last().map(Batch::last_offset), Some(19));
    }
    // Consumers read only below the high watermark.
    let below_hw = log.read(0, u64::MAX, 12).unwrap();
    assert_eq!(below_hw.last().map(Batch::last_offset), Some(11));
    // max_bytes limits the read, but never below one batch.
    assert_eq!(log.read(3, 2 * S, 20).unwrap().len(), 2);
    assert_eq!(log.read(3, 1, 20).unwrap().len(), 1);
}

#[test]
fn reading_at_the_high_watermark_is_empty_and_outside_the_log_is_out_of_range() {
    let mut log = log_with(LogConfig::default());
    append_n(&mut log, 5, 1000);
    log.set_high_watermark(3);
    assert_eq!(log.read(3, u64::MAX, 3).unwrap(), vec![], "offsets in [HW, LEO] read as empty");
    assert_eq!(log.read(5, u64::MAX, 3).unwrap(), vec![]);
    let err = log.read(6, u64::MAX, 3).unwrap_err();
    assert_eq!(err, OffsetOutOfRange { requested: 6, log_start_offset: 0, log_end_offset: 5 });
}

#[test]
fn time_based_retention_deletes_even_the_active_segment_leaving_one_empty_segment() {
    // UnifiedLogTest#shouldDeleteTimeBasedSegmentsReadyToBeDeleted: 3 segments, all expired, HW = LEO
    // → 1 empty segment at offset 15, log start offset 15.
    let mut log = log_with(LogConfig { segment_bytes: 5 * S, retention_ms: 10_000, ..LogConfig::default() });
    append_n(&mut log, 15, 1000);
    log.set_high_watermark(15);
    let deleted = log.delete_old_segments(Tick(20_000));
    assert_eq!(deleted.len(), 3);
    assert!(deleted.iter().all(|d| d.reason == RetentionReason::RetentionMs));
    assert_eq!(base_offsets(&log), vec![15]);
    assert_eq!(log.log_start_offset(), 15);
    assert_eq!(log.log_end_offset(), 15);
    assert!(log.segments().next().unwrap().is_empty());
}

#[test]
fn size_based_retention_moves_the_log_start_and_a_lagging_read_is_out_of_range() {
    let mut log = log_with(LogConfig { segment_bytes: 5 * S, retention_bytes: (10 * S) as i64, ..LogConfig::default() });
    append_n(&mut log, 15, 1000);
    log.set_high_watermark(15);
    let deleted = log.delete_old_segments(Tick(2000));
    assert_eq!(deleted, vec![DeletedSegment { base_offset: 0, next_offset: 5, size_bytes: 5 * S, reason: RetentionReason::RetentionBytes }]);
    assert_eq!(log.log_start_offset(), 5);
    assert!(log.read(2, u64::MAX, 15).is_err(), "a consumer at offset 2 fell below the log start");
}

#[test]
fn retention_waits_for_the_high_watermark() {
    let mut log = log_with(LogConfig { segment_bytes: 5 * S, retention_ms: 0, ..LogConfig::default() });
    append_n(&mut log, 15, 1000);
    log.set_high_watermark(0);
    assert_eq!(log.delete_old_segments(Tick(50_000)), vec![]);
    log.set_high_watermark(10);
    assert_eq!(log.delete_old_segments(Tick(50_000)).len(), 2);
}

#[test]
fn truncation_removes_whole_batches_from_the_end_across_segments() {
    let mut log = log_with(LogConfig { segment_bytes: 5 * S, ..LogConfig::default() });
    append_n(&mut log, 12, 1000);
    log.set_high_watermark(12);
    let removed = log.truncate_to(4, Tick(5000));
    assert_eq!(removed.iter().map(|b| b.base_offset).collect::<Vec<_>>(), (4..12).collect::<Vec<_>>());
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(log.high_watermark(), 4);
    assert_eq!(base_offsets(&log), vec![0]);
    append_n(&mut log, 1, 6000);
    assert_eq!(log.log_end_offset(), 5);
}

#[test]
fn an_index_with_no_room_rolls_every_append_without_leaving_an_empty_segment_behind() {
    // segment.index.bytes = 8: the time index (12-byte entries) holds none, so it is always full and
    // LogSegment.shouldRoll holds even for the empty first segment. LocalLog.roll then recreates that
    // segment at the same base offset (KAFKA-6388) instead of adding a second one: one batch per segment.
    let mut log = log_with(LogConfig { segment_index_bytes: 8, ..LogConfig::default() });
    append_n(&mut log, 3, 1000);
    assert_eq!(base_offsets(&log), vec![0, 1, 2]);
    assert!(log.segments().all(|s| !s.is_empty()));
}

#[test]
fn truncating_to_a_segments_base_offset_keeps_that_segment_as_the_empty_active_one() {
    // LocalLog.truncateTo deletes only segments starting after the target; the one starting at it is
    // truncated to nothing and takes the next append, so the segment before it stays closed.
    let mut log = log_with(LogConfig { segment_bytes: 5 * S, ..LogConfig::default() });
    append_n(&mut log, 12, 1000);
    log.truncate_to(5, Tick(5000));
    assert_eq!(base_offsets(&log), vec![0, 5]);
    assert_eq!(log.log_end_offset(), 5);
    append_n(&mut log, 1, 6000);
    assert_eq!(base_offsets(&log), vec![0, 5]);
    assert_eq!(log.segments().map(Segment::size_bytes).collect::<Vec<_>>(), vec![5 * S, S]);
}

#[test]
fn truncating_below_the_first_segment_restarts_the_log_empty_at_the_target() {
    // UnifiedLog.truncateTo: below the first segment's base nothing can stay, so Kafka truncates fully
    // and starts at the target (log start, end and high watermark all there).
    let mut log = log_with(LogConfig { segment_bytes: 5 * S, retention_bytes: (2 * S) as i64, ..LogConfig::default() });
    append_n(&mut log, 12, 1000);
    log.set_high_watermark(12);
    log.delete_old_segments(Tick(2000));
    assert_eq!(base_offsets(&log), vec![10]);
    let removed = log.truncate_to(3, Tick(3000));
    assert_eq!(removed.len(), 2);
    assert_eq!(base_offsets(&log), vec![3]);
    assert_eq!((log.log_start_offset(), log.log_end_offset(), log.high_watermark()), (3, 3, 3));
}

#[test]
fn truncating_below_the_log_start_offset_brings_it_down_to_the_target() {
    // UnifiedLog.truncateTo: logStartOffset = min(target, logStartOffset).
    let mut log = log_with(LogConfig::default());
    append_n(&mut log, 10, 1000);
    log.set_high_watermark(10);
    log.maybe_increment_log_start_offset(8);
    log.truncate_to(6, Tick(2000));
    assert_eq!((log.log_start_offset(), log.log_end_offset(), log.high_watermark()), (6, 6, 6));
}

#[test]
fn seek_by_timestamp_finds_the_first_record_at_or_after_it() {
    let mut log = log_with(LogConfig { index_interval_bytes: S, segment_bytes: 4 * S, ..LogConfig::default() });
    for t in 0..12 {
        let batch = batch_at(&log, 1000 + t * 100);
        log.append(batch, Tick(1000 + t * 100));
    }
    assert_eq!(log.offset_for_timestamp(0), Some(0));
    assert_eq!(log.offset_for_timestamp(1450), Some(5));
    assert_eq!(log.offset_for_timestamp(2100), Some(11));
    assert_eq!(log.offset_for_timestamp(2101), None);
}

#[test]
fn memory_stays_bounded_because_retention_really_drops_batches() {
    let mut log = log_with(LogConfig { segment_bytes: 50 * S, retention_bytes: (200 * S) as i64, ..LogConfig::default() });
    for round in 0..100 {
        append_n(&mut log, 50, round * 10);
        log.set_high_watermark(log.log_end_offset());
        log.delete_old_segments(Tick(round * 10));
    }
    assert_eq!(log.log_end_offset(), 5000);
    assert!(log.batches().count() <= 250, "{} batches kept", log.batches().count());
}

/// A batch of `n` records from producer `pid`, transactional or a marker.
fn txn_batch(log: &Log, pid: i64, n: usize, control: Option<crate::kafka::record::ControlKind>) -> Batch {
    let mut b = BatchBuilder::new();
    for i in 0..n {
        b.push(RecordId { producer: 0, sequence: log.log_end_offset() + i as u64 }, 0, None, Value::Text("t".into()), Rc::from([]));
    }
    let (records, size_bytes, max_timestamp_ms) = b.finish();
    Batch {
        base_offset: log.log_end_offset(),
        partition_leader_epoch: 0,
        producer: ProducerStamp { producer_id: pid, producer_epoch: 0, base_sequence: if control.is_some() { -1 } else { 0 } },
        transactional: true,
        control,
        max_timestamp_ms,
        size_bytes,
        records,
    }
}

#[test]
fn an_open_transaction_holds_the_last_stable_offset_at_its_first_record() {
    use crate::kafka::record::ControlKind;
    let mut log = log_with(LogConfig::default());
    append_n(&mut log, 2, 0); // 0, 1: plain records
    let open = txn_batch(&log, 7, 3, None); // 2..=4
    log.append(open, Tick(0));
    append_n(&mut log, 1, 0); // 5
    log.set_high_watermark(6);
    assert_eq!(log.last_stable_offset(), 2, "read_committed stops before the open transaction");
    let marker = txn_batch(&log, 7, 1, Some(ControlKind::Commit)); // 6
    log.append(marker, Tick(0));
    assert_eq!(log.last_stable_offset(), 2, "the marker is not replicated yet");
    log.set_high_watermark(7);
    assert_eq!(log.last_stable_offset(), 7, "committed and replicated: everything is stable");
}

#[test]
fn an_aborted_transaction_is_listed_for_read_committed_fetches_that_overlap_it() {
    use crate::kafka::record::ControlKind;
    let mut log = log_with(LogConfig::default());
    let data = txn_batch(&log, 9, 2, None); // 0, 1
    log.append(data, Tick(0));
    let abort = txn_batch(&log, 9, 1, Some(ControlKind::Abort)); // 2
    log.append(abort, Tick(0));
    append_n(&mut log, 2, 0); // 3, 4
    log.set_high_watermark(5);
    let listed = log.aborted_transactions(0, 5);
    assert_eq!(listed, vec![AbortedTransaction { producer_id: 9, first_offset: 0 }]);
    assert!(log.aborted_transactions(3, 5).is_empty(), "a fetch after the abort marker needs nothing");
}
