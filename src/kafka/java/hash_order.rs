//! The iteration order of Java's hash map and hash set, for the few places where Kafka's result
//! depends on it.
//!
//! Kafka keeps members, topics, partitions and racks in Java hash maps and sets. Most of the time the
//! order they iterate in does not change the answer, but in a few places it does:
//! - in the assignors: which over-quota sticky member keeps its extra partition, the order of topics
//!   in a range member's list, the order an eager sticky member reports its previous partitions in,
//!   and which partition the sticky balancer picks to undo an earlier move;
//! - in `StripedReplicaPlacer`: which rack gets which of the random draws, because they are drawn
//!   while walking its rack map.
//!
//! To get Kafka's exact answer there, this module replays the bucket layout of a Java hash table
//! (JDK 8 and later) key by key:
//!
//! * a key's bucket is `spread(hashCode) & (capacity - 1)`, where `spread(h) = h ^ (h >>> 16)`;
//! * `put`/`add` appends a new key to the end of its bucket's chain; replacing an existing key
//!   changes nothing;
//! * the table starts at 16 buckets and doubles when the size passes 3/4 of the capacity, or when one
//!   chain grows past 8 keys while the table is smaller than 64 buckets (Java resizes instead of
//!   turning that chain into a tree);
//! * `computeIfAbsent` is the exception ([`JavaHashOrder::compute_if_absent`]): it puts a new key at
//!   the front of its chain, asks for a tree once the chain reaches 8 keys, and checks the size
//!   before inserting rather than after, so a table that just passed 3/4 full doubles on the next
//!   call, even one that finds its key;
//! * doubling splits each chain into a low and a high half, each keeping its relative order;
//! * iteration walks the buckets in index order and each chain front to back.
//!
//! Not replayed: a chain turned into a red-black tree (9 or more colliding keys, 8 through
//! `computeIfAbsent`, in one bucket of a table with 64 or more buckets), whose iteration order also
//! depends on tree rotations. That takes nine keys sharing their low six hash bits, which inputs a
//! learner types (member, topic and rack names) practically never do; such a bucket here iterates as
//! the chain would.

use crate::kafka::ids::TopicPartition;
use crate::kafka::java::string_hash_code;

/// Java's default initial capacity (`DEFAULT_INITIAL_CAPACITY`).
const CAPACITY_DEFAULT: usize = 16;
/// A chain longer than this is turned into a tree in Java, or makes a small table double.
const CHAIN_LENGTH_TREEIFY: usize = 8;
/// Below this many buckets Java doubles the table rather than turning a long chain into a tree.
const CAPACITY_TREEIFY_MIN: usize = 64;
/// Java caps the table at 2^30 buckets.
const CAPACITY_MAX: usize = 1 << 30;

/// The bucket layout of one Java hash map or hash set: only the keys and their hash codes, in the
/// order Java would keep them.
#[derive(Clone, Debug)]
pub struct JavaHashOrder<K> {
    buckets: Vec<Vec<(u32, K)>>,
    len: usize,
}

impl<K: PartialEq> Default for JavaHashOrder<K> {
    fn default() -> Self {
        JavaHashOrder::new()
    }
}

impl<K: PartialEq> JavaHashOrder<K> {
    /// An empty table as Java's default hash map or hash set constructor builds it: 16 buckets.
    pub fn new() -> JavaHashOrder<K> {
        JavaHashOrder::with_buckets(CAPACITY_DEFAULT)
    }

    /// An empty table as Java 17's hash-set copy constructor builds it for `expected` keys: the next
    /// power of two of at least `expected / 0.75 + 1` and 16 buckets, so copying the keys in never
    /// passes 3/4 full (a long chain can still double it).
    pub fn for_copy_of(expected: usize) -> JavaHashOrder<K> {
        JavaHashOrder::with_buckets((expected * 4 / 3 + 1).max(CAPACITY_DEFAULT).next_power_of_two().min(CAPACITY_MAX))
    }

