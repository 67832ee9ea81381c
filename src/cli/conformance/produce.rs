//! Conformance section `produce_acks`: what a producer sees when it writes with `acks` 0, 1 or all
//! to a partition whose ISR has shrunk to `isr_size` replicas, under `min.insync.replicas`.
//!
//! Each case runs in the real engine, not in a table: a cluster with one broker per replica, the
//! followers beyond `isr_size` killed until the controller has fenced them out of the ISR, then one
//! record produced. What the engine did (the producer's answer, the leader's log end offset and high
//! watermark a few seconds later) is compared with what the case expects:
//! - structured fields, when a case has them: `expected_error` (a Kafka error name, or null for
//!   none), `expected_offset` (-1 when the producer never hears back), `expected_leo`, `expected_hw`;
//! - otherwise the claims its `result` text makes, phrase by phrase: a Kafka error name, "no
//!   response", "nothing written", "appended", "acked", "HW does NOT advance", "HW advances".
//!
//! A case whose text makes no claim this runner can read fails as unreadable; it never passes by
//! default.

use super::CaseOutcome;
use crate::kafka::ids::PartitionIndex;
use crate::kafka::protocol::KafkaError;
use crate::kafka::world::EventKind;
use crate::scenario::{ScenarioRun, parse_scenario_as};
use serde_json::Value;

/// The followers are killed at 1 s; by 20 s the controller has fenced them (broker.session.timeout.ms
/// is 9 s) and the ISR has shrunk, so the record is produced then.
const KILL_AT_MS: u64 = 1_000;
const PRODUCE_AT_MS: u64 = 20_000;
/// Long enough for followers to fetch and the high watermark to move, shorter than
/// request.timeout.ms (30 s), so a write that waits for a dead follower is still waiting.
const SETTLE_MS: u64 = 10_000;

pub fn check(doc: &Value) -> Vec<CaseOutcome> {
    super::cases(doc, "produce_acks")
        .into_iter()
        .map(|(name, case)| {
            let label = match case.get("acks") {
                Some(Value::String(acks)) if case.get("name").is_none() => format!("{name} acks={acks}"),
                Some(acks) if case.get("name").is_none() => format!("{name} acks={acks}"),
                _ => name,
            };
            CaseOutcome::of(label, check_case(case))
        })
        .collect()
}

/// The case's inputs.
struct Setup {
    /// -1 for all, as Kafka writes it.
    acks: i64,
    isr_size: u32,
    min_insync_replicas: u32,
    replication_factor: u32,
}

fn setup(case: &Value) -> Result<Setup, String> {
    let acks = match case.get("acks") {
        Some(Value::String(s)) if s == "all" => -1,
        Some(Value::String(s)) => s.parse::<i64>().map_err(|_| format!("acks '{s}' is not 0, 1, -1 or \"all\""))?,
        Some(v) => v.as_i64().ok_or(format!("acks {v} is not 0, 1, -1 or \"all\""))?,
        None => return Err("missing `acks` (0, 1, -1 or \"all\")".into()),
    };
    if ![0, 1, -1].contains(&acks) {
        return Err(format!("acks {acks} is not 0, 1, -1 or \"all\""));
    }
    let count = |field: &str| -> Result<Option<u32>, String> {
        match case.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (1..=100).contains(n))
                .map(Some)
                .ok_or(format!("`{field}` should be a whole number from 1 to 100, got {v}")),
        }
    };
    let isr_size = count("isr_size")?.ok_or("missing `isr_size` (the leader counts as one)")?;
    let min_insync_replicas = count("min_insync_replicas")?.or(count("min.insync.replicas")?).unwrap_or(1);
    // Without a replication factor, the partition has just enough replicas for the ISR and for
    // min.insync.replicas to be reachable: the ISR is smaller than that only because followers died.
    let replication_factor = count("replication_factor")?.unwrap_or(isr_size.max(min_insync_replicas));
    if isr_size > replication_factor {
        return Err(format!("isr_size {isr_size} is larger than replication_factor {replication_factor}"));
    }
    Ok(Setup { acks, isr_size, min_insync_replicas, replication_factor })
}

/// What the engine did with the one record.
#[derive(Debug, Default)]
struct Observed {
    /// The producer's first answer: acked at an offset, failed with an error, or sent with acks=0.
    acked_offset: Option<u64>,
    error: Option<KafkaError>,
    no_response: bool,
    log_end_offset: u64,
    high_watermark: u64,
}

