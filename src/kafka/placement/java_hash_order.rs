//! The order in which a Java hash map hands back its keys.
//!
//! `StripedReplicaPlacer` draws one random offset per rack while walking its rack map, so which rack
//! gets which draw depends on that map's iteration order. The order is deterministic: keys come out
//! bucket by bucket, and within a bucket in insertion order. The bucket is the spread hash code
//! `h ^ (h >>> 16)` masked by the table size, and the table size is what the insertions grew it to.

/// A Java hash map's default table size and the size below which a long bucket grows the table
/// instead of becoming a tree (`DEFAULT_INITIAL_CAPACITY` and `MIN_TREEIFY_CAPACITY`).
const INITIAL_CAPACITY: usize = 16;
const MIN_TREEIFY_CAPACITY: usize = 64;
/// A bucket that reaches this many entries asks for a tree (`TREEIFY_THRESHOLD` + 1 with the new one).
const TREEIFY_BUCKET_LENGTH: usize = 9;

/// The Java hash map's `hash(key)`: the high half of the hash code is folded into the low half.
fn spread(hash_code: i32) -> u32 {
    let h = hash_code as u32;
    h ^ (h >> 16)
}

/// Given the hash codes of distinct keys in insertion order, returns the insertion indexes in the
/// order a Java hash map built by those insertions iterates them.
///
/// The table starts at 16 buckets and doubles whenever the size passes three quarters of it, or when
/// a bucket reaches nine entries while the table is smaller than 64. Doubling splits each bucket
/// without reordering it, so the final order is simply: by final bucket, then by insertion.
/// A bucket that would become a tree (nine colliding keys in a table of 64 or more) is still ordered
/// by insertion here; Java reorders such a bucket, which takes nine keys sharing their low six hash
/// bits, and rack names practically never do.
pub fn iteration_order(hash_codes: &[i32]) -> Vec<usize> {
    let spread_codes: Vec<u32> = hash_codes.iter().map(|&h| spread(h)).collect();
    let mut capacity = INITIAL_CAPACITY;
    for inserted in 0..spread_codes.len() {
        let bucket = |capacity: usize, code: u32| code as usize & (capacity - 1);
        let new_bucket = bucket(capacity, spread_codes[inserted]);
        let bucket_length =
            1 + spread_codes[..inserted].iter().filter(|&&code| bucket(capacity, code) == new_bucket).count();
        if bucket_length >= TREEIFY_BUCKET_LENGTH && capacity < MIN_TREEIFY_CAPACITY {
            capacity *= 2;
        }
        // Java resizes when the size exceeds the threshold, which is always three quarters of the table.
        if inserted + 1 > capacity / 4 * 3 {
            capacity *= 2;
        }
    }
    let mut order: Vec<usize> = (0..spread_codes.len()).collect();
    // A stable sort keeps insertion order inside each bucket.
    crate::sim::sorted::sort_by(&mut order, |&a, &b| (spread_codes[a] as usize & (capacity - 1)).cmp(&(spread_codes[b] as usize & (capacity - 1))));
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::java::string_hash_code;

    fn java_order<'a>(keys: &[&'a str]) -> Vec<&'a str> {
        let codes: Vec<i32> = keys.iter().map(|k| string_hash_code(k)).collect();
        iteration_order(&codes).into_iter().map(|i| keys[i]).collect()
    }

    // Expected orders were printed by a Java 17 program of our own that fills a Java hash map with the
    // same keys in the same order and prints `keySet()`.

    #[test]
    fn rack_names_come_out_in_bucket_order_not_name_order() {
        let keys = ["rack-b", "rack-a", "zone1", "us-east-1a", "us-east-1b", "r3", "r1", "r2"];
        assert_eq!(java_order(&keys), ["r2", "rack-b", "r3", "rack-a", "us-east-1a", "us-east-1b", "zone1", "r1"]);
    }

    #[test]
    fn forty_racks_grow_the_table_twice_and_follow_the_larger_buckets() {
        let names: Vec<String> = (0..40).map(|i| format!("rack{}", i * 7 % 40)).collect();
        let keys: Vec<&str> = names.iter().map(String::as_str).collect();
        let expected = "rack3 rack4 rack5 rack6 rack0 rack1 rack2 rack28 rack27 rack29 rack24 rack23 rack26 rack25 \
                        rack20 rack22 rack21 rack39 rack17 rack16 rack38 rack19 rack18 rack7 rack35 rack13 rack34 \
                        rack8 rack12 rack9 rack37 rack15 rack14 rack36 rack31 rack30 rack11 rack33 rack32 rack10";
        assert_eq!(java_order(&keys).join(" "), expected);
    }
}
