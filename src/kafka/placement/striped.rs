//! `StripedReplicaPlacer`: how a KRaft controller places a new topic's replicas (SEMANTICS §4.2).
//!
//! Brokers are grouped by rack; each rack keeps its unfenced and fenced brokers in two sorted lists.
//! Each partition walks the racks round-robin from a rack offset that moves one step per partition,
//! which gives the "striped" pattern. Within a rack, each list hands out brokers round-robin from its
//! own offset, unfenced first. The leader is the first unfenced broker found. Every list, and the rack
//! list, starts at a random offset; after as many partitions as there are unfenced brokers, the rack
//! order and every list are shuffled so the same replica sets do not come round again.
//!
//! Kafka's placer draws from the `java.util.Random` it is given. [`super::java_random`] has both the
//! JDK generator and Kafka's test `MockRandom`, so Kafka's test expectations are reproduced exactly.

use super::PlacementError;
use super::error::check_distinct;
use crate::kafka::java::hash_order::JavaHashOrder;
use super::java_random::JavaRandom;
use crate::kafka::BrokerId;
use crate::kafka::java::{compare_strings, string_hash_code};
use std::cmp::Ordering;
use crate::sim::sorted::SortedMap;

/// A broker the placer may use: its id, its rack if `broker.rack` is set, and whether it is fenced
/// (registered but not currently allowed to lead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsableBroker {
    pub id: BrokerId,
    pub rack: Option<String>,
    pub fenced: bool,
}

impl UsableBroker {
    pub fn new(id: u32, rack: Option<&str>, fenced: bool) -> UsableBroker {
        UsableBroker { id: BrokerId(id), rack: rack.map(str::to_owned), fenced }
    }
}

/// Kafka's `OptionalStringComparator`: "no rack" first, then rack names in Java string order.
fn compare_racks(a: &Option<String>, b: &Option<String>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => compare_strings(a, b),
    }
}

/// `Optional<String>.hashCode()`: the string's hash code, or 0 for "no rack".
fn rack_hash_code(rack: &Option<String>) -> i32 {
    rack.as_deref().map_or(0, string_hash_code)
}

/// One of a rack's two broker lists, handing out brokers round-robin once per iteration epoch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct BrokerList {
    brokers: Vec<BrokerId>,
    /// How many brokers this list has handed out in its current epoch.
    index: usize,
    /// Added to `index` (modulo the length) to pick the broker; moves on by one each new epoch.
    offset: usize,
    /// The epoch this list last served. A call with another epoch starts a new round.
    epoch: i64,
}

impl BrokerList {
    fn add(&mut self, broker: BrokerId) -> &mut BrokerList {
        self.brokers.push(broker);
        self
    }

    /// Sorts the brokers and draws the starting offset. An empty list draws nothing.
    fn initialize<R: JavaRandom>(&mut self, random: &mut R) {
        if !self.brokers.is_empty() {
            crate::sim::sorted::sort_by(&mut self.brokers, |a, b| a.cmp(b));
            self.offset = draw_index(random, self.brokers.len());
        }
    }

    fn shuffle<R: JavaRandom>(&mut self, random: &mut R) {
        random.shuffle(&mut self.brokers);
    }

    /// The next broker of `epoch`, or `None` once every broker has been handed out in that epoch.
    fn next(&mut self, epoch: i64) -> Option<BrokerId> {
        if self.brokers.is_empty() {
            return None;
        }
        if self.epoch != epoch {
            self.epoch = epoch;
            self.index = 0;
            self.offset = (self.offset + 1) % self.brokers.len();
        }
        if self.index >= self.brokers.len() {
            return None;
        }
        let broker = self.brokers[(self.index + self.offset) % self.brokers.len()];
        self.index += 1;
        Some(broker)
    }
}

/// `random.nextInt(len)` for a list length (always ≥ 1 and far below 2^31 here).
fn draw_index<R: JavaRandom>(random: &mut R, len: usize) -> usize {
    random.next_int(i32::try_from(len).unwrap_or(i32::MAX)) as usize
}

/// A rack's brokers: unfenced ones are always offered before fenced ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Rack {
    fenced: BrokerList,
    unfenced: BrokerList,
}

impl Rack {
    fn next(&mut self, epoch: i64) -> Option<BrokerId> {
        self.unfenced.next(epoch).or_else(|| self.fenced.next(epoch))
    }
}

