//! `AdminUtils.assignReplicasToBrokers`: how Kafka's admin tools and the ZooKeeper-era controller
//! spread a new topic's replicas over brokers (SEMANTICS §4.1).
//!
//! Leaders go round-robin over the broker list from a start index. Followers sit at a growing shift
//! after their leader, and the shift grows by one each time the partition id wraps around the broker
//! list, so partition `p` and partition `p + brokers` do not get the same follower set. With racks,
//! the broker list is first interleaved rack by rack, and followers skip racks (then brokers) that
//! already hold a replica of the partition while some other rack (broker) holds none.

use super::PlacementError;
use super::error::check_distinct;
use crate::kafka::BrokerId;
use crate::kafka::java::compare_strings;
use crate::sim::rng::Rng;
use crate::sim::sorted::{SortedMap, SortedSet};

/// A broker as `AdminUtils` sees it: its id and, when `broker.rack` is set, its rack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerMetadata {
    pub id: BrokerId,
    pub rack: Option<String>,
}

impl BrokerMetadata {
    pub fn new(id: u32, rack: Option<&str>) -> BrokerMetadata {
        BrokerMetadata { id: BrokerId(id), rack: rack.map(str::to_owned) }
    }
}

/// Partition id → replicas, preferred leader first, in partition id order.
pub type ReplicaAssignment = SortedMap<u32, Vec<BrokerId>>;

/// Places `partitions` partitions of `replication_factor` replicas each, exactly as
/// `AdminUtils.assignReplicasToBrokers(brokers, partitions, replicationFactor, fixedStartIndex, startPartitionId)`.
///
/// * When no broker has a rack, brokers are used in the order given (rack-unaware). When every broker
///   has one, the rack-aware algorithm runs; when only some do, Kafka refuses.
/// * `fixed_start_index` ≥ 0 fixes both the leader start index and the first follower shift (Kafka's
///   tests pass 0). A negative value draws each from `rng` (leader start first, then the shift), where
///   Kafka draws from an unseeded `java.util.Random`.
/// * Partition ids start at `max(0, start_partition_id)`; adding partitions to a topic passes its
///   current partition count so the new ones continue the pattern.
/// * Index arithmetic is Java's `int` arithmetic, overflow included: a partition id plus a start index
///   past 2147483647 wraps, and where Kafka's list lookup then throws, so does this.
pub fn assign_replicas_to_brokers(
    brokers: &[BrokerMetadata],
    partitions: i32,
    replication_factor: i32,
    fixed_start_index: i32,
    start_partition_id: i32,
    rng: &mut Rng,
) -> Result<ReplicaAssignment, PlacementError> {
    assign(brokers, partitions, replication_factor, fixed_start_index, None, start_partition_id, rng)
}

/// The placement Kafka makes with `fixedStartIndex` -1 when its two `RAND.nextInt(brokers)` calls return
/// `start_index` (the leader start) and then `first_shift` (the first follower shift). Kafka's draws are
/// unseeded, so a placement it made that way is only reproducible by trying every pair of draws.
pub fn assign_replicas_with_draws(
    brokers: &[BrokerMetadata],
    partitions: i32,
    replication_factor: i32,
    start_index: i32,
    first_shift: i32,
    start_partition_id: i32,
) -> Result<ReplicaAssignment, PlacementError> {
    let draws = Some((start_index, first_shift));
    assign(brokers, partitions, replication_factor, -1, draws, start_partition_id, &mut Rng::new(0))
}

