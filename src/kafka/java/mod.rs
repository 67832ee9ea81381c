//! Java semantics that Kafka's results depend on: string order, `String.hashCode`, and (in
//! [`hash_order`]) the order Java's hash maps and sets iterate in.

use std::cmp::Ordering;

pub mod hash_order;

/// Java's `String.compareTo`: lexicographic over UTF-16 code units. It differs from Rust's byte order
/// only when a supplementary character (4 UTF-8 bytes) meets one in U+E000..=U+FFFF.
pub fn compare_strings(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Java's `String.hashCode`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping at 32 bits.
pub fn string_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_string_order_is_utf16_order() {
        assert_eq!(compare_strings("consumer10", "consumer2"), Ordering::Less);
        // U+FFFD is one UTF-16 unit 0xFFFD; U+1F642 is the surrogate pair D83D DE42, which sorts first.
        assert_eq!(compare_strings("\u{1F642}", "\u{FFFD}"), Ordering::Less);
        assert_eq!("\u{1F642}".cmp("\u{FFFD}"), Ordering::Greater);
    }

    #[test]
    fn string_hash_code_matches_java() {
        assert_eq!(string_hash_code(""), 0);
        assert_eq!(string_hash_code("a"), 97);
        assert_eq!(string_hash_code("consumer1"), -421_004_549);
        assert_eq!(string_hash_code("hello world"), 1_794_106_052);
    }
}