impl Observed {
    /// The offset the producer reports: -1 when it never hears back (acks=0) or failed.
    fn reported_offset(&self) -> i64 {
        self.acked_offset.and_then(|o| i64::try_from(o).ok()).unwrap_or(-1)
    }
}

/// Builds the case's cluster as a scenario file, so every input goes through the same checks as a
/// learner's scenario.
fn scenario_text(s: &Setup) -> String {
    let brokers: Vec<String> = (1..=s.replication_factor).map(|id| format!("{{ id = {id} }}")).collect();
    let replicas: Vec<String> = (1..=s.replication_factor).map(|id| id.to_string()).collect();
    let acks = if s.acks == -1 { "\"all\"".to_owned() } else { format!("\"{}\"", s.acks) };
    let mut text = format!(
        "version = 1\nid = \"produce-acks\"\ntitle = \"produce_acks case\"\nsection = \"Replication\"\nsummary = \"One record under a shrunken ISR\"\nseed = 1\nduration_ms = {duration}\n\n\
         [cluster]\nbrokers = [{brokers}]\n\n\
         [[cluster.topics]]\nname = \"t\"\npartitions = 1\nreplication_factor = {rf}\nassignment = [[{replicas}]]\n\
         config = {{ \"min.insync.replicas\" = {min} }}\n\n\
         [[cluster.producers]]\nname = \"p\"\ntopic = \"t\"\nconfig = {{ acks = {acks} }}\n",
        duration = PRODUCE_AT_MS + SETTLE_MS,
        brokers = brokers.join(", "),
        rf = s.replication_factor,
        replicas = replicas.join(", "),
        min = s.min_insync_replicas,
    );
    // Broker 1 leads; the followers at the end of the list die.
    for broker in s.isr_size + 1..=s.replication_factor {
        text.push_str(&format!("\n[[actions]]\nat_ms = {KILL_AT_MS}\naction = \"kill_broker\"\nbroker = {broker}\n"));
    }
    text.push_str(&format!(
        "\n[[actions]]\nat_ms = {PRODUCE_AT_MS}\naction = \"produce\"\nproducer = \"p\"\nkey = \"k\"\nvalue = \"v\"\n"
    ));
    text
}

fn observe(s: &Setup) -> Result<Observed, String> {
    let scenario = parse_scenario_as(&scenario_text(s), crate::scenario::Format::Toml)
        .map_err(|problems| format!("the engine refused the case's cluster: {problems}"))?;
    let mut run = ScenarioRun::start(scenario).map_err(|problems| format!("the engine refused the case's cluster: {problems}"))?;
    run.advance_to(PRODUCE_AT_MS - 1, |_| {});
    let partition = PartitionIndex(0);
    let isr = run.world().view().metadata().partition(partition).isr.len();
    if isr != s.isr_size as usize {
        return Err(format!("setting up: the ISR had {isr} replicas before the write, not {}", s.isr_size));
    }
    let mut observed = Observed::default();
    let mut answered = false;
    run.advance_to(PRODUCE_AT_MS + SETTLE_MS, |event| {
        if answered {
            return;
        }
        match &event.kind {
            EventKind::ProduceAcked { base_offset, .. } => observed.acked_offset = Some(*base_offset),
            EventKind::ProduceFailed { error, .. } => observed.error = Some(*error),
            EventKind::ProduceSentNoAck { .. } => observed.no_response = true,
            _ => return,
        }
        answered = true;
    });
    let view = run.world().view();
    let log = view.log(crate::kafka::BrokerId(1), partition).ok_or("the leader (broker 1) has no log for the partition")?;
    observed.log_end_offset = log.log_end_offset();
    observed.high_watermark = log.high_watermark();
    Ok(observed)
}

/// What a case says should happen; `None` where it says nothing.
#[derive(Debug, Default, PartialEq)]
struct Claims {
    error: Option<Option<KafkaError>>,
    no_response: Option<bool>,
    acked: Option<bool>,
    written: Option<bool>,
    hw_advanced: Option<bool>,
    offset: Option<i64>,
    log_end_offset: Option<u64>,
    high_watermark: Option<u64>,
}

impl Claims {
    fn is_empty(&self) -> bool {
        *self == Claims::default()
    }
}