/// The racks of one placement run (Kafka's `RackList`), built once per topic creation.
#[derive(Debug)]
pub struct RackList<'r, R: JavaRandom> {
    random: &'r mut R,
    racks: SortedMap<Option<String>, Rack>,
    /// The racks in the order Kafka's Java hash map of racks iterates them: the order in which lists
    /// are initialized and shuffled, and so the order in which they consume random draws.
    hash_order: Vec<Option<String>>,
    /// The rack walking order: sorted at construction ("no rack" first), shuffled at each new round.
    rack_names: Vec<Option<String>>,
    total_brokers: usize,
    unfenced_brokers: usize,
    /// How many partitions have been placed in this round (the iteration epoch).
    epoch: i64,
    /// The rack the next partition starts from.
    offset: usize,
}

impl<'r, R: JavaRandom> RackList<'r, R> {
    /// Groups `brokers` by rack and draws the starting offsets: for each rack in Java hash-map order
    /// the fenced list's offset then the unfenced list's, and finally the rack offset.
    pub fn new(random: &'r mut R, brokers: &[UsableBroker]) -> Result<RackList<'r, R>, PlacementError> {
        check_distinct(brokers.iter().map(|b| b.id))?;
        let mut racks: SortedMap<Option<String>, Rack> = SortedMap::new();
        let mut rack_names: Vec<Option<String>> = Vec::new();
        let mut unfenced_brokers = 0;
        for broker in brokers {
            let rack = racks.entry(broker.rack.clone()).or_insert_with(|| {
                rack_names.push(broker.rack.clone());
                Rack::default()
            });
            if broker.fenced {
                rack.fenced.add(broker.id);
            } else {
                unfenced_brokers += 1;
                rack.unfenced.add(broker.id);
            }
        }
        // `rack_names` still holds the racks in first-seen order, which is the hash map's insertion order.
        let mut rack_map = JavaHashOrder::new();
        for name in &rack_names {
            rack_map.insert(rack_hash_code(name), name.clone());
        }
        let hash_order: Vec<Option<String>> = rack_map.iter().cloned().collect();
        for name in &hash_order {
            // Every name was inserted into `racks` above; the error only stands in for a panic.
            let rack = racks.get_mut(name).ok_or(PlacementError::NoBrokerLeft)?;
            rack.fenced.initialize(random);
            rack.unfenced.initialize(random);
        }
        crate::sim::sorted::sort_by(&mut rack_names, compare_racks);
        let offset = if rack_names.is_empty() { 0 } else { draw_index(random, rack_names.len()) };
        Ok(RackList {
            random,
            racks,
            hash_order,
            rack_names,
            total_brokers: brokers.len(),
            unfenced_brokers,
            epoch: 0,
            offset,
        })
    }

    pub fn total_brokers(&self) -> usize {
        self.total_brokers
    }

    pub fn unfenced_brokers(&self) -> usize {
        self.unfenced_brokers
    }

    /// The racks in their current walking order (`None` = brokers without a rack).
    pub fn rack_names(&self) -> &[Option<String>] {
        &self.rack_names
    }

    /// Places one partition: leader first, then followers, each on a different broker.
    pub fn place(&mut self, replication_factor: i32) -> Result<Vec<BrokerId>, PlacementError> {
        check_positive(replication_factor)?;
        check_enough_brokers(replication_factor, self.total_brokers)?;
        check_some_unfenced(self.unfenced_brokers)?;
        // After one partition per unfenced broker, reshuffle so the next round differs. A single
        // unfenced broker never starts a new round: Kafka notes it would then loop forever.
        if self.epoch == self.unfenced_brokers as i64 && self.unfenced_brokers > 1 {
            self.shuffle();
            self.epoch = 0;
        }
        if self.offset == self.rack_names.len() {
            self.offset = 0;
        }
        let racks = self.rack_names.len();
        let epoch = self.epoch;
        let mut replicas = Vec::with_capacity(replication_factor as usize);

        // The leader: the first rack from `offset` with an unfenced broker left in this epoch.
        let mut leader_rack = self.offset;
        let mut racks_tried = 0;
        loop {
            if let Some(leader) = self.rack_at(leader_rack)?.unfenced.next(epoch) {
                replicas.push(leader);
                break;
            }
            leader_rack = (leader_rack + 1) % racks;
            racks_tried += 1;
            // A full lap with no unfenced broker would repeat forever in Kafka.
            if racks_tried == racks {
                return Err(PlacementError::NoBrokerLeft);
            }
        }

        // Followers walk from `offset` again, passing over the leader's rack the first time they reach
        // it, and take each rack's next broker, unfenced before fenced.
        let mut skip_rack = Some(leader_rack);
        let mut rack_index = self.offset;
        for _ in 1..replication_factor {
            // Racks that came up empty while looking for this follower. A rack's lists stay empty for
            // the rest of the epoch, so once every rack is here Kafka would loop forever. A lap of
            // misses is not enough: the leader's rack is passed over (not asked) the first time, and
            // it may still hold a fenced broker.
            let mut spent = vec![false; racks];
            loop {
                let mut follower = None;
                if skip_rack == Some(rack_index) {
                    skip_rack = None;
                } else {
                    follower = self.rack_at(rack_index)?.next(epoch);
                    spent[rack_index] = follower.is_none();
                }
                rack_index = (rack_index + 1) % racks;
                if let Some(follower) = follower {
                    replicas.push(follower);
                    break;
                }
                if spent.iter().all(|&empty| empty) {
                    return Err(PlacementError::NoBrokerLeft);
                }
            }
        }
        self.epoch += 1;
        self.offset += 1;
        Ok(replicas)
    }

    fn rack_at(&mut self, index: usize) -> Result<&mut Rack, PlacementError> {
        // Every name in `rack_names` is a key of `racks`: both are built from the same brokers.
        let name = &self.rack_names[index];
        self.racks.get_mut(name).ok_or(PlacementError::NoBrokerLeft)
    }

    /// Shuffles the rack order, then each rack's fenced and unfenced lists in hash-map order.
    fn shuffle(&mut self) {
        self.random.shuffle(&mut self.rack_names);
        for name in &self.hash_order {
            if let Some(rack) = self.racks.get_mut(name) {
                rack.fenced.shuffle(&mut *self.random);
                rack.unfenced.shuffle(&mut *self.random);
            }
        }
    }
}

fn check_positive(replication_factor: i32) -> Result<(), PlacementError> {
    if replication_factor <= 0 {
        return Err(PlacementError::StripedReplicationFactorNotPositive { replication_factor });
    }
    Ok(())
}

fn check_some_unfenced(unfenced_brokers: usize) -> Result<(), PlacementError> {
    if unfenced_brokers == 0 {
        return Err(PlacementError::AllBrokersFenced);
    }
    Ok(())
}

fn check_enough_brokers(replication_factor: i32, registered: usize) -> Result<(), PlacementError> {
    if replication_factor as usize > registered {
        return Err(PlacementError::TooFewRegisteredBrokers { replication_factor, registered });
    }
    Ok(())
}

/// The KRaft controller's placer. It keeps one random generator across topic creations, as Kafka's
/// controller keeps one `Random`.
#[derive(Clone, Debug)]
pub struct StripedReplicaPlacer<R: JavaRandom> {
    random: R,
}

impl<R: JavaRandom> StripedReplicaPlacer<R> {
    pub fn new(random: R) -> StripedReplicaPlacer<R> {
        StripedReplicaPlacer { random }
    }