fn assign(
    brokers: &[BrokerMetadata],
    partitions: i32,
    replication_factor: i32,
    fixed_start_index: i32,
    draws: Option<(i32, i32)>,
    start_partition_id: i32,
    rng: &mut Rng,
) -> Result<ReplicaAssignment, PlacementError> {
    // Kafka's own checks, in Kafka's order.
    if partitions <= 0 {
        return Err(PlacementError::PartitionsNotPositive);
    }
    if replication_factor <= 0 {
        return Err(PlacementError::ReplicationFactorNotPositive);
    }
    if replication_factor as usize > brokers.len() {
        return Err(PlacementError::ReplicationFactorAboveBrokers { replication_factor, brokers: brokers.len() });
    }
    check_distinct(brokers.iter().map(|b| b.id))?;
    let first_partition = start_partition_id.max(0);
    if i64::from(first_partition) + i64::from(partitions) - 1 > i64::from(i32::MAX) {
        return Err(PlacementError::PartitionIdOverflow { start_partition_id, partitions });
    }
    let plan =
        Plan { partitions, replication_factor: replication_factor as usize, fixed_start_index, draws, first_partition };
    if brokers.iter().all(|b| b.rack.is_none()) {
        let list: Vec<BrokerId> = brokers.iter().map(|b| b.id).collect();
        assign_rack_unaware(&plan, &list, rng)
    } else {
        let mut rack_of = SortedMap::new();
        for broker in brokers {
            let rack = broker.rack.clone().ok_or(PlacementError::MissingRackInformation)?;
            rack_of.insert(broker.id, rack);
        }
        assign_rack_aware(&plan, &rack_of, rng)
    }
}

/// The inputs both variants share, already checked.
struct Plan {
    partitions: i32,
    replication_factor: usize,
    fixed_start_index: i32,
    /// What Kafka's two draws returned, when a caller replays them instead of drawing from `rng`.
    draws: Option<(i32, i32)>,
    first_partition: i32,
}

impl Plan {
    /// Kafka's `startIndex` and initial `nextReplicaShift`: both the fixed index, or two draws.
    fn start_and_shift(&self, brokers: usize, rng: &mut Rng) -> (i32, i32) {
        if self.fixed_start_index >= 0 {
            (self.fixed_start_index, self.fixed_start_index)
        } else if let Some(draws) = self.draws {
            draws
        } else {
            // `below` returns less than the broker count, and Kafka's count is a Java `int`.
            let start = rng.below(brokers as u64) as i32;
            let shift = rng.below(brokers as u64) as i32;
            (start, shift)
        }
    }

    /// The partition ids in order, with the follower shift in force for each: the shift grows by one
    /// each time the id reaches a multiple of the broker count (other than 0), as a Java `int`.
    fn partitions_with_shift(&self, brokers: usize, mut shift: i32) -> impl Iterator<Item = (i32, i32)> {
        let first = i64::from(self.first_partition);
        let brokers = brokers as i64;
        // The last id was checked to stay within i32, so every id fits.
        (first..first + i64::from(self.partitions)).map(move |partition| {
            if partition > 0 && partition % brokers == 0 {
                shift = shift.wrapping_add(1);
            }
            (partition as i32, shift)
        })
    }
}

/// A list position as Kafka computes it, or the `IndexOutOfBoundsException` its `List.get` throws when
/// Java `int` arithmetic wrapped the position negative.
fn checked_index(index: i64, brokers: usize) -> Result<usize, PlacementError> {
    usize::try_from(index).map_err(|_| PlacementError::IndexOutOfBounds { index, length: brokers })
}

/// `(currentPartitionId + startIndex) % brokers`: the leader's list position. Java adds as `int`s, so a
/// partition id plus the start index past 2147483647 wraps negative and Kafka fails instead of placing.
fn first_replica_index(partition: i32, start_index: i32, brokers: usize) -> Result<usize, PlacementError> {
    checked_index(i64::from(partition.wrapping_add(start_index) % brokers as i32), brokers)
}

/// `AdminUtils.replicaIndex`: the list position of the `replica_index`-th follower candidate after the
/// leader at `first_replica_index`; only called with followers to place, so `brokers` ≥ 2. Java adds the
/// shift and the candidate number as `int`s, the rest as `long`s. While that `int` sum is non-negative the
/// leader's own position is never produced; a sum wrapped negative can produce it, or a negative position.
fn replica_index(first_replica_index: usize, second_replica_shift: i32, replica_index: i32, brokers: usize) -> Result<usize, PlacementError> {
    let shift = 1 + i64::from(second_replica_shift.wrapping_add(replica_index) % (brokers as i32 - 1));
    checked_index((first_replica_index as i64 + shift) % brokers as i64, brokers)
}

