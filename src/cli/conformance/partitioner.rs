//! Conformance sections `murmur2`, `to_positive` and `partition`.

use super::{CaseOutcome, cases, hex_bytes};
use crate::kafka::partitioner::{murmur2, partition_for_key, to_positive};
use serde_json::Value;

pub fn check(doc: &Value) -> Vec<CaseOutcome> {
    let mut out = Vec::new();
    for (name, case) in cases(doc, "murmur2") {
        out.push(match (key_bytes(case), case["murmur2"].as_i64()) {
            (Some(bytes), Some(expected)) => CaseOutcome::compare(name, &i64::from(murmur2(&bytes)), &expected),
            _ => CaseOutcome::fail(name, "needs key_hex (or key_utf8) and murmur2"),
        });
    }
    for (name, case) in cases(doc, "to_positive") {
        out.push(match (case["input"].as_i64().and_then(|i| i32::try_from(i).ok()), case["output"].as_i64()) {
            (Some(input), Some(expected)) => CaseOutcome::compare(name, &i64::from(to_positive(input)), &expected),
            _ => CaseOutcome::fail(name, "needs a 32-bit input and an output"),
        });
    }
    for (name, case) in cases(doc, "partition") {
        let Some(bytes) = key_bytes(case) else {
            out.push(CaseOutcome::fail(name, "needs key_hex (or key_utf8)"));
            continue;
        };
        if let Some(expected) = case["murmur2"].as_i64() {
            out.push(CaseOutcome::compare(format!("{name} murmur2"), &i64::from(murmur2(&bytes)), &expected));
        }
        if let Some(expected) = case["to_positive"].as_i64() {
            let got = i64::from(to_positive(murmur2(&bytes)));
            out.push(CaseOutcome::compare(format!("{name} to_positive"), &got, &expected));
        }
        let Some(table) = case["partition_by_num_partitions"].as_object() else { continue };
        for (n, expected) in table {
            let case_name = format!("{name} N={n}");
            out.push(match (n.parse::<u32>(), expected.as_u64()) {
                (Ok(n), Some(expected)) if n > 0 => {
                    CaseOutcome::compare(case_name, &u64::from(partition_for_key(&bytes, n)), &expected)
                }
                _ => CaseOutcome::fail(case_name, "partition counts must be positive integers"),
            });
        }
    }
    out
}

/// The key's exact bytes: `key_hex` when present, else the UTF-8 of `key_utf8`.
fn key_bytes(case: &Value) -> Option<Vec<u8>> {
    match case["key_hex"].as_str() {
        Some(hex) => hex_bytes(hex),
        None => case["key_utf8"].as_str().map(|k| k.as_bytes().to_vec()),
    }
}