    /// The generator, as the placements so far have left it.
    pub fn random(&self) -> &R {
        &self.random
    }

    /// Places `partitions` partitions of `replication_factor` replicas on `brokers`, in partition order.
    ///
    /// The rack list is built (and its random offsets drawn) before the checks, in Kafka's order: the
    /// replication factor must be positive, some broker must be unfenced, and there must be at least as
    /// many registered brokers as replicas. A non-positive partition count places nothing.
    pub fn place(
        &mut self,
        brokers: &[UsableBroker],
        partitions: i32,
        replication_factor: i32,
    ) -> Result<Vec<Vec<BrokerId>>, PlacementError> {
        let mut rack_list = RackList::new(&mut self.random, brokers)?;
        check_positive(replication_factor)?;
        check_some_unfenced(rack_list.unfenced_brokers())?;
        check_enough_brokers(replication_factor, rack_list.total_brokers())?;
        (0..partitions.max(0)).map(|_| rack_list.place(replication_factor)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::placement::java_random::{JavaUtilRandom, MockRandom};
    use crate::sim::sorted::SortedSet;

    fn ids(list: &[u32]) -> Vec<BrokerId> {
        list.iter().map(|&id| BrokerId(id)).collect()
    }

    fn rack(name: &str) -> Option<String> {
        Some(name.to_owned())
    }

    // The cases below are StripedReplicaPlacerTest's, with Kafka's MockRandom (seed 17).

    #[test]
    fn a_broker_list_hands_each_broker_out_once_per_epoch_and_moves_its_offset_each_new_epoch() {
        // testBrokerList.
        let mut empty = BrokerList::default();
        assert_eq!(empty.brokers.len(), 0);
        assert_eq!(empty.next(1), None);
        let mut brokers = BrokerList::default();
        brokers.add(BrokerId(0)).add(BrokerId(1)).add(BrokerId(2)).add(BrokerId(3));
        assert_eq!(brokers.brokers.len(), 4);
        let epoch0: Vec<Option<BrokerId>> = (0..6).map(|_| brokers.next(0)).collect();
        let b = |id| Some(BrokerId(id));
        assert_eq!(epoch0, [b(0), b(1), b(2), b(3), None, None]);
        let epoch1: Vec<Option<BrokerId>> = (0..5).map(|_| brokers.next(1)).collect();
        assert_eq!(epoch1, [b(1), b(2), b(3), b(0), None]);
    }

    #[test]
    fn on_one_rack_the_fenced_broker_is_used_only_when_unfenced_ones_run_out() {
        // testAvoidFencedReplicaIfPossibleOnSingleRack.
        let mut random = MockRandom::new();
        let brokers = [
            UsableBroker::new(3, None, false),
            UsableBroker::new(1, None, true),
            UsableBroker::new(0, None, false),
            UsableBroker::new(4, None, false),
            UsableBroker::new(2, None, false),
        ];
        let mut racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!(racks.total_brokers(), 5);
        assert_eq!(racks.unfenced_brokers(), 4);
        assert_eq!(racks.rack_names(), [None]);
        assert!(racks.place(0).is_err());
        assert!(racks.place(-1).is_err());
        assert_eq!(racks.place(4).unwrap(), ids(&[3, 4, 0, 2]));
        assert_eq!(racks.place(4).unwrap(), ids(&[4, 0, 2, 3]));
        assert_eq!(racks.place(4).unwrap(), ids(&[0, 2, 3, 4]));
        assert_eq!(racks.place(4).unwrap(), ids(&[2, 3, 4, 0]));
        // The fifth partition starts a new round: the lists were shuffled.
        assert_eq!(racks.place(4).unwrap(), ids(&[0, 4, 3, 2]));
    }

    #[test]
    fn a_follower_can_come_from_the_leaders_rack_after_a_lap_of_empty_racks() {
        // Found by differential testing against Kafka: in the third placement (a new round, epoch 0
        // again) rack "2" is spent and rack "4" gives its one fenced broker to the second replica.
        // The third replica's search passes over the leader's rack "1" (the one skip), finds racks "2"
        // and "4" empty, and only then asks rack "1", whose fenced broker 2 is still free. A search
        // that gave up after one skip plus a lap of misses reported no broker left.
        let mut random = JavaUtilRandom::new(17);
        let brokers = [
            UsableBroker::new(0, Some("1"), false),
            UsableBroker::new(1, Some("2"), false),
            UsableBroker::new(2, Some("1"), true),
            UsableBroker::new(3, Some("4"), true),
        ];
        let mut racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!(racks.place(2).unwrap(), ids(&[1, 3]));
        assert_eq!(racks.place(2).unwrap(), ids(&[0, 3]));
        assert_eq!(racks.place(3).unwrap(), ids(&[0, 3, 2]));
    }

    #[test]
    fn three_partitions_on_a_single_unfenced_broker_all_go_to_it() {
        // testMultiPartitionTopicPlacementOnSingleUnfencedBroker.
        let mut placer = StripedReplicaPlacer::new(MockRandom::new());
        let brokers = [UsableBroker::new(0, None, false), UsableBroker::new(1, None, true)];
        assert_eq!(placer.place(&brokers, 3, 1).unwrap(), [ids(&[0]), ids(&[0]), ids(&[0])]);
    }

    #[test]
    fn a_fenced_broker_becomes_a_follower_when_the_replication_factor_needs_it() {
        // testPlacementOnFencedReplicaOnSingleRack.
        let mut random = MockRandom::new();
        let brokers =
            [UsableBroker::new(3, None, false), UsableBroker::new(1, None, true), UsableBroker::new(2, None, false)];
        let mut racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!((racks.total_brokers(), racks.unfenced_brokers()), (3, 2));
        assert_eq!(racks.rack_names(), [None]);
        assert_eq!(racks.place(3).unwrap(), ids(&[3, 2, 1]));
        assert_eq!(racks.place(3).unwrap(), ids(&[2, 3, 1]));
        assert_eq!(racks.place(3).unwrap(), ids(&[3, 2, 1]));
        assert_eq!(racks.place(3).unwrap(), ids(&[2, 3, 1]));
    }

    #[test]
    fn with_three_racks_each_partition_stripes_across_the_racks_from_the_next_one() {
        // testRackListWithMultipleRacks.
        let mut random = MockRandom::new();
        let brokers = [
            UsableBroker::new(11, Some("1"), false),
            UsableBroker::new(10, Some("1"), false),
            UsableBroker::new(30, Some("3"), false),
            UsableBroker::new(31, Some("3"), false),
            UsableBroker::new(21, Some("2"), false),
            UsableBroker::new(20, Some("2"), true),
        ];
        let mut racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!((racks.total_brokers(), racks.unfenced_brokers()), (6, 5));
        assert_eq!(racks.rack_names(), [rack("1"), rack("2"), rack("3")]);
        assert_eq!(racks.place(4).unwrap(), ids(&[11, 21, 31, 10]));
        assert_eq!(racks.place(4).unwrap(), ids(&[21, 30, 10, 20]));
        assert_eq!(racks.place(4).unwrap(), ids(&[31, 11, 21, 30]));
    }

    #[test]
    fn racks_with_only_fenced_brokers_never_lead_but_still_hold_followers() {
        // testRackListWithInvalidRacks.
        let mut random = MockRandom::new();
        let brokers = [
            UsableBroker::new(11, Some("1"), false),
            UsableBroker::new(10, Some("1"), false),
            UsableBroker::new(30, Some("3"), true),
            UsableBroker::new(31, Some("3"), true),
            UsableBroker::new(20, Some("2"), true),
            UsableBroker::new(21, Some("2"), true),
            UsableBroker::new(41, Some("4"), false),
            UsableBroker::new(40, Some("4"), true),
        ];
        let mut racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!((racks.total_brokers(), racks.unfenced_brokers()), (8, 3));
        assert_eq!(racks.rack_names(), [rack("1"), rack("2"), rack("3"), rack("4")]);
        assert_eq!(racks.place(4).unwrap(), ids(&[41, 11, 21, 30]));
        assert_eq!(racks.place(4).unwrap(), ids(&[10, 20, 31, 41]));
        assert_eq!(racks.place(4).unwrap(), ids(&[41, 21, 30, 11]));
    }

    #[test]
    fn placing_on_a_cluster_where_every_broker_is_fenced_is_refused() {
        // testAllBrokersFenced and testRackListAllBrokersFenced.
        let mut placer = StripedReplicaPlacer::new(MockRandom::new());
        let brokers = [UsableBroker::new(11, Some("1"), true), UsableBroker::new(10, Some("1"), true)];
        let err = placer.place(&brokers, 1, 1).unwrap_err();
        assert_eq!(err.to_string(), "All brokers are currently fenced.");
        assert_eq!(err.kafka_exception(), "InvalidReplicationFactorException");

        let mut random = MockRandom::new();
        let brokers =
            [UsableBroker::new(0, None, true), UsableBroker::new(1, None, true), UsableBroker::new(2, None, true)];
        let mut racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!((racks.total_brokers(), racks.unfenced_brokers()), (3, 0));
        assert_eq!(racks.rack_names(), [None]);
        assert_eq!(racks.place(3).unwrap_err().to_string(), "All brokers are currently fenced.");
    }

    #[test]
    fn more_replicas_than_registered_brokers_is_refused() {
        // testNotEnoughBrokers and testRackListNotEnoughBrokers.
        let brokers = [UsableBroker::new(11, Some("1"), false), UsableBroker::new(10, Some("1"), false)];
        let message = "The target replication factor of 3 cannot be reached because only 2 broker(s) are registered.";
        let mut placer = StripedReplicaPlacer::new(MockRandom::new());
        assert_eq!(placer.place(&brokers, 1, 3).unwrap_err().to_string(), message);
        let mut random = MockRandom::new();
        let mut racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!(racks.place(3).unwrap_err().to_string(), message);
    }

    #[test]
    fn a_replication_factor_below_one_is_refused() {
        // testNonPositiveReplicationFactor and testRackListNonPositiveReplicationFactor.
        let brokers = [UsableBroker::new(11, Some("1"), false), UsableBroker::new(10, Some("1"), false)];
        let mut placer = StripedReplicaPlacer::new(MockRandom::new());
        assert_eq!(
            placer.place(&brokers, 1, 0).unwrap_err().to_string(),
            "Invalid replication factor 0: the replication factor must be positive."
        );
        let mut random = MockRandom::new();
        let mut racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!(
            racks.place(-1).unwrap_err().to_string(),
            "Invalid replication factor -1: the replication factor must be positive."
        );
    }

    #[test]
    fn five_partitions_on_four_brokers_rotate_leaders_then_reshuffle() {
        // testSuccessfulPlacement.
        let mut placer = StripedReplicaPlacer::new(MockRandom::new());
        let brokers = [
            UsableBroker::new(0, None, false),
            UsableBroker::new(3, None, false),
            UsableBroker::new(2, None, false),
            UsableBroker::new(1, None, false),
        ];
        let got = placer.place(&brokers, 5, 3).unwrap();
        assert_eq!(got, [ids(&[2, 3, 0]), ids(&[3, 0, 1]), ids(&[0, 1, 2]), ids(&[1, 2, 3]), ids(&[1, 0, 2])]);
    }

    #[test]
    fn two_hundred_partitions_spread_over_every_ordered_pair_of_four_brokers() {
        // testEvenDistribution: the exact pair counts, which depend on every shuffle along the way.
        let mut placer = StripedReplicaPlacer::new(MockRandom::new());
        let brokers: Vec<UsableBroker> = (0..4).map(|id| UsableBroker::new(id, None, false)).collect();
        let mut counts: SortedMap<Vec<BrokerId>, u32> = SortedMap::new();
        for replicas in placer.place(&brokers, 200, 2).unwrap() {
            *counts.entry(replicas).or_default() += 1;
        }
        let want = [
            ([0, 1], 14),
            ([0, 2], 22),
            ([0, 3], 14),
            ([1, 0], 17),
            ([1, 2], 17),
            ([1, 3], 16),
            ([2, 0], 13),
            ([2, 1], 17),
            ([2, 3], 20),
            ([3, 0], 20),
            ([3, 1], 19),
            ([3, 2], 11),
        ];
        let want: SortedMap<Vec<BrokerId>, u32> = want.iter().map(|(pair, n)| (ids(pair), *n)).collect();
        assert_eq!(counts, want);
    }

    #[test]
    fn a_broker_listed_twice_is_refused() {
        let mut random = MockRandom::new();
        let brokers = [UsableBroker::new(1, None, false), UsableBroker::new(1, Some("a"), false)];
        assert_eq!(RackList::new(&mut random, &brokers).unwrap_err(), PlacementError::DuplicateBroker(BrokerId(1)));
    }

    #[test]
    fn no_rack_sorts_before_every_named_rack() {
        let mut random = MockRandom::new();
        let brokers = [
            UsableBroker::new(1, Some("b"), false),
            UsableBroker::new(2, None, false),
            UsableBroker::new(3, Some("a"), false),
        ];
        let racks = RackList::new(&mut random, &brokers).unwrap();
        assert_eq!(racks.rack_names(), [None, rack("a"), rack("b")]);
    }

    #[test]
    fn every_partition_has_distinct_brokers_and_an_unfenced_leader() {
        // A property check over many shapes: Kafka's two placement constraints always hold.
        let mut placer = StripedReplicaPlacer::new(MockRandom::new());
        for brokers_count in 1..8u32 {
            let brokers: Vec<UsableBroker> = (0..brokers_count)
                .map(|id| UsableBroker::new(id, Some(["x", "y", "z"][(id % 3) as usize]), id % 4 == 3))
                .collect();
            for rf in 1..=brokers_count as i32 {
                let placed = placer.place(&brokers, 30, rf).unwrap();
                for replicas in placed {
                    assert_eq!(replicas.len(), rf as usize);
                    assert_eq!(replicas.iter().collect::<SortedSet<_>>().len(), replicas.len());
                    assert!(!brokers.iter().find(|b| b.id == replicas[0]).unwrap().fenced);
                }
            }
        }
    }
}
