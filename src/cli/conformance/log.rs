//! Conformance section `log`: segment rolling and retention, with sizes written in terms of `S`, the
//! size of one identical single-record batch (Kafka's tests write `5*S`, `10*(S-1)`, `5S`).

use super::{CaseOutcome, cases};
use crate::kafka::log::retention::{self, LogFacts, RetentionPolicy, SegmentFacts};
use crate::kafka::log::{Log, LogConfig, Segment};
use crate::kafka::record::{Batch, BatchBuilder, ProducerStamp, RecordId, Value as RecordValue};
use crate::sim::{Rng, Tick};
use serde_json::Value;
use std::rc::Rc;

/// A single-record batch with value "test" and no key, as in UnifiedLogTest: 72 bytes.
fn test_batch(base_offset: u64, timestamp_ms: u64) -> Batch {
    let mut b = BatchBuilder::new();
    b.push(RecordId { producer: 0, sequence: base_offset }, timestamp_ms, None, RecordValue::Text("test".into()), Rc::from([]));
    let (records, size_bytes, max_timestamp_ms) = b.finish();
    Batch {
        base_offset,
        partition_leader_epoch: 0,
        producer: ProducerStamp::NONE,
        transactional: false,
        control: None,
        max_timestamp_ms,
        size_bytes,
        records,
    }
}

pub fn check(doc: &Value) -> Vec<CaseOutcome> {
    let s = u64::from(test_batch(0, 0).size_bytes);
    let mut out = Vec::new();
    for (name, case) in cases(doc, "log") {
        if case.get("appends").is_some() {
            out.push(check_roll(name, case, s));
        } else if case.get("segments_bytes").is_some() {
            out.push(check_retention(name, case, s));
        } else {
            out.push(CaseOutcome::skip(name, "states a rule with no appends or segments to run it on"));
        }
    }
    out
}

fn check_roll(name: String, case: &Value, s: u64) -> CaseOutcome {
    let (Some(segment_bytes), Some(appends)) = (size(&case["segment_bytes"], s), case["appends"].as_u64()) else {
        return CaseOutcome::fail(name, "needs segment_bytes (a size in S) and appends");
    };
    // Kafka's tests give the records one timestamp (`singletonRecords(..., timestamp = 10)`).
    let timestamp = case["record_timestamp_ms"].as_u64().or(case["timestamp_ms"].as_u64()).unwrap_or(1000);
    let mut log = Log::new(LogConfig { segment_bytes, ..LogConfig::default() }, Tick(0), Rng::new(0));
    for _ in 0..appends {
        let batch = test_batch(log.log_end_offset(), timestamp);
        log.append(batch, Tick(1000));
    }
    let bases: Vec<u64> = log.segments().map(Segment::base_offset).collect();
    let rolled = if let Some(expected) = case["expected_base_offsets"].as_array() {
        let expected: Vec<u64> = expected.iter().filter_map(Value::as_u64).collect();
        Some(CaseOutcome::compare(name.clone(), &bases, &expected))
    } else {
        case["expected_segments_after_append"]
            .as_u64()
            .or(case["expected_segments"].as_u64())
            .map(|expected| CaseOutcome::compare(name.clone(), &(bases.len() as u64), &expected))
    };
    match (rolled, case["expected_segments_remaining"].as_u64()) {
        (Some(outcome), _) if !outcome.passed => outcome,
        (_, Some(expected)) => retention_after_appends(name, case, s, log, expected),
        (Some(outcome), None) => outcome,
        (None, None) => CaseOutcome::fail(name, "needs expected_base_offsets, expected_segments or expected_segments_remaining"),
    }
}

/// A case that appends and then runs retention once, as UnifiedLogTest's shouldDelete* tests do: the
/// high watermark moves to the log end first (or to `hw`), the log start to `log_start_offset` if given.
fn retention_after_appends(name: String, case: &Value, s: u64, mut log: Log, expected: u64) -> CaseOutcome {
    let leo = log.log_end_offset();
    log.set_high_watermark(case["hw"].as_u64().unwrap_or(leo));
    if let Some(start) = case["log_start_offset"].as_u64() {
        log.maybe_increment_log_start_offset(start);
    }
    let policy = retention_policy(case, s);
    let config = LogConfig {
        retention_ms: policy.retention_ms,
        retention_bytes: policy.retention_bytes,
        cleanup_delete: policy.delete,
        ..*log.config()
    };
    log.set_config(config);
    log.delete_old_segments(Tick(case["now_ms"].as_u64().unwrap_or(1000)));
    CaseOutcome::compare(name, &(log.segments().len() as u64), &expected)
}