    fn with_buckets(capacity: usize) -> JavaHashOrder<K> {
        JavaHashOrder { buckets: (0..capacity).map(|_| Vec::new()).collect(), len: 0 }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of buckets, which Java calls the capacity.
    pub fn capacity(&self) -> usize {
        self.buckets.len()
    }

    fn bucket_of(&self, spread_hash: u32) -> usize {
        // The capacity is a power of two, so the mask keeps the low bits, exactly like Java.
        (spread_hash as usize) & (self.buckets.len() - 1)
    }

    /// Adds `key` (whose Java `hashCode()` is `hash_code`) like `put`/`add`. Returns false, and
    /// changes nothing, when the key is already present.
    pub fn insert(&mut self, hash_code: i32, key: K) -> bool {
        let spread_hash = spread(hash_code);
        let bucket = self.bucket_of(spread_hash);
        if self.buckets[bucket].iter().any(|(h, k)| *h == spread_hash && *k == key) {
            return false;
        }
        let chain_length_before = self.buckets[bucket].len();
        self.buckets[bucket].push((spread_hash, key));
        // Java counts the chain while walking it: appending a 9th key asks for a tree, which on a
        // table below 64 buckets means doubling instead.
        if chain_length_before >= CHAIN_LENGTH_TREEIFY && self.capacity() < CAPACITY_TREEIFY_MIN {
            self.double();
        }
        self.len += 1;
        if self.len > self.threshold() {
            self.double();
        }
        true
    }

    /// Adds `key` like `computeIfAbsent` does when the key is new, which is not how `put` does it:
    /// the size check comes first (a table already past 3/4 full doubles now, whether or not `key` is
    /// new), the new key goes to the front of its chain, and a chain that already held 7 keys asks
    /// for a tree, which below 64 buckets means doubling. Returns false when the key was present.
    /// Kafka groups partitions by topic this way (`CollectionUtils.groupPartitionsByTopic`), so two
    /// colliding topics come out in the reverse of the order they were met.
    pub fn compute_if_absent(&mut self, hash_code: i32, key: K) -> bool {
        if self.len > self.threshold() {
            self.double();
        }
        let spread_hash = spread(hash_code);
        let bucket = self.bucket_of(spread_hash);
        if self.buckets[bucket].iter().any(|(h, k)| *h == spread_hash && *k == key) {
            return false;
        }
        let chain_length_before = self.buckets[bucket].len();
        self.buckets[bucket].insert(0, (spread_hash, key));
        if chain_length_before >= CHAIN_LENGTH_TREEIFY - 1 && self.capacity() < CAPACITY_TREEIFY_MIN {
            self.double();
        }
        self.len += 1;
        true
    }

    /// Removes `key` like `remove`: the other keys keep their places. Returns whether it was there.
    pub fn remove(&mut self, hash_code: i32, key: &K) -> bool {
        let spread_hash = spread(hash_code);
        let bucket = self.bucket_of(spread_hash);
        let chain = &mut self.buckets[bucket];
        match chain.iter().position(|(h, k)| *h == spread_hash && k == key) {
            Some(at) => {
                chain.remove(at);
                self.len -= 1;
                true
            }
            None => false,
        }
    }

    pub fn contains(&self, hash_code: i32, key: &K) -> bool {
        let spread_hash = spread(hash_code);
        self.buckets[self.bucket_of(spread_hash)].iter().any(|(h, k)| *h == spread_hash && k == key)
    }

    /// The keys in the order a Java iterator returns them.
    pub fn iter(&self) -> impl Iterator<Item = &K> {
        self.buckets.iter().flat_map(|chain| chain.iter().map(|(_, k)| k))
    }

    /// What `iterator().next()` returns.
    pub fn first(&self) -> Option<&K> {
        self.iter().next()
    }

    /// Java resizes when the size exceeds `capacity * 0.75`, computed in integers here.
    fn threshold(&self) -> usize {
        if self.capacity() >= CAPACITY_MAX { usize::MAX } else { self.capacity() / 4 * 3 }
    }

    /// Doubles the table the way Java's `resize` does: each chain splits into the keys whose hash has
    /// the old capacity's bit clear (staying at index j) and set (moving to j + old capacity).
    fn double(&mut self) {
        let capacity_old = self.capacity();
        if capacity_old >= CAPACITY_MAX {
            return;
        }
        let mut buckets: Vec<Vec<(u32, K)>> = (0..capacity_old * 2).map(|_| Vec::new()).collect();
        for (index, chain) in std::mem::take(&mut self.buckets).into_iter().enumerate() {
            for (hash, key) in chain {
                let target = if (hash as usize) & capacity_old == 0 { index } else { index + capacity_old };
                buckets[target].push((hash, key));
            }
        }
        self.buckets = buckets;
    }
}

/// Java's hash-map `hash` function: folds the high half of the hash code into the low half, because the
/// bucket index only looks at the low bits.
fn spread(hash_code: i32) -> u32 {
    let h = hash_code as u32;
    h ^ (h >> 16)
}

/// Java's `TopicPartition.hashCode`: `31 * (31 + partition) + topic.hashCode()`, wrapping at 32 bits.
pub fn topic_partition_hash_code(partition: &TopicPartition) -> i32 {
    // Partition numbers are below 2^31 (validated input), so the cast keeps the Java int value.
    let partition_number = partition.partition as i32;
    31i32.wrapping_add(partition_number).wrapping_mul(31).wrapping_add(string_hash_code(&partition.topic))
}

/// The order a fresh Java hash map with string keys iterates `keys` in after they were put in the given
/// order (repeated keys keep their first place).
pub fn strings_in_hash_order<'a, I>(keys: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    strings_added_with(keys, JavaHashOrder::insert)
}

