//! Records a broker writes itself, as partition leader: group and offset records for the group
//! coordinator, transaction state for the transaction coordinator, and transaction markers. They go
//! through the same log, replication and high watermark as producers' records; whoever asked waits
//! until they are replicated (Kafka appends them with acks=-1).

use super::replica::Role;
use super::{Broker, Completion, ParkedProduce};
use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::protocol::KafkaError;
use crate::kafka::record::{Batch, BatchBuilder, ControlKind, ProducerStamp, RecordId, Value};
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;
use std::rc::Rc;

/// Internal records (commits, group metadata, transaction state, markers) carry this producer number.
pub const COORDINATOR_PRODUCER: u32 = u32::MAX;

/// What a broker appends on its own behalf.
pub(super) struct InternalBatch {
    pub records: Vec<(Option<Rc<str>>, Value)>,
    pub producer: ProducerStamp,
    pub transactional: bool,
    pub control: Option<ControlKind>,
}

impl InternalBatch {
    /// Plain (key, value) text records: coordinator state.
    pub fn text(records: Vec<(String, String)>) -> InternalBatch {
        InternalBatch {
            records: records.into_iter().map(|(k, v)| (Some(Rc::from(k)), Value::Text(Rc::from(v)))).collect(),
            producer: ProducerStamp::NONE,
            transactional: false,
            control: None,
        }
    }

    /// A commit or abort marker for a producer's transaction: one control record whose key (version,
    /// type) is 4 bytes and whose value (version, coordinator epoch) is 6, as in Kafka.
    pub fn marker(producer_id: i64, producer_epoch: i16, commit: bool) -> InternalBatch {
        InternalBatch {
            records: vec![(Some(Rc::from("ctrl")), Value::Opaque(6))],
            producer: ProducerStamp { producer_id, producer_epoch, base_sequence: -1 },
            transactional: true,
            control: Some(if commit { ControlKind::Commit } else { ControlKind::Abort }),
        }
    }
}

impl Broker {
    /// Appends `batch` to `partition` as its leader. Returns (base offset, offset after the batch).
    pub(super) fn append_internal(&mut self, now: Tick, partition: PartitionIndex, batch: InternalBatch, out: &mut Outbox) -> Result<(u64, u64), KafkaError> {
        let broker = self.id;
        let sequence = self.next_key;
        self.next_key += batch.records.len() as u64;
        let Some(replica) = self.replicas.get_mut(&partition).filter(|r| matches!(r.role, Role::Leader(_))) else {
            return Err(KafkaError::NotLeaderOrFollower);
        };
        let mut builder = BatchBuilder::new();
        for (i, (key, value)) in batch.records.into_iter().enumerate() {
            let id = RecordId { producer: COORDINATOR_PRODUCER, sequence: sequence + i as u64 };
            builder.push(id, now.ms(), key, value, Rc::from([]));
        }
        let (records, size_bytes, max_timestamp_ms) = builder.finish();
        let base_offset = replica.log.log_end_offset();
        let appended = Batch {
            base_offset,
            partition_leader_epoch: replica.leader_epoch,
            producer: batch.producer,
            transactional: batch.transactional,
            control: batch.control,
            max_timestamp_ms,
            size_bytes,
            records,
        };
        let last_offset = appended.last_offset();
        let leader_epoch = replica.leader_epoch;
        if let Some(reason) = replica.log.append(appended, now) {
            out.event(EventKind::SegmentRolled { broker, partition, base_offset, reason });
            Self::flush_rolled(&mut self.disk, &mut self.page_cache, broker, partition, replica, base_offset, now, out);
        }
        self.page_cache.write(replica.file, last_offset + 1, now);
        self.disk.append(now, u64::from(size_bytes));
        out.event(EventKind::Appended { broker, partition, base_offset, last_offset, leader_epoch, as_leader: true });
        Ok((base_offset, last_offset + 1))
    }

    /// Waits for `parts` ((partition, required offset, base offset, outcome if already known)) to be
    /// replicated, then carries out `completion`; gives up after `timeout_ms`.
    pub(super) fn park_internal(
        &mut self,
        now: Tick,
        from: Node,
        request_id: u64,
        parts: Vec<(PartitionIndex, u64, u64, Option<Result<u64, KafkaError>>)>,
        timeout_ms: u64,
        completion: Completion,
        out: &mut Outbox,
    ) {
        let key = self.key();
        let deadline = now.plus_ms(timeout_ms);
        let waiting: Vec<(PartitionIndex, u64)> = parts.iter().filter(|p| p.3.is_none()).map(|p| (p.0, p.1)).collect();
        for &(partition, required) in &waiting {
            self.waiting_on.entry(partition).or_default().push_back((required, key));
        }
        self.parked_produces.insert(key, Box::new(ParkedProduce { from, request_id, parts, pending: waiting.len(), deadline, completion }));
        if waiting.is_empty() {
            self.respond_parked_produce_if_done(now, key, out);
            return;
        }
        self.arm(now, deadline, Timer::ProduceExpiries, out);
        for (partition, _) in waiting {
            self.after_append(now, partition, out);
        }
    }
}