fn check_retention(name: String, case: &Value, s: u64) -> CaseOutcome {
    let Some(sizes) = case["segments_bytes"].as_array().and_then(|a| a.iter().map(|v| size(v, s)).collect::<Option<Vec<u64>>>())
    else {
        return CaseOutcome::fail(name, "segments_bytes must list sizes in S");
    };
    let mut facts = Vec::new();
    let mut offset = 0;
    for (i, &bytes) in sizes.iter().enumerate() {
        let timestamp = case["segment_largest_timestamps_ms"].get(i).and_then(Value::as_u64).unwrap_or(0);
        facts.push(SegmentFacts { base_offset: offset, size_bytes: bytes, largest_timestamp_ms: timestamp });
        offset += bytes / s;
    }
    let leo = offset;
    let hw = match &case["hw"] {
        Value::String(text) if text == "LEO" => leo,
        Value::Number(n) => n.as_u64().unwrap_or(leo),
        _ => leo,
    };
    let policy = retention_policy(case, s);
    let log = LogFacts {
        log_start_offset: case["log_start_offset"].as_u64().unwrap_or(0),
        log_end_offset: leo,
        high_watermark: hw,
        now_ms: case["now_ms"].as_u64().unwrap_or(0),
    };
    let deleted = retention::plan(&facts, log, policy).len();
    // Deleting every segment leaves the new empty active segment Kafka rolls first.
    let remaining = if deleted == facts.len() { 1 } else { (facts.len() - deleted) as u64 };
    match case["expected_segments_remaining"].as_u64() {
        Some(expected) => CaseOutcome::compare(name, &remaining, &expected),
        None => CaseOutcome::fail(name, "needs expected_segments_remaining"),
    }
}

/// The case's `retention_ms`, `retention_bytes` (a size in S) and `cleanup_policy`; what a case leaves
/// out keeps Kafka's "keep forever" (-1) and the delete policy.
fn retention_policy(case: &Value, s: u64) -> RetentionPolicy {
    RetentionPolicy {
        retention_ms: case["retention_ms"].as_i64().unwrap_or(-1),
        retention_bytes: match &case["retention_bytes"] {
            Value::Null => -1,
            v => size(v, s).map_or(-1, |b| b as i64),
        },
        delete: case["cleanup_policy"].as_str().is_none_or(|p| p.contains("delete")),
    }
}

/// A size such as `5*S`, `5S`, `5S(active)`, `10*(S-1)` or a plain number of bytes.
fn size(value: &Value, s: u64) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(text) => {
            let text = text.replace("(active)", "");
            let mut parser = SizeExpr { chars: text.chars().filter(|c| !c.is_whitespace()).collect(), at: 0, s };
            let v = parser.expr()?;
            (parser.at == parser.chars.len() && v >= 0).then_some(v as u64)
        }
        _ => None,
    }
}

/// expr = term (('+'|'-') term)*; term = factor ('*'? factor)*; factor = number | S | '(' expr ')'.
struct SizeExpr {
    chars: Vec<char>,
    at: usize,
    s: u64,
}

impl SizeExpr {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn expr(&mut self) -> Option<i64> {
        let mut v = self.term()?;
        while let Some(op @ ('+' | '-')) = self.peek() {
            self.at += 1;
            let rhs = self.term()?;
            v = if op == '+' { v.checked_add(rhs)? } else { v.checked_sub(rhs)? };
        }
        Some(v)
    }

    fn term(&mut self) -> Option<i64> {
        let mut v = self.factor()?;
        loop {
            match self.peek() {
                Some('*') => {
                    self.at += 1;
                    v = v.checked_mul(self.factor()?)?;
                }
                // Implicit multiplication: 5S, 2(S-1).
                Some('S' | '(') => v = v.checked_mul(self.factor()?)?,
                _ => return Some(v),
            }
        }
    }

    fn factor(&mut self) -> Option<i64> {
        match self.peek()? {
            'S' => {
                self.at += 1;
                i64::try_from(self.s).ok()
            }
            '(' => {
                self.at += 1;
                let v = self.expr()?;
                (self.peek() == Some(')')).then(|| self.at += 1)?;
                Some(v)
            }
            c if c.is_ascii_digit() => {
                let start = self.at;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.at += 1;
                }
                self.chars[start..self.at].iter().collect::<String>().parse().ok()
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_that_appends_then_runs_retention_counts_the_segments_retention_leaves() {
        // UnifiedLogTest#shouldDeleteSizeBasedSegments written as one case: three 5S segments, 10S kept.
        let doc = serde_json::json!({"log": [
            {"name": "size", "segment_bytes": "5*S", "appends": 15, "expected_segments_after_append": 3,
             "retention_bytes": "10S", "expected_segments_remaining": 2},
            // shouldDeleteTimeBasedSegmentsReadyToBeDeleted: records at 10 ms, 10 s retention, checked later.
            {"name": "time", "segment_bytes": "15*S", "appends": 15, "record_timestamp_ms": 10,
             "retention_ms": 10000, "now_ms": 20000, "expected_segments_remaining": 1},
            {"name": "compact", "segment_bytes": "5*S", "appends": 15, "retention_bytes": 0,
             "cleanup_policy": "compact", "expected_segments_remaining": 3}
        ]});
        let outcomes = check(&doc);
        assert_eq!(outcomes.len(), 3);
        assert!(outcomes.iter().all(|o| o.passed), "{outcomes:#?}");
        let wrong = serde_json::json!({"log": [{"segment_bytes": "5*S", "appends": 15, "retention_bytes": "10S", "expected_segments_remaining": 3}]});
        assert!(!check(&wrong)[0].passed);
    }

    #[test]
    fn sizes_in_s_evaluate() {
        let s = 72;
        assert_eq!(size(&Value::from("5*S"), s), Some(360));
        assert_eq!(size(&Value::from("5S(active)"), s), Some(360));
        assert_eq!(size(&Value::from("10*(S-1)"), s), Some(710));
        assert_eq!(size(&Value::from("S"), s), Some(72));
        assert_eq!(size(&Value::from("1024"), s), Some(1024));
        assert_eq!(size(&Value::from("5*Q"), s), None);
        assert_eq!(size(&Value::from("(S"), s), None);
    }
}
