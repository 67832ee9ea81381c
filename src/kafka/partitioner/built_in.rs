//! The producer's built-in partitioner for records without a key (KIP-794 "uniform sticky").
//!
//! All keyless records of a topic go to one sticky partition until at least `batch.size` bytes were
//! produced to it and its queue holds no incomplete batch (or unconditionally at twice `batch.size`).
//! The next partition is random: uniform over partitions with a leader, or, in adaptive mode once every
//! partition has had a batch, weighted toward partitions with shorter queues.

use crate::sim::Rng;

/// Partition load statistics: a cumulative frequency table of weights `max queue + 1 - queue size`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionLoadStats {
    pub cumulative_frequency: Vec<u32>,
    pub partition_ids: Vec<u32>,
}

/// Builds the load statistics from queue sizes (Kafka's `updatePartitionLoadStats`). `None` means
/// "choose uniformly": fewer than two partitions, or all queues equal.
pub fn partition_load_stats(queue_sizes: &[u32], partition_ids: &[u32]) -> Option<PartitionLoadStats> {
    debug_assert_eq!(queue_sizes.len(), partition_ids.len());
    if queue_sizes.is_empty() || partition_ids.len() < 2 {
        return None;
    }
    let max_plus_one = queue_sizes.iter().copied().max().unwrap_or(0) + 1;
    if queue_sizes.iter().all(|&q| q == queue_sizes[0]) {
        return None;
    }
    let mut running = 0;
    let cumulative_frequency = queue_sizes
        .iter()
        .map(|&q| {
            running += max_plus_one - q;
            running
        })
        .collect();
    Some(PartitionLoadStats { cumulative_frequency, partition_ids: partition_ids.to_vec() })
}

/// `Utils.toPositive(ThreadLocalRandom.nextInt())`, from the run's own PRNG.
fn random_positive(rng: &mut Rng) -> u32 {
    rng.next_u32() & 0x7fff_ffff
}

/// The partitioner's state for one topic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BuiltInPartitioner {
    sticky_partition: Option<u32>,
    produced_bytes: u32,
    load_stats: Option<PartitionLoadStats>,
}

impl BuiltInPartitioner {
    /// Picks the next sticky partition (Kafka's `nextPartition`).
    fn next_partition(&self, rng: &mut Rng, available: &[u32], num_partitions: u32) -> u32 {
        let random = random_positive(rng);
        match &self.load_stats {
            Some(stats) => {
                let total = *stats.cumulative_frequency.last().unwrap_or(&1);
                let weighted = random % total.max(1);
                // The first index whose cumulative frequency is greater than the weighted draw.
                let index = stats.cumulative_frequency.partition_point(|&c| c <= weighted);
                stats.partition_ids[index.min(stats.partition_ids.len() - 1)]
            }
            None if !available.is_empty() => available[(random % available.len() as u32) as usize],
            None => random % num_partitions.max(1),
        }
    }

    /// The partition keyless records go to now, choosing one if there is none yet.
    /// `available` lists the partitions that have a leader, in partition order.
    pub fn current_partition(&mut self, rng: &mut Rng, available: &[u32], num_partitions: u32) -> u32 {
        match self.sticky_partition {
            Some(p) => p,
            None => {
                let p = self.next_partition(rng, available, num_partitions);
                self.sticky_partition = Some(p);
                self.produced_bytes = 0;
                p
            }
        }
    }

    /// Records that `appended_bytes` went to the sticky partition, and switches partitions once enough
    /// was produced (Kafka's `updatePartitionInfo`). `enable_switch` is true when the partition's queue
    /// has no incomplete batch. Returns the new partition when it switched.
    pub fn record_appended(
        &mut self,
        appended_bytes: u32,
        enable_switch: bool,
        batch_size: u32,
        rng: &mut Rng,
        available: &[u32],
        num_partitions: u32,
    ) -> Option<u32> {
        self.sticky_partition?;
        self.produced_bytes = self.produced_bytes.saturating_add(appended_bytes);
        let produced = self.produced_bytes;
        if (produced >= batch_size && enable_switch) || produced >= batch_size.saturating_mul(2) {
            let next = self.next_partition(rng, available, num_partitions);
            self.sticky_partition = Some(next);
            self.produced_bytes = 0;
            return Some(next);
        }
        None
    }

