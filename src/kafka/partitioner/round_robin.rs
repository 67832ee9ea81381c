//! Kafka's `RoundRobinPartitioner` (`partitioner.class`), which ignores keys, and the pre-2.4 default
//! round-robin for keyless records.

/// One counter per topic, as Kafka keeps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RoundRobinPartitioner {
    counter: i32,
}

impl RoundRobinPartitioner {
    /// The next partition: `available[toPositive(counter++) % available.len()]`, or over all partitions
    /// when none has a leader.
    pub fn partition(&mut self, available: &[u32], num_partitions: u32) -> u32 {
        let next = self.counter;
        self.counter = self.counter.wrapping_add(1);
        let positive = (next & 0x7fff_ffff) as u32;
        if available.is_empty() {
            positive % num_partitions.max(1)
        } else {
            available[(positive % available.len() as u32) as usize]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_calls_over_three_partitions_give_ten_each() {
        // RoundRobinPartitionerTest#testRoundRobinWithUnavailablePartitions-style counting.
        let mut rr = RoundRobinPartitioner::default();
        let mut counts = [0; 3];
        for _ in 0..30 {
            counts[rr.partition(&[0, 1, 2], 3) as usize] += 1;
        }
        assert_eq!(counts, [10, 10, 10]);
    }

    #[test]
    fn a_leaderless_partition_is_skipped() {
        // With partition 1 leaderless, 100 calls give 50/50 over partitions 0 and 2.
        let mut rr = RoundRobinPartitioner::default();
        let mut counts = [0; 3];
        for _ in 0..100 {
            counts[rr.partition(&[0, 2], 3) as usize] += 1;
        }
        assert_eq!(counts, [50, 0, 50]);
    }

    #[test]
    fn m1_to_m6_spread_over_three_partitions_in_turn() {
        let mut rr = RoundRobinPartitioner::default();
        let got: Vec<u32> = (0..6).map(|_| rr.partition(&[0, 1, 2], 3)).collect();
        assert_eq!(got, vec![0, 1, 2, 0, 1, 2]);
    }
}
