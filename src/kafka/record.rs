//! Records and record batches, sized exactly as Kafka's v2 format encodes them.
//!
//! Sizes matter to a learner: `batch.size`, `segment.bytes`, `retention.bytes` and `index.interval.bytes`
//! all count encoded bytes, so a record here takes as many bytes as Kafka would give it.
//! Batches hold their records behind an `Rc`, so a leader, its followers and the consumers reading
//! share one copy (and a cloned world for time travel copies only pointers).

use serde::{Deserialize, Serialize};
use std::rc::Rc;

/// The fixed part of a v2 record batch (base offset through record count).
pub const BATCH_OVERHEAD_BYTES: u32 = 61;

/// Who made a record: the producer's number in this run and how many records it had made before.
/// Unique in a run, so the guarantee ledger can follow each record from `send` to every read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RecordId {
    pub producer: u32,
    pub sequence: u64,
}

/// A record's value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    /// A null value: a tombstone in a compacted topic.
    Null,
    /// Text a learner typed or a lesson wrote ("OrderPlaced #12").
    Text(Rc<str>),
    /// A payload of this many bytes whose content does not matter (benchmarks, load generators).
    Opaque(u32),
}

impl Value {
    pub fn len_bytes(&self) -> Option<u32> {
        match self {
            Value::Null => None,
            Value::Text(text) => Some(u32::try_from(text.len()).unwrap_or(u32::MAX)),
            Value::Opaque(bytes) => Some(*bytes),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Header {
    pub key: Rc<str>,
    pub value: Rc<str>,
}

/// One record as stored: its offset is its batch's base offset plus its index in the batch.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub id: RecordId,
    /// CreateTime, set by the producer.
    pub timestamp_ms: u64,
    pub key: Option<Rc<str>>,
    pub value: Value,
    pub headers: Rc<[Header]>,
    /// Encoded size inside its batch (depends on its position and timestamp delta).
    pub size_bytes: u32,
}

/// Bytes of a zigzag varint (Kafka's `ByteUtils.sizeOfVarint`).
pub fn varint_size(value: i64) -> u32 {
    let mut zigzag = ((value << 1) ^ (value >> 63)) as u64;
    let mut bytes = 1;
    while zigzag >= 0x80 {
        zigzag >>= 7;
        bytes += 1;
    }
    bytes
}

/// Bytes of a nullable field: its length as a varint (-1 for null), then the bytes.
fn nullable_size(len: Option<u32>) -> u32 {
    match len {
        None => varint_size(-1),
        Some(n) => varint_size(i64::from(n)) + n,
    }
}

/// Encoded size of a v2 record at `offset_delta` with `timestamp_delta_ms` from the batch's first.
pub fn record_size_bytes(
    offset_delta: u32,
    timestamp_delta_ms: i64,
    key: Option<&str>,
    value: &Value,
    headers: &[Header],
) -> u32 {
    let key_len = key.map(|k| u32::try_from(k.len()).unwrap_or(u32::MAX));
    let headers_size: u32 = headers
        .iter()
        .map(|h| {
            let k = u32::try_from(h.key.len()).unwrap_or(u32::MAX);
            varint_size(i64::from(k)) + k + nullable_size(Some(u32::try_from(h.value.len()).unwrap_or(u32::MAX)))
        })
        .sum();
    let body = 1 // attributes
        + varint_size(timestamp_delta_ms)
        + varint_size(i64::from(offset_delta))
        + nullable_size(key_len)
        + nullable_size(value.len_bytes())
        + varint_size(headers.len() as i64)
        + headers_size;
    varint_size(i64::from(body)) + body
}

/// A transaction marker's meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ControlKind {
    Commit,
    Abort,
}

/// The producer identity stamped on a batch (idempotence and transactions). `NONE` for plain producers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProducerStamp {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// The sequence number of the batch's first record, per partition.
    pub base_sequence: i32,
}

impl ProducerStamp {
    pub const NONE: ProducerStamp = ProducerStamp { producer_id: -1, producer_epoch: -1, base_sequence: -1 };

    pub fn is_idempotent(&self) -> bool {
        self.producer_id >= 0
    }
}

/// A record batch as a log stores it, with offsets assigned by the leader.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Batch {
    pub base_offset: u64,
    /// The leader epoch under which the leader appended this batch.
    pub partition_leader_epoch: i32,
    pub producer: ProducerStamp,
    pub transactional: bool,
    /// Set on transaction markers (a control batch holds one marker record).
    pub control: Option<ControlKind>,
    pub max_timestamp_ms: u64,
    pub size_bytes: u32,
    pub records: Rc<[Record]>,
}

impl Batch {
    /// The offset of the last record (a control batch has one record too).
    pub fn last_offset(&self) -> u64 {
        self.base_offset + (self.records.len().max(1) as u64) - 1
    }

    /// The offset after this batch.
    pub fn next_offset(&self) -> u64 {
        self.last_offset() + 1
    }

    pub fn record_count(&self) -> u32 {
        u32::try_from(self.records.len()).unwrap_or(u32::MAX)
    }

    /// The first record's timestamp (the batch's base timestamp).
    pub fn first_timestamp_ms(&self) -> u64 {
        self.records.first().map_or(self.max_timestamp_ms, |r| r.timestamp_ms)
    }

    /// `(offset, record)` for every record in the batch.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Record)> {
        self.records.iter().enumerate().map(move |(i, r)| (self.base_offset + i as u64, r))
    }
}

/// Builds batches the way a producer's accumulator does: records are sized by their position.
#[derive(Clone, Debug, Default)]
pub struct BatchBuilder {
    records: Vec<Record>,
    size_bytes: u32,
    first_timestamp_ms: u64,
    max_timestamp_ms: u64,
}

