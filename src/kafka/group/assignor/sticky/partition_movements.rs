//! The sticky balancer's record of partition moves (`AbstractStickyAssignor.PartitionMovements`).
//!
//! While it balances, the general builder remembers every move as a (from, to) consumer pair per
//! topic. When it is about to move a partition of a topic back along a pair that already carried
//! one the other way, it moves that earlier partition instead, so partitions do not swap places
//! between two consumers (which would cost both of them a revocation for nothing).

use crate::sim::sorted::SortedMap;

use crate::kafka::java::hash_order::{JavaHashOrder, topic_partition_hash_code};
use crate::kafka::ids::TopicPartition;

/// A move of one partition from `src` to `dst` (`ConsumerPair`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ConsumerPair {
    pub src: String,
    pub dst: String,
}

impl ConsumerPair {
    fn new(src: &str, dst: &str) -> ConsumerPair {
        ConsumerPair { src: src.to_string(), dst: dst.to_string() }
    }
}

/// Every partition's net move so far, and per topic the partitions each pair carried.
#[derive(Clone, Debug, Default)]
pub struct PartitionMovements {
    /// Kafka keeps each pair's partitions in a Java hash set and, when it undoes a move, takes the
    /// set's first element; the set's bucket layout decides which partition that is.
    by_topic: SortedMap<String, SortedMap<ConsumerPair, JavaHashOrder<TopicPartition>>>,
    by_partition: SortedMap<TopicPartition, ConsumerPair>,
}

impl PartitionMovements {
    fn remove_record(&mut self, partition: &TopicPartition) -> Option<ConsumerPair> {
        let pair = self.by_partition.remove(partition)?;
        if let Some(pairs) = self.by_topic.get_mut(&partition.topic) {
            if let Some(partitions) = pairs.get_mut(&pair) {
                partitions.remove(topic_partition_hash_code(partition), partition);
                if partitions.is_empty() {
                    pairs.remove(&pair);
                }
            }
            if pairs.is_empty() {
                self.by_topic.remove(&partition.topic);
            }
        }
        Some(pair)
    }

    fn add_record(&mut self, partition: &TopicPartition, pair: ConsumerPair) {
        self.by_partition.insert(partition.clone(), pair.clone());
        // A pair whose set emptied was dropped, so it starts again with a fresh Java hash set.
        self.by_topic
            .entry(partition.topic.clone())
            .or_default()
            .entry(pair)
            .or_default()
            .insert(topic_partition_hash_code(partition), partition.clone());
    }

    /// Records that `partition` moves from `old_consumer` to `new_consumer`. A partition moving back
    /// to where it started has no net move left.
    pub fn move_partition(&mut self, partition: &TopicPartition, old_consumer: &str, new_consumer: &str) {
        match self.remove_record(partition) {
            Some(existing) => {
                if existing.src != new_consumer {
                    self.add_record(partition, ConsumerPair::new(&existing.src, new_consumer));
                }
            }
            None => self.add_record(partition, ConsumerPair::new(old_consumer, new_consumer)),
        }
    }

    /// The partition to move when `partition` should go from `old_consumer` to `new_consumer`: if a
    /// partition of the same topic already moved the opposite way, that one goes back instead.
    pub fn partition_to_move(
        &self,
        partition: &TopicPartition,
        old_consumer: &str,
        new_consumer: &str,
    ) -> TopicPartition {
        let Some(pairs) = self.by_topic.get(&partition.topic) else {
            return partition.clone();
        };
        // A partition that already moved counts from where it started.
        let old_consumer = self.by_partition.get(partition).map_or(old_consumer, |pair| pair.src.as_str());
        let reverse = ConsumerPair::new(new_consumer, old_consumer);
        match pairs.get(&reverse).and_then(JavaHashOrder::first) {
            Some(earlier) => earlier.clone(),
            None => partition.clone(),
        }
    }

    /// Kafka's `isSticky()`: no topic saw partitions move both ways between the same two consumers.
    /// (Kafka also looks for longer cycles but only fails on these two-consumer ones.)
    pub fn is_sticky(&self) -> bool {
        self.by_topic
            .values()
            .all(|pairs| pairs.keys().all(|pair| !pairs.contains_key(&ConsumerPair::new(&pair.dst, &pair.src))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition::new(topic, partition)
    }

    #[test]
    fn moving_a_partition_back_undoes_its_record() {
        let mut movements = PartitionMovements::default();
        movements.move_partition(&tp("t", 0), "a", "b");
        movements.move_partition(&tp("t", 0), "b", "a");
        assert!(movements.by_partition.is_empty());
        assert!(movements.by_topic.is_empty());
    }

    #[test]
    fn a_chain_of_moves_is_recorded_as_one_net_move() {
        let mut movements = PartitionMovements::default();
        movements.move_partition(&tp("t", 0), "a", "b");
        movements.move_partition(&tp("t", 0), "b", "c");
        assert_eq!(movements.by_partition[&tp("t", 0)], ConsumerPair::new("a", "c"));
    }

    #[test]
    fn moving_against_an_earlier_move_takes_the_earlier_partition_back() {
        // t-1 moved a -> b. Now t-5 should move b -> a: Kafka moves t-1 back instead.
        let mut movements = PartitionMovements::default();
        movements.move_partition(&tp("t", 1), "a", "b");
        assert_eq!(movements.partition_to_move(&tp("t", 5), "b", "a"), tp("t", 1));
        assert_eq!(movements.partition_to_move(&tp("u", 5), "b", "a"), tp("u", 5));
        assert!(movements.is_sticky());
        movements.move_partition(&tp("t", 5), "b", "a");
        assert!(!movements.is_sticky());
    }
}