fn assign_rack_unaware(plan: &Plan, brokers: &[BrokerId], rng: &mut Rng) -> Result<ReplicaAssignment, PlacementError> {
    let n = brokers.len();
    let (start_index, shift) = plan.start_and_shift(n, rng);
    let mut assignment = ReplicaAssignment::new();
    for (partition, shift) in plan.partitions_with_shift(n, shift) {
        let first = first_replica_index(partition, start_index, n)?;
        let mut replicas = Vec::with_capacity(plan.replication_factor);
        replicas.push(brokers[first]);
        for j in 0..plan.replication_factor as i32 - 1 {
            replicas.push(brokers[replica_index(first, shift, j, n)?]);
        }
        // Partition ids were checked to stay within i32, and start at 0 or above, so they fit u32.
        assignment.insert(partition as u32, replicas);
    }
    Ok(assignment)
}

/// `AdminUtils.getRackAlternatedBrokerList`: racks in Java string order, brokers of each rack by id,
/// then one broker from each rack in turn until every broker is listed.
/// `{0:rack1, 1:rack3, 2:rack3, 3:rack2, 4:rack2, 5:rack1}` gives `[0, 3, 1, 5, 4, 2]`.
pub fn rack_alternated_broker_list(rack_of: &SortedMap<BrokerId, String>) -> Vec<BrokerId> {
    let mut by_rack: SortedMap<&str, Vec<BrokerId>> = SortedMap::new();
    // Iterating the map by id leaves each rack's brokers sorted by id.
    for (broker, rack) in rack_of {
        by_rack.entry(rack.as_str()).or_default().push(*broker);
    }
    let mut racks: Vec<(&str, std::vec::IntoIter<BrokerId>)> =
        by_rack.into_iter().map(|(rack, brokers)| (rack, brokers.into_iter())).collect();
    // Kafka sorts rack names with `Arrays.sort` on Java strings (UTF-16 order).
    crate::sim::sorted::sort_by(&mut racks, |a, b| compare_strings(a.0, b.0));
    let mut alternated = Vec::with_capacity(rack_of.len());
    while alternated.len() < rack_of.len() {
        for (_, brokers) in racks.iter_mut() {
            alternated.extend(brokers.next());
        }
    }
    alternated
}