/// The structured `expected_*` fields.
fn structured_claims(case: &Value) -> Result<Claims, String> {
    let mut claims = Claims::default();
    match case.get("expected_error") {
        None => {}
        Some(Value::Null) => claims.error = Some(None),
        Some(Value::String(name)) if name.eq_ignore_ascii_case("none") => claims.error = Some(None),
        Some(Value::String(name)) => {
            let error = KafkaError::from_kafka_name(name).ok_or(format!("`expected_error` '{name}' is not an error this engine knows"))?;
            claims.error = Some(Some(error));
        }
        Some(other) => return Err(format!("`expected_error` should be an error name or null, got {other}")),
    }
    let int = |field: &str| case.get(field).map(|v| v.as_i64().ok_or(format!("`{field}` should be an integer, got {v}"))).transpose();
    claims.offset = int("expected_offset")?;
    claims.log_end_offset = int("expected_leo")?.or(int("expected_log_end_offset")?).map(|n| n.max(0) as u64);
    claims.high_watermark = int("expected_hw")?.or(int("expected_high_watermark")?).map(|n| n.max(0) as u64);
    Ok(claims)
}

/// The claims of a `result` text such as "NOT_ENOUGH_REPLICAS (checked before append, nothing
/// written)" or "appended and acked immediately; HW does NOT advance while ISR < min.insync.replicas".
fn text_claims(text: &str) -> Claims {
    let lower = text.to_ascii_lowercase();
    let has = |phrases: &[&str]| phrases.iter().any(|p| lower.contains(p));
    let mut claims = Claims::default();
    // Error names are written as Kafka spells them; other capitals (KAFKA-15583, ISR, HW) are not errors.
    let named = text
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .filter(|word| word.contains('_'))
        .find_map(KafkaError::from_kafka_name);
    if let Some(error) = named {
        claims.error = Some(Some(error));
    }
    if has(&["no response", "never answered", "no acknowledgement"]) {
        claims.no_response = Some(true);
        claims.acked = Some(false);
    }
    if has(&["not acked", "never acked", "not acknowledged", "never acknowledged"]) {
        claims.acked = Some(false);
    } else if has(&["acked", "acknowledged"]) && claims.no_response.is_none() {
        claims.acked = Some(true);
        claims.error.get_or_insert(None);
    }
    if has(&["nothing written", "not written", "not appended", "nothing appended", "nothing is written"]) {
        claims.written = Some(false);
    } else if has(&["appended", "written"]) {
        claims.written = Some(true);
    }
    if has(&["hw does not advance", "hw doesn't advance", "hw stays", "hw does not move", "high watermark does not advance"]) {
        claims.hw_advanced = Some(false);
    } else if has(&["hw advances", "high watermark advances", "hw moves"]) {
        claims.hw_advanced = Some(true);
    }
    if has(&["offsets reported as -1", "offset reported as -1", "offset -1"]) {
        claims.offset = Some(-1);
    }
    claims
}

fn check_case(case: &Value) -> Result<(), String> {
    let setup = setup(case)?;
    let mut claims = structured_claims(case)?;
    if claims.is_empty() {
        let text = case.get("result").or(case.get("expected")).and_then(Value::as_str).unwrap_or("");
        claims = text_claims(text);
        if claims.is_empty() {
            return Err(format!("cannot read an expected outcome from `result` '{text}' (nor from expected_error, expected_offset, expected_leo or expected_hw)"));
        }
    }
    let got = observe(&setup)?;
    compare(&claims, &got)
}