impl BatchBuilder {
    pub fn new() -> BatchBuilder {
        BatchBuilder::with_capacity(0)
    }

    /// A builder with room for `records` records before it grows.
    pub fn with_capacity(records: usize) -> BatchBuilder {
        BatchBuilder { records: Vec::with_capacity(records), size_bytes: BATCH_OVERHEAD_BYTES, first_timestamp_ms: 0, max_timestamp_ms: 0 }
    }

    /// The encoded size the batch would have with one more record like this.
    pub fn size_with(&self, timestamp_ms: u64, key: Option<&str>, value: &Value, headers: &[Header]) -> u32 {
        self.size_bytes + self.record_size(timestamp_ms, key, value, headers)
    }

    fn record_size(&self, timestamp_ms: u64, key: Option<&str>, value: &Value, headers: &[Header]) -> u32 {
        let first = if self.records.is_empty() { timestamp_ms } else { self.first_timestamp_ms };
        let delta = timestamp_ms as i64 - first as i64;
        record_size_bytes(u32::try_from(self.records.len()).unwrap_or(u32::MAX), delta, key, value, headers)
    }

    pub fn push(&mut self, id: RecordId, timestamp_ms: u64, key: Option<Rc<str>>, value: Value, headers: Rc<[Header]>) {
        let size_bytes = self.record_size(timestamp_ms, key.as_deref(), &value, &headers);
        self.push_sized(id, timestamp_ms, key, value, headers, size_bytes);
    }

    /// The encoded size one more record like this would take in this batch.
    pub fn next_record_size(&self, timestamp_ms: u64, key: Option<&str>, value: &Value, headers: &[Header]) -> u32 {
        self.record_size(timestamp_ms, key, value, headers)
    }

    /// Pushes a record whose size [`BatchBuilder::next_record_size`] already computed.
    pub fn push_sized(&mut self, id: RecordId, timestamp_ms: u64, key: Option<Rc<str>>, value: Value, headers: Rc<[Header]>, size_bytes: u32) {
        debug_assert_eq!(size_bytes, self.record_size(timestamp_ms, key.as_deref(), &value, &headers));
        if self.records.is_empty() {
            self.first_timestamp_ms = timestamp_ms;
        }
        self.max_timestamp_ms = self.max_timestamp_ms.max(timestamp_ms);
        self.size_bytes += size_bytes;
        self.records.push(Record { id, timestamp_ms, key, value, headers, size_bytes });
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn size_bytes(&self) -> u32 {
        self.size_bytes
    }

    pub fn first_timestamp_ms(&self) -> u64 {
        self.first_timestamp_ms
    }

    pub fn max_timestamp_ms(&self) -> u64 {
        self.max_timestamp_ms
    }

    /// The finished records, shared from here on.
    pub fn finish(self) -> (Rc<[Record]>, u32, u64) {
        (self.records.into(), self.size_bytes, self.max_timestamp_ms)
    }

    /// Like [`BatchBuilder::finish`], but leaves this builder empty (as `BatchBuilder::default()`)
    /// with its record buffer's memory kept, so a producer can reuse it for a later batch.
    pub fn finish_in_place(&mut self) -> (Rc<[Record]>, u32, u64) {
        // Draining moves the records straight into the shared slice (one allocation), where
        // converting the Vec would copy them into a new allocation and free the Vec's.
        let records: Rc<[Record]> = self.records.drain(..).collect();
        let finished = (records, self.size_bytes, self.max_timestamp_ms);
        self.size_bytes = 0;
        self.first_timestamp_ms = 0;
        self.max_timestamp_ms = 0;
        finished
    }

    /// This (finished) builder's memory, ready for a new batch of about `records` records: the same
    /// builder [`BatchBuilder::with_capacity`] makes.
    pub fn reuse(mut self, records: usize) -> BatchBuilder {
        self.records.clear();
        self.records.reserve(records);
        BatchBuilder { records: self.records, size_bytes: BATCH_OVERHEAD_BYTES, first_timestamp_ms: 0, max_timestamp_ms: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_record_batch_with_value_test_is_72_bytes_as_in_kafka() {
        // UnifiedLogTest's size arithmetic: 61-byte batch header + 11-byte record ("test", no key).
        let mut b = BatchBuilder::new();
        b.push(RecordId { producer: 0, sequence: 0 }, 1000, None, Value::Text("test".into()), Rc::from([]));
        assert_eq!(b.size_bytes(), 72);
    }

    #[test]
    fn varints_are_zigzag_encoded() {
        assert_eq!(varint_size(0), 1);
        assert_eq!(varint_size(-1), 1);
        assert_eq!(varint_size(63), 1);
        assert_eq!(varint_size(64), 2);
        assert_eq!(varint_size(-65), 2);
        assert_eq!(varint_size(i64::from(i32::MAX)), 5);
    }

    #[test]
    fn later_records_in_a_batch_carry_deltas() {
        let mut b = BatchBuilder::new();
        let v = Value::Opaque(100);
        b.push(RecordId { producer: 0, sequence: 0 }, 0, Some("k".into()), v.clone(), Rc::from([]));
        let first = b.size_bytes() - BATCH_OVERHEAD_BYTES;
        b.push(RecordId { producer: 0, sequence: 1 }, 5000, Some("k".into()), v, Rc::from([]));
        let second = b.size_bytes() - BATCH_OVERHEAD_BYTES - first;
        assert_eq!(second, first + 1, "a 5 s timestamp delta needs two varint bytes");
    }
}