/// The order a fresh Java hash map with string keys iterates `keys` in when each was added with
/// `computeIfAbsent` (repeated keys change nothing but may trigger a pending resize).
pub fn strings_in_compute_if_absent_order<'a, I>(keys: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    strings_added_with(keys, JavaHashOrder::compute_if_absent)
}

/// The iteration order of a fresh Java hash map of strings after `add` (`put` or `computeIfAbsent`)
/// took each of `keys` in turn.
fn strings_added_with<'a>(keys: impl IntoIterator<Item = &'a str>, add: fn(&mut JavaHashOrder<&'a str>, i32, &'a str) -> bool) -> Vec<&'a str> {
    let mut table = JavaHashOrder::new();
    for key in keys {
        add(&mut table, string_hash_code(key), key);
    }
    table.iter().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tp(topic: &str, partition: u32) -> TopicPartition {
        TopicPartition::new(topic, partition)
    }

    #[test]
    fn consumer3_comes_first_because_spreading_flips_the_low_bits() {
        // The hash codes of consumer1..3 end in 0xfb, 0xfc, 0xfd; folding in the high half (0xe6e7)
        // flips the low bits, so they land in buckets 12, 11 and 10. This is why consumer2 is met
        // before consumer1 and keeps its extra partition in Kafka's
        // testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers.
        assert_eq!(
            strings_in_hash_order(["consumer1", "consumer2", "consumer3"]),
            vec!["consumer3", "consumer2", "consumer1"]
        );
    }

    #[test]
    fn topic1_comes_before_topic2() {
        assert_eq!(strings_in_hash_order(["topic2", "topic1"]), vec!["topic1", "topic2"]);
    }

    #[test]
    fn topic_partition_hash_code_matches_java() {
        // Values printed by Java 17: new TopicPartition("topic", 0).hashCode() and friends.
        assert_eq!(topic_partition_hash_code(&tp("topic", 0)), 110_547_184);
        assert_eq!(topic_partition_hash_code(&tp("topic", 1)), 110_547_215);
        assert_eq!(topic_partition_hash_code(&tp("t", 7)), 1_294);
    }

    #[test]
    fn orders_match_a_java_program() {
        // Orders printed by Java 17 for the same insertions into a fresh Java hash map of strings,
        // covering two resizes (16 -> 32 -> 64) and colliding chains.
        let keys: Vec<String> = (0..40).map(|i| format!("c{i:02}")).collect();
        let order = strings_in_hash_order(keys.iter().map(String::as_str));
        assert_eq!(order.join(","), JAVA_ORDER_40_MEMBERS);
        let aa_bb = strings_in_hash_order(["BB", "x", "Aa", "AaAa", "BBBB", "AaBB", "BBAa"]);
        assert_eq!(aa_bb, vec!["BB", "Aa", "x", "AaAa", "BBBB", "AaBB", "BBAa"]);
    }

    #[test]
    fn a_ninth_colliding_key_doubles_a_small_table() {
        // Nine keys with equal hash codes: Java resizes 16 -> 32 when the ninth joins the chain.
        let mut table = JavaHashOrder::new();
        for i in 0..9u32 {
            table.insert(5, i);
        }
        assert_eq!(table.capacity(), 32);
        assert_eq!(table.iter().copied().collect::<Vec<_>>(), (0..9).collect::<Vec<_>>());
    }

    #[test]
    fn compute_if_absent_puts_a_colliding_key_in_front() {
        // Orders printed by Java 17 for keys added with computeIfAbsent, as Kafka's
        // CollectionUtils.groupPartitionsByTopic adds topics: "topic1" and "\u{FB00}" share bucket 0 of
        // 16, and the later one comes first, where put keeps them in the order they came.
        assert_eq!(strings_in_compute_if_absent_order(["topic1", "\u{FB00}"]), vec!["\u{FB00}", "topic1"]);
        assert_eq!(strings_in_hash_order(["topic1", "\u{FB00}"]), vec!["topic1", "\u{FB00}"]);
        let aa_bb = strings_in_compute_if_absent_order(["BB", "x", "Aa", "AaAa", "BBBB", "AaBB", "BBAa"]);
        assert_eq!(aa_bb, vec!["Aa", "BB", "x", "BBAa", "AaBB", "BBBB", "AaAa"]);
    }

    #[test]
    fn compute_if_absent_doubles_a_full_table_on_the_next_call() {
        // Java 17: thirteen keys leave 16 buckets past 3/4 full without a resize; the next
        // computeIfAbsent, even for a key already there, doubles the table first and so reorders them.
        let keys: Vec<String> = (0..13).map(|i| format!("t{i}")).collect();
        let order = strings_in_compute_if_absent_order(keys.iter().map(String::as_str));
        assert_eq!(order.join(" "), "t4 t5 t10 t6 t7 t12 t8 t11 t9 t0 t1 t2 t3");
        let order = strings_in_compute_if_absent_order(keys.iter().map(String::as_str).chain(["t0"]));
        assert_eq!(order.join(" "), "t4 t5 t6 t7 t8 t9 t10 t12 t11 t0 t1 t2 t3");
    }

    #[test]
    fn compute_if_absent_doubles_a_small_table_when_a_chain_reaches_eight() {
        // The eight strings of three "Aa"/"BB" pairs share one hash code. Java 17 keeps seven in one
        // chain of a 16-bucket table; the eighth asks for a tree, so the table doubles instead. Each
        // came in at the front, so the chain reads back to front.
        let keys = ["AaAaAa", "AaAaBB", "AaBBAa", "AaBBBB", "BBAaAa", "BBAaBB", "BBBBAa", "BBBBBB"];
        let mut table = JavaHashOrder::new();
        for key in &keys[..7] {
            table.compute_if_absent(string_hash_code(key), *key);
        }
        assert_eq!(table.capacity(), 16);
        table.compute_if_absent(string_hash_code(keys[7]), keys[7]);
        assert_eq!(table.capacity(), 32);
        assert!(!table.compute_if_absent(string_hash_code(keys[0]), keys[0]));
        let back_to_front: Vec<&str> = keys.iter().rev().copied().collect();
        assert_eq!(table.iter().copied().collect::<Vec<_>>(), back_to_front);
    }

    #[test]
    fn removal_keeps_the_other_keys_in_place() {
        let mut set = JavaHashOrder::new();
        for p in 0..4 {
            let partition = tp("topic", p);
            set.insert(topic_partition_hash_code(&partition), partition);
        }
        let first = set.first().cloned();
        assert!(set.remove(topic_partition_hash_code(&tp("topic", 2)), &tp("topic", 2)));
        assert!(!set.contains(topic_partition_hash_code(&tp("topic", 2)), &tp("topic", 2)));
        assert_eq!(set.len(), 3);
        assert_eq!(set.first().cloned(), first);
    }

    #[test]
    fn a_topic_partition_set_after_removals_matches_java() {
        // Java 17: a Java hash set of TopicPartitions (same hashCode) after these adds and removes printed
        // exactly this order; a removed key that comes back goes to the end of its chain.
        let mut set = JavaHashOrder::new();
        let add = |set: &mut JavaHashOrder<TopicPartition>, p: TopicPartition| {
            set.insert(topic_partition_hash_code(&p), p);
        };
        for i in 0..20 {
            add(&mut set, tp(if i % 2 == 0 { "orders" } else { "payments" }, i));
        }
        set.remove(topic_partition_hash_code(&tp("payments", 3)), &tp("payments", 3));
        set.remove(topic_partition_hash_code(&tp("payments", 7)), &tp("payments", 7));
        add(&mut set, tp("payments", 3));
        let order: Vec<String> = set.iter().map(ToString::to_string).collect();
        assert_eq!(
            order.join(", "),
            "orders-8, payments-3, payments-5, orders-10, orders-12, payments-1, orders-14, payments-11, \
             orders-16, payments-13, orders-18, payments-9, payments-19, payments-15, payments-17, orders-0, \
             orders-2, orders-4, orders-6"
        );
    }

    #[test]
    fn rack_names_come_out_in_bucket_order_not_name_order() {
        // Printed by Java 17 for a Java hash map filled with these rack names in this order.
        let keys = ["rack-b", "rack-a", "zone1", "us-east-1a", "us-east-1b", "r3", "r1", "r2"];
        assert_eq!(strings_in_hash_order(keys), ["r2", "rack-b", "r3", "rack-a", "us-east-1a", "us-east-1b", "zone1", "r1"]);
    }

    #[test]
    fn forty_racks_grow_the_table_twice_and_follow_the_larger_buckets() {
        // Printed by Java 17, as above: the table doubles to 32 and then to 64 buckets.
        let names: Vec<String> = (0..40).map(|i| format!("rack{}", i * 7 % 40)).collect();
        let expected = "rack3 rack4 rack5 rack6 rack0 rack1 rack2 rack28 rack27 rack29 rack24 rack23 rack26 rack25 \
                        rack20 rack22 rack21 rack39 rack17 rack16 rack38 rack19 rack18 rack7 rack35 rack13 rack34 \
                        rack8 rack12 rack9 rack37 rack15 rack14 rack36 rack31 rack30 rack11 rack33 rack32 rack10";
        assert_eq!(strings_in_hash_order(names.iter().map(String::as_str)).join(" "), expected);
    }

    const JAVA_ORDER_40_MEMBERS: &str = "c31,c30,c11,c33,c10,c32,c13,c35,c12,c34,c15,c37,c14,c36,c17,c39,c16,\
        c38,c19,c18,c20,c00,c22,c21,c02,c24,c01,c23,c04,c26,c03,c25,c06,c28,c05,c27,c08,c07,c29,c09";
}