fn compare(claims: &Claims, got: &Observed) -> Result<(), String> {
    let error_text = |e: Option<KafkaError>| e.map_or("no error", KafkaError::kafka_name);
    let answer = if got.no_response {
        "sent without waiting for an answer (acks=0)".to_owned()
    } else if let Some(offset) = got.acked_offset {
        format!("acked at offset {offset}")
    } else if let Some(error) = got.error {
        format!("failed with {}", error.kafka_name())
    } else {
        "no answer yet".to_owned()
    };
    let mut wrong = Vec::new();
    if let Some(error) = claims.error
        && error != got.error
    {
        wrong.push(format!("expected {}, the producer got {} ({answer})", error_text(error), error_text(got.error)));
    }
    if let Some(no_response) = claims.no_response
        && no_response != got.no_response
    {
        wrong.push(format!("expected {}a response, the producer was {answer}", if no_response { "no " } else { "" }));
    }
    if let Some(acked) = claims.acked
        && acked != got.acked_offset.is_some()
    {
        wrong.push(format!("expected the write {}acked, the producer was {answer}", if acked { "" } else { "not " }));
    }
    if let Some(written) = claims.written
        && written != (got.log_end_offset > 0)
    {
        wrong.push(format!("expected the record {}written, the leader's log end offset is {}", if written { "" } else { "not " }, got.log_end_offset));
    }
    if let Some(advanced) = claims.hw_advanced
        && advanced != (got.high_watermark > 0)
    {
        wrong.push(format!("expected the high watermark {}to advance, it is {}", if advanced { "" } else { "not " }, got.high_watermark));
    }
    if let Some(offset) = claims.offset
        && offset != got.reported_offset()
    {
        wrong.push(format!("expected offset {offset}, the producer reported {}", got.reported_offset()));
    }
    if let Some(leo) = claims.log_end_offset
        && leo != got.log_end_offset
    {
        wrong.push(format!("expected log end offset {leo}, got {}", got.log_end_offset));
    }
    if let Some(hw) = claims.high_watermark
        && hw != got.high_watermark
    {
        wrong.push(format!("expected high watermark {hw}, got {}", got.high_watermark));
    }
    if wrong.is_empty() { Ok(()) } else { Err(wrong.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(case: Value) -> CaseOutcome {
        check(&json!({ "produce_acks": [case] })).remove(0)
    }

    #[test]
    fn the_public_texts_read_as_the_claims_they_make() {
        let acks_all = text_claims("NOT_ENOUGH_REPLICAS (checked before append, nothing written)");
        assert_eq!(acks_all.error, Some(Some(KafkaError::NotEnoughReplicas)));
        assert_eq!(acks_all.written, Some(false));
        let acks_1 = text_claims(
            "appended and acked immediately (no min.isr check for acks=1); HW does NOT advance while ISR < \
             min.insync.replicas (KAFKA-15583) so consumers cannot read it until ISR recovers",
        );
        assert_eq!((acks_1.error, acks_1.acked, acks_1.written, acks_1.hw_advanced), (Some(None), Some(true), Some(true), Some(false)));
        let acks_0 = text_claims("no response; offsets reported as -1; broker-side error never seen by producer");
        assert_eq!((acks_0.no_response, acks_0.offset, acks_0.error), (Some(true), Some(-1), None));
    }

    #[test]
    fn acks_all_below_min_insync_replicas_is_refused_before_the_append() {
        let o = outcome(json!({"acks": -1, "isr_size": 1, "min_insync_replicas": 2, "result": "NOT_ENOUGH_REPLICAS (checked before append, nothing written)"}));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn acks_1_below_min_insync_replicas_is_written_but_the_high_watermark_waits() {
        let o = outcome(json!({"acks": 1, "isr_size": 1, "min_insync_replicas": 2, "expected_error": null, "expected_offset": 0, "expected_leo": 1, "expected_hw": 0}));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn acks_all_with_enough_in_sync_replicas_is_acked_and_readable() {
        let o = outcome(json!({"acks": "all", "isr_size": 2, "min_insync_replicas": 2, "replication_factor": 3, "expected_error": null, "expected_offset": 0, "expected_hw": 1}));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn a_wrong_expectation_fails_and_says_what_the_engine_did() {
        let o = outcome(json!({"acks": -1, "isr_size": 1, "min_insync_replicas": 2, "result": "appended and acked"}));
        assert!(!o.passed);
        assert!(o.detail.contains("NOT_ENOUGH_REPLICAS"), "{}", o.detail);
    }

    #[test]
    fn a_text_without_a_readable_claim_fails_rather_than_passes() {
        let o = outcome(json!({"acks": 1, "isr_size": 1, "min_insync_replicas": 2, "result": "it depends"}));
        assert!(!o.passed);
        assert!(o.detail.contains("cannot read"), "{}", o.detail);
    }

    #[test]
    fn malformed_inputs_name_the_field() {
        let o = outcome(json!({"acks": 2, "isr_size": 1, "result": "acked"}));
        assert!(o.detail.contains("acks 2"), "{}", o.detail);
        let o = outcome(json!({"acks": 1, "isr_size": 3, "replication_factor": 2, "result": "acked"}));
        assert!(o.detail.contains("isr_size 3"), "{}", o.detail);
    }
}