    /// New queue sizes from the accumulator's readiness check (adaptive partitioning).
    pub fn set_load_stats(&mut self, stats: Option<PartitionLoadStats>) {
        self.load_stats = stats;
    }

    /// Metadata changed (partitions added, leaders moved): forget the sticky choice's statistics.
    pub fn reset(&mut self) {
        *self = BuiltInPartitioner::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adaptive_weights_favour_short_queues() {
        // BuiltInPartitionerTest#adaptivePartitionsTest: queues [5,0,3,0,1] → weights [1,6,3,6,5].
        let stats = partition_load_stats(&[5, 0, 3, 0, 1], &[0, 1, 2, 3, 4]).unwrap();
        assert_eq!(stats.cumulative_frequency, vec![1, 7, 10, 16, 21]);
        assert_eq!(partition_load_stats(&[2, 2, 2], &[0, 1, 2]), None, "equal queues: uniform");
        assert_eq!(partition_load_stats(&[4], &[0]), None, "one partition: uniform");
    }

    #[test]
    fn keyless_records_stick_to_one_partition_until_batch_size_bytes() {
        let mut rng = Rng::new(5);
        let mut p = BuiltInPartitioner::default();
        let available = [0, 1, 2];
        let first = p.current_partition(&mut rng, &available, 3);
        // 15 records of 1,000 bytes with batch.size 16,384: no switch yet.
        for _ in 0..15 {
            assert_eq!(p.record_appended(1000, true, 16_384, &mut rng, &available, 3), None);
            assert_eq!(p.current_partition(&mut rng, &available, 3), first);
        }
        // The 17th kilobyte passes batch.size with no incomplete batch queued: switch.
        assert_eq!(p.record_appended(1000, true, 16_384, &mut rng, &available, 3), None);
        assert!(p.record_appended(1000, true, 16_384, &mut rng, &available, 3).is_some());
    }

    #[test]
    fn an_incomplete_batch_delays_the_switch_until_twice_batch_size() {
        let mut rng = Rng::new(5);
        let mut p = BuiltInPartitioner::default();
        p.current_partition(&mut rng, &[0, 1], 2);
        for _ in 0..31 {
            assert_eq!(p.record_appended(1024, false, 16_384, &mut rng, &[0, 1], 2), None);
        }
        assert!(p.record_appended(1024, false, 16_384, &mut rng, &[0, 1], 2).is_some());
    }

    #[test]
    fn partitions_without_a_leader_are_skipped() {
        let mut rng = Rng::new(11);
        for _ in 0..200 {
            let mut p = BuiltInPartitioner::default();
            assert_ne!(p.current_partition(&mut rng, &[0, 2], 3), 1);
        }
    }

    #[test]
    fn with_no_partition_available_any_partition_may_be_chosen() {
        let mut rng = Rng::new(3);
        let mut seen = [false; 3];
        for _ in 0..100 {
            let mut p = BuiltInPartitioner::default();
            seen[p.current_partition(&mut rng, &[], 3) as usize] = true;
        }
        assert_eq!(seen, [true; 3]);
    }

    #[test]
    fn adaptive_choice_never_picks_the_longest_queue_more_than_its_weight_allows() {
        let mut rng = Rng::new(8);
        let mut p = BuiltInPartitioner::default();
        p.set_load_stats(partition_load_stats(&[9, 0], &[0, 1]));
        let mut picks = [0u32; 2];
        for _ in 0..1100 {
            picks[p.next_partition(&mut rng, &[0, 1], 2) as usize] += 1;
        }
        // Weights 1 and 10: partition 0 gets about 1 in 11.
        assert!(picks[0] < 200 && picks[1] > 900, "{picks:?}");
    }
}