fn assign_rack_aware(
    plan: &Plan,
    rack_of: &SortedMap<BrokerId, String>,
    rng: &mut Rng,
) -> Result<ReplicaAssignment, PlacementError> {
    let rack_count = rack_of.values().collect::<SortedSet<_>>().len();
    let brokers = rack_alternated_broker_list(rack_of);
    let n = brokers.len();
    let (start_index, shift) = plan.start_and_shift(n, rng);
    let mut assignment = ReplicaAssignment::new();
    for (partition, shift) in plan.partitions_with_shift(n, shift) {
        let first = first_replica_index(partition, start_index, n)?;
        let leader = brokers[first];
        // Indexing `rack_of` cannot miss: the alternated list holds exactly its keys.
        let mut replicas = vec![leader];
        let mut racks_with_replicas = SortedSet::from([&rack_of[&leader]]);
        let mut brokers_with_replicas = SortedSet::from([leader]);
        // `k` runs on across followers: each follower resumes the scan where the previous one stopped.
        let mut k = 0i32;
        // Java multiplies the shift by the rack count as `int`s.
        let second_shift = shift.wrapping_mul(rack_count as i32);
        for _ in 1..plan.replication_factor {
            // The candidate depends on `second_shift + k` (a Java `int`, which wraps) through its remainder
            // by n - 1, so while that sum keeps its sign, candidates repeat every n - 1 steps. With a
            // non-negative sum, n - 1 steps visit every broker but the leader once, and one of them always
            // qualifies (an unused broker exists, in an unused rack if one exists). A negative sum (only
            // a start index near 2^31 makes one) may keep missing: Kafka then loops for up to 2^31 steps
            // until the sum reaches 0, so after n - 1 misses we jump there, to where Kafka ends up.
            let mut chosen = None;
            let mut misses = 0;
            while chosen.is_none() {
                let sum = second_shift.wrapping_add(k);
                let broker = brokers[replica_index(first, second_shift, k, n)?];
                k = k.wrapping_add(1);
                let rack = &rack_of[&broker];
                let rack_ok = !racks_with_replicas.contains(rack) || racks_with_replicas.len() == rack_count;
                let broker_ok = !brokers_with_replicas.contains(&broker) || brokers_with_replicas.len() == n;
                if rack_ok && broker_ok {
                    racks_with_replicas.insert(rack);
                    brokers_with_replicas.insert(broker);
                    chosen = Some(broker);
                    break;
                }
                let next = second_shift.wrapping_add(k);
                misses = if (next < 0) == (sum < 0) { misses + 1 } else { 0 };
                if misses == n - 1 {
                    if sum >= 0 {
                        break; // Unreachable, as argued above.
                    }
                    k = k.wrapping_sub(next);
                    misses = 0;
                }
            }
            replicas.push(chosen.ok_or(PlacementError::NoBrokerLeft)?);
        }
        assignment.insert(partition as u32, replicas);
    }
    Ok(assignment)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[u32]) -> Vec<BrokerId> {
        list.iter().map(|&id| BrokerId(id)).collect()
    }

    fn unracked(ids: impl IntoIterator<Item = u32>) -> Vec<BrokerMetadata> {
        ids.into_iter().map(|id| BrokerMetadata::new(id, None)).collect()
    }

    fn racked(map: &[(u32, &str)]) -> Vec<BrokerMetadata> {
        map.iter().map(|&(id, rack)| BrokerMetadata::new(id, Some(rack))).collect()
    }

    fn rack_map(map: &[(u32, &str)]) -> SortedMap<BrokerId, String> {
        map.iter().map(|&(id, rack)| (BrokerId(id), rack.to_owned())).collect()
    }

    fn place(
        brokers: &[BrokerMetadata],
        partitions: i32,
        rf: i32,
        start: i32,
        start_partition: i32,
    ) -> ReplicaAssignment {
        assign_replicas_to_brokers(brokers, partitions, rf, start, start_partition, &mut Rng::new(0))
            .expect("a valid placement")
    }

    fn expected(rows: &[(u32, &[u32])]) -> ReplicaAssignment {
        rows.iter().map(|&(p, replicas)| (p, ids(replicas))).collect()
    }

    /// `RackAwareTest.checkReplicaDistribution`: no broker twice in a partition; optionally every
    /// partition on `rf` distinct racks, leaders spread evenly, replicas spread evenly.
    #[derive(Clone, Copy)]
    struct Distribution {
        rack_aware: bool,
        leaders_even: bool,
        replicas_even: bool,
    }

    const ALL: Distribution = Distribution { rack_aware: true, leaders_even: true, replicas_even: true };

    fn check_distribution(
        assignment: &ReplicaAssignment,
        rack: &[(u32, &str)],
        partitions: usize,
        rf: usize,
        check: Distribution,
    ) {
        let rack_of = rack_map(rack);
        let mut leader_count: SortedMap<BrokerId, usize> = SortedMap::new();
        let mut replica_count: SortedMap<BrokerId, usize> = SortedMap::new();
        assert_eq!(assignment.len(), partitions);
        for replicas in assignment.values() {
            assert_eq!(
                replicas.iter().collect::<SortedSet<_>>().len(),
                replicas.len(),
                "a broker twice in {replicas:?}"
            );
            *leader_count.entry(replicas[0]).or_default() += 1;
            for broker in replicas {
                *replica_count.entry(*broker).or_default() += 1;
            }
            if check.rack_aware {
                let racks: SortedSet<&String> = replicas.iter().map(|b| &rack_of[b]).collect();
                assert_eq!(racks.len(), rf, "two replicas share a rack in {replicas:?}");
            }
        }
        let brokers = rack.len();
        if check.leaders_even {
            assert_eq!(leader_count.len(), brokers);
            assert!(leader_count.values().all(|&n| n == partitions / brokers), "{leader_count:?}");
        }
        if check.replicas_even {
            assert_eq!(replica_count.len(), brokers);
            assert!(replica_count.values().all(|&n| n == partitions * rf / brokers), "{replica_count:?}");
        }
    }

    /// Runs a check over many random start indexes, as Kafka's tests do with an unseeded Random.
    fn for_many_start_indexes(mut run: impl FnMut(&mut Rng)) {
        for seed in 0..50 {
            run(&mut Rng::new(seed));
        }
    }

    #[test]
    fn five_brokers_ten_partitions_leaders_round_robin_and_followers_shift_after_each_lap() {
        // AdminRackAwareTest#testReplicaAssignment.
        let got = place(&unracked(0..5), 10, 3, 0, -1);
        let want = expected(&[
            (0, &[0, 1, 2]),
            (1, &[1, 2, 3]),
            (2, &[2, 3, 4]),
            (3, &[3, 4, 0]),
            (4, &[4, 0, 1]),
            (5, &[0, 2, 3]),
            (6, &[1, 3, 4]),
            (7, &[2, 4, 0]),
            (8, &[3, 0, 1]),
            (9, &[4, 1, 2]),
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn zero_or_too_many_replicas_are_refused_with_kafkas_messages() {
        // AdminRackAwareTest#testReplicaAssignment, error half.
        let brokers = unracked(0..5);
        let mut rng = Rng::new(0);
        let zero = assign_replicas_to_brokers(&brokers, 10, 0, -1, -1, &mut rng).unwrap_err();
        assert_eq!(zero.kafka_exception(), "InvalidReplicationFactorException");
        assert_eq!(zero.to_string(), "Replication factor must be larger than 0.");
        let six = assign_replicas_to_brokers(&brokers, 10, 6, -1, -1, &mut rng).unwrap_err();
        assert_eq!(six.kafka_exception(), "InvalidReplicationFactorException");
        assert_eq!(six.to_string(), "Replication factor: 6 larger than available brokers: 5.");
    }

    #[test]
    fn invalid_parameters_are_checked_partitions_first_then_replication_then_racks() {
        // AdminRackAwareTest#testAssignReplicasToBrokersWithInvalidParameters: broker 4 has no rack.
        let mut brokers = racked(&[(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2")]);
        brokers.push(BrokerMetadata::new(4, None));
        let mut rng = Rng::new(0);
        let mut attempt =
            |partitions, rf| assign_replicas_to_brokers(&brokers, partitions, rf, -1, -1, &mut rng).unwrap_err();
        let no_partitions = attempt(0, 0);
        assert_eq!(no_partitions.kafka_exception(), "InvalidPartitionsException");
        assert_eq!(no_partitions.to_string(), "Number of partitions must be larger than 0.");
        assert_eq!(attempt(10, 0).kafka_exception(), "InvalidReplicationFactorException");
        assert_eq!(attempt(10, 6).kafka_exception(), "InvalidReplicationFactorException");
        let partial_racks = attempt(10, 5);
        assert_eq!(partial_racks.kafka_exception(), "AdminOperationException");
        assert_eq!(
            partial_racks.to_string(),
            "Not all brokers have rack information for replica rack aware assignment."
        );
    }

    #[test]
    fn the_rack_alternated_list_takes_one_broker_from_each_sorted_rack_in_turn() {
        // AdminRackAwareTest#testGetRackAlternatedBrokerListAndAssignReplicasToBrokers, list half.
        let racks = [(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2"), (4, "rack2"), (5, "rack1")];
        assert_eq!(rack_alternated_broker_list(&rack_map(&racks)), ids(&[0, 3, 1, 5, 4, 2]));
        assert_eq!(rack_alternated_broker_list(&rack_map(&racks[..5])), ids(&[0, 3, 1, 4, 2]));
    }

    #[test]
    fn rack_aware_followers_shift_by_the_rack_count_after_the_first_lap() {
        // AdminRackAwareTest#testGetRackAlternatedBrokerListAndAssignReplicasToBrokers, assignment half:
        // partition 6 starts a second lap and gets [0, 4, 2] instead of repeating partition 0's [0, 3, 1].
        let racks = racked(&[(0, "rack1"), (1, "rack3"), (2, "rack3"), (3, "rack2"), (4, "rack2"), (5, "rack1")]);
        let want = expected(&[
            (0, &[0, 3, 1]),
            (1, &[3, 1, 5]),
            (2, &[1, 5, 4]),
            (3, &[5, 4, 2]),
            (4, &[4, 2, 0]),
            (5, &[2, 0, 3]),
            (6, &[0, 4, 2]),
        ]);
        assert_eq!(place(&racks, 7, 3, 0, 0), want);
    }

    const SIX_ON_THREE_RACKS: [(u32, &str); 6] =
        [(0, "rack1"), (1, "rack2"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack1")];

    #[test]
    fn three_replicas_on_three_even_racks_land_on_three_racks_with_even_leaders_and_replicas() {
        // AdminRackAwareTest#testAssignmentWithRackAware (start index 2) and ...WithRandomStartIndex.
        let brokers = racked(&SIX_ON_THREE_RACKS);
        check_distribution(&place(&brokers, 6, 3, 2, 0), &SIX_ON_THREE_RACKS, 6, 3, ALL);
        for_many_start_indexes(|rng| {
            let got = assign_replicas_to_brokers(&brokers, 6, 3, -1, -1, rng).unwrap();
            check_distribution(&got, &SIX_ON_THREE_RACKS, 6, 3, ALL);
        });
    }

    #[test]
    fn thirteen_partitions_on_six_brokers_still_put_each_partition_on_three_racks() {
        // AdminRackAwareTest#testAssignmentWithRackAwareWithUnevenReplicas.
        let got = place(&racked(&SIX_ON_THREE_RACKS), 13, 3, 0, 0);
        let only_racks = Distribution { rack_aware: true, leaders_even: false, replicas_even: false };
        check_distribution(&got, &SIX_ON_THREE_RACKS, 13, 3, only_racks);
    }

    #[test]
    fn uneven_racks_keep_rack_spread_and_even_leaders() {
        // AdminRackAwareTest#testAssignmentWithRackAwareWithUnevenRacks.
        let racks = [(0, "rack1"), (1, "rack1"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack1")];
        let brokers = racked(&racks);
        let check = Distribution { rack_aware: true, leaders_even: true, replicas_even: false };
        for_many_start_indexes(|rng| {
            let got = assign_replicas_to_brokers(&brokers, 12, 3, -1, -1, rng).unwrap();
            check_distribution(&got, &racks, 12, 3, check);
        });
    }

    #[test]
    fn two_replicas_on_three_racks_spread_evenly() {
        // AdminRackAwareTest#testAssignmentWith2ReplicasRackAware and ...With6Partitions.
        let brokers = racked(&SIX_ON_THREE_RACKS);
        for_many_start_indexes(|rng| {
            for partitions in [12, 6] {
                let got = assign_replicas_to_brokers(&brokers, partitions, 2, -1, -1, rng).unwrap();
                check_distribution(&got, &SIX_ON_THREE_RACKS, partitions as usize, 2, ALL);
            }
        });
    }

    #[test]
    fn adding_partitions_continues_from_the_start_partition_id() {
        // AdminRackAwareTest#testRackAwareExpansion: partitions 12..24 on brokers 6..11.
        let racks = [(6, "rack1"), (7, "rack2"), (8, "rack2"), (9, "rack3"), (10, "rack3"), (11, "rack1")];
        let brokers = racked(&racks);
        for_many_start_indexes(|rng| {
            let got = assign_replicas_to_brokers(&brokers, 12, 2, -1, 12, rng).unwrap();
            assert_eq!(got.keys().copied().collect::<Vec<_>>(), (12..24).collect::<Vec<u32>>());
            check_distribution(&got, &racks, 12, 2, ALL);
        });
    }

    #[test]
    fn three_brokers_on_three_racks_place_two_replicas_evenly() {
        // AdminRackAwareTest#testAssignmentWith2ReplicasRackAwareWith6PartitionsAnd3Brokers.
        let racks = [(0, "rack1"), (1, "rack2"), (4, "rack3")];
        let brokers = racked(&racks);
        for_many_start_indexes(|rng| {
            let got = assign_replicas_to_brokers(&brokers, 3, 2, -1, -1, rng).unwrap();
            check_distribution(&got, &racks, 3, 2, ALL);
        });
    }

    #[test]
    fn ninety_six_partitions_on_twelve_brokers_spread_evenly() {
        // AdminRackAwareTest#testLargeNumberPartitionsAssignment.
        let racks = [
            (0, "rack1"),
            (1, "rack2"),
            (2, "rack2"),
            (3, "rack3"),
            (4, "rack3"),
            (5, "rack1"),
            (6, "rack1"),
            (7, "rack2"),
            (8, "rack2"),
            (9, "rack3"),
            (10, "rack1"),
            (11, "rack3"),
        ];
        let brokers = racked(&racks);
        for_many_start_indexes(|rng| {
            let got = assign_replicas_to_brokers(&brokers, 96, 3, -1, -1, rng).unwrap();
            check_distribution(&got, &racks, 96, 3, ALL);
        });
    }

    #[test]
    fn more_replicas_than_racks_still_touch_every_rack() {
        // AdminRackAwareTest#testMoreReplicasThanRacks.
        let racks = [(0, "rack1"), (1, "rack2"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack2")];
        let rack_of = rack_map(&racks);
        for_many_start_indexes(|rng| {
            let got = assign_replicas_to_brokers(&racked(&racks), 6, 5, -1, -1, rng).unwrap();
            for replicas in got.values() {
                assert_eq!(replicas.len(), 5);
                assert_eq!(replicas.iter().map(|b| &rack_of[b]).collect::<SortedSet<_>>().len(), 3);
            }
        });
    }

    #[test]
    fn fewer_replicas_than_racks_never_share_a_rack() {
        // AdminRackAwareTest#testLessReplicasThanRacks.
        let racks = [(0, "rack1"), (1, "rack2"), (2, "rack2"), (3, "rack3"), (4, "rack3"), (5, "rack2")];
        let rack_of = rack_map(&racks);
        for_many_start_indexes(|rng| {
            let got = assign_replicas_to_brokers(&racked(&racks), 6, 2, -1, -1, rng).unwrap();
            for replicas in got.values() {
                assert_eq!(replicas.iter().map(|b| &rack_of[b]).collect::<SortedSet<_>>().len(), 2);
            }
        });
    }

    #[test]
    fn a_single_rack_gives_each_broker_one_leadership() {
        // AdminRackAwareTest#testSingleRack.
        let racks: Vec<(u32, &str)> = (0..6).map(|id| (id, "rack1")).collect();
        for_many_start_indexes(|rng| {
            let got = assign_replicas_to_brokers(&racked(&racks), 6, 3, -1, -1, rng).unwrap();
            let leaders: SortedSet<BrokerId> = got.values().map(|r| r[0]).collect();
            assert_eq!(leaders.len(), 6);
            assert!(got.values().all(|r| r.len() == 3));
        });
    }

    #[test]
    fn once_every_rack_has_a_replica_a_broker_already_used_is_skipped() {
        // AdminRackAwareTest#testSkipBrokerWithReplicaAlreadyAssigned: 4 replicas over 3 racks.
        let racks = [(0, "a"), (1, "b"), (2, "c"), (3, "a"), (4, "a")];
        let got = place(&racked(&racks), 6, 4, 2, -1);
        let none = Distribution { rack_aware: false, leaders_even: false, replicas_even: false };
        check_distribution(&got, &racks, 6, 4, none);
    }

    #[test]
    fn a_random_start_draws_from_the_seeded_stream_and_repeats_for_the_same_seed() {
        let brokers = unracked(0..5);
        let a = assign_replicas_to_brokers(&brokers, 10, 3, -1, -1, &mut Rng::new(9)).unwrap();
        let b = assign_replicas_to_brokers(&brokers, 10, 3, -1, -1, &mut Rng::new(9)).unwrap();
        assert_eq!(a, b);
        // The first draw is the leader start index, as Kafka's first `RAND.nextInt` is.
        let start = Rng::new(9).below(5) as u32;
        assert_eq!(a[&0][0], BrokerId(start), "leader of partition 0 sits at the drawn start index");
    }

    #[test]
    fn rack_unaware_placement_follows_the_given_broker_order() {
        // Kafka uses the list as given: the leader of partition 0 is the first listed broker.
        let got = place(&unracked([7, 3, 5]), 3, 2, 0, -1);
        assert_eq!(got, expected(&[(0, &[7, 3]), (1, &[3, 5]), (2, &[5, 7])]));
    }

    #[test]
    fn a_broker_listed_twice_is_refused_instead_of_holding_two_replicas() {
        let err = assign_replicas_to_brokers(&unracked([0, 1, 1]), 1, 2, 0, -1, &mut Rng::new(0)).unwrap_err();
        assert_eq!(err, PlacementError::DuplicateBroker(BrokerId(1)));
    }

    #[test]
    fn a_partition_id_plus_start_index_past_javas_largest_int_wraps_like_kafkas_int_sum() {
        // Kafka adds them as `int`s: 2147483646 + 2 wraps to -2147483648, whose remainder by 3 is -2,
        // and `List.get(-2)` throws. Only when the wrapped remainder is 0 does Kafka place the partition.
        let err = assign_replicas_to_brokers(&unracked(0..3), 1, 2, 2, i32::MAX - 1, &mut Rng::new(0)).unwrap_err();
        assert_eq!(err.kafka_exception(), "IndexOutOfBoundsException");
        assert_eq!(err.to_string(), "Index -2 out of bounds for length 3");
        let wrapped_to_zero = place(&unracked(0..3), 1, 2, 3, i32::MAX);
        assert_eq!(wrapped_to_zero, expected(&[(i32::MAX as u32, &[0, 2])]));
    }

    #[test]
    fn a_follower_shift_times_the_rack_count_past_javas_largest_int_wraps_negative_and_can_offer_the_leader() {
        // 1431655765 × 3 racks wraps to -1: the first candidate's shift is 1 + (-1 % 2) = 0, the leader
        // itself, which the rack check skips; the next candidate is broker 2. Kafka gives [1, 2].
        let got = place(&racked(&[(0, "a"), (1, "b"), (2, "c")]), 1, 2, 1431655765, -1);
        assert_eq!(got, expected(&[(0, &[1, 2])]));
    }

    #[test]
    fn a_follower_scan_missing_on_a_wrapped_negative_shift_ends_where_kafkas_long_loop_does() {
        // 1073741825 × 2 racks wraps to -2147483646: candidates alternate between the leader (broker 1,
        // rack a) and broker 0 (rack a again) until shift + k reaches 0, about 2^31 steps later in
        // Kafka (seconds of looping); then broker 2 on rack b qualifies. Kafka gives [1, 2].
        let got = place(&racked(&[(0, "a"), (1, "a"), (2, "b")]), 1, 2, 1073741825, 0);
        assert_eq!(got, expected(&[(0, &[1, 2])]));
    }

    #[test]
    fn partition_ids_past_javas_largest_int_are_refused() {
        let err = assign_replicas_to_brokers(&unracked(0..3), 2, 1, 0, i32::MAX, &mut Rng::new(0)).unwrap_err();
        assert!(matches!(err, PlacementError::PartitionIdOverflow { .. }));
        let last = assign_replicas_to_brokers(&unracked(0..3), 1, 1, 0, i32::MAX, &mut Rng::new(0)).unwrap();
        assert_eq!(last.keys().copied().collect::<Vec<_>>(), [i32::MAX as u32]);
    }
}
