//! Share links carry inputs, never state: a link opens the same run, and no input, however damaged or
//! hostile, makes the decoder panic. Every failure is a typed error a learner can read.

use kafka_lab::kafka::world::{Action, TimedAction};
use kafka_lab::scenario::link::{LINK_ENCODED_MAX, LinkError, RunSource, SharedRun, decode_link, encode_link, lesson_fingerprint, link_json, sentence};
use kafka_lab::scenario::{library, run_scenario};

const BASE: &str = "http://127.0.0.1:8080/";

fn failover_with_a_click() -> SharedRun {
    let mut run = SharedRun::preset("leader-failover").unwrap();
    run.actions.push(TimedAction::click(7000, Action::KillBroker { broker: 2, lose_page_cache: false }));
    run.at_ms = 12_000;
    run
}

#[test]
fn a_preset_link_carries_the_id_and_the_learners_clicks_and_opens_the_same_run() {
    let shared = failover_with_a_click();
    let link = encode_link(&shared, BASE);
    assert!(link.starts_with("http://127.0.0.1:8080/#v1."), "{link}");
    assert!(link.len() < 2000, "a typical lesson link stays well under 2,000 characters: {}", link.len());
    let decoded = decode_link(&link).unwrap();
    assert_eq!(decoded, shared);
    let a = run_scenario(&shared.scenario().unwrap(), Some(20_000)).unwrap();
    let b = run_scenario(&decoded.scenario().unwrap(), Some(20_000)).unwrap();
    assert_eq!(a.trace_hash, b.trace_hash);
}

#[test]
fn an_inline_scenario_travels_whole() {
    let scenario = library::preset("key-hash-ordering").unwrap();
    let shared = SharedRun::inline(scenario.clone());
    let link = encode_link(&shared, BASE);
    let decoded = decode_link(&link).unwrap();
    assert_eq!(decoded.source, RunSource::Inline(Box::new(scenario)));
}

#[test]
fn a_plain_lesson_link_opens_the_lesson() {
    let run = decode_link("https://lab.example/?embed=1#preset=leader-failover").unwrap();
    assert_eq!(run.source, RunSource::Preset("leader-failover".into()));
    assert_eq!(run.at_ms, 0);
}

#[test]
fn an_unknown_preset_is_named_with_a_suggestion() {
    match decode_link("#preset=leader-failovr") {
        Err(LinkError::UnknownPreset { id, suggestion }) => {
            assert_eq!(id, "leader-failovr");
            assert_eq!(suggestion.as_deref(), Some("leader-failover"));
        }
        other => panic!("{other:?}"),
    }
    let json = r#"{"preset":"no-such-lesson","seed":1}"#;
    let link = format!("#v1.{}", base64url(&zlib(json.as_bytes())));
    assert!(matches!(decode_link(&link), Err(LinkError::UnknownPreset { .. })));
}

#[test]
fn a_link_names_its_step_only_when_it_must_and_a_step_not_yet_reached_is_refused() {
    // leader-failover has three steps at 14 s: a link at 14 s opens on the first unless it names one.
    let steps = library::preset("leader-failover").unwrap().steps;
    let second = steps.iter().position(|s| s.at_ms == 14_000).unwrap() + 1;
    let mut run = SharedRun::preset("leader-failover").unwrap();
    run.at_ms = 14_000;
    run.step = Some(second as u32);
    assert_eq!(decode_link(&encode_link(&run, BASE)).unwrap().step, Some(second as u32));
    run.step = None;
    assert_eq!(decode_link(&encode_link(&run, BASE)).unwrap().step, None, "most links carry none");
    run.step = Some(steps.len() as u32 - 1);
    let err = decode_link(&encode_link(&run, BASE)).unwrap_err().to_string();
    assert!(err.contains(&format!("step: the lesson has {} steps by 14000 ms, so step is at most {}", second + 2, second + 1)), "{err}");
}

#[test]
fn an_unknown_version_is_named() {
    let err = decode_link("#v7.eJyrVkosSk5VslIqS8wpTgUAKfsFjw").unwrap_err();
    assert_eq!(err, LinkError::UnknownVersion("v7".into()));
    assert!(err.to_string().contains("'v7'"));
    assert!(err.to_string().ends_with("it may come from a newer version"), "{err}");
    // There never was a v0: it is not from a newer version.
    let err = decode_link("#v0.eJyrVkosSk5VslIqS8wpTgUAKfsFjw").unwrap_err();
    assert!(err.to_string().ends_with("no kafka-lab ever wrote it"), "{err}");
}

#[test]
fn hostile_links_get_typed_errors() {
    let valid = encode_link(&failover_with_a_click(), BASE);
    let payload = valid.split_once("#v1.").unwrap().1.to_string();
    type Expectation = fn(&LinkError) -> bool;
    let cases: Vec<(String, Expectation)> = vec![
        ("".into(), |e| matches!(e, LinkError::NotALink)),
        ("hello".into(), |e| matches!(e, LinkError::NotALink)),
        ("#v1.".into(), |e| matches!(e, LinkError::CutShort)),
        ("#v1.!!!!".into(), |e| matches!(e, LinkError::NotBase64(_))),
        ("#v1.garbage".into(), |e| matches!(e, LinkError::NotCompressed)),
        (format!("#v1.{}", &payload[..payload.len() / 2]), |e| matches!(e, LinkError::CutShort)),
        (format!("#v1.{}", "A".repeat(LINK_ENCODED_MAX + 1)), |e| matches!(e, LinkError::TooLong { .. })),
        (format!("#v1.{}", base64url(&zlib(&vec![b' '; 2 << 20]))), |e| matches!(e, LinkError::TooLarge)),
        (format!("#v1.{}", base64url(&zlib(&[0xff, 0xfe, 0x00]))), |e| matches!(e, LinkError::NotText)),
        (format!("#v1.{}", base64url(&zlib(b"{\"preset\": "))), |e| matches!(e, LinkError::NotJson { .. })),
        (format!("#v1.{}", base64url(&zlib(b"[1, 2, 3]"))), |e| matches!(e, LinkError::InvalidRun(_))),
        (format!("#v1.{}", base64url(&zlib(br#"{"preset":"leader-failover","seed":"x"}"#))), |e| matches!(e, LinkError::InvalidRun(_))),
        (
            format!("#v1.{}", base64url(&zlib(br#"{"preset":"leader-failover","seed":1,"actions":[{"at_ms":1,"action":"kill_broker","broker":9}]}"#))),
            |e| matches!(e, LinkError::InvalidRun(p) if p.to_string().contains("no broker 9")),
        ),
        (format!("#v1.{}", base64url(&zlib(format!("{}{}", "[".repeat(5000), "]".repeat(5000)).as_bytes()))), |e| matches!(e, LinkError::NotJson { .. })),
    ];
    for (link, expected) in cases {
        let err = decode_link(&link).expect_err(&link.chars().take(80).collect::<String>());
        assert!(expected(&err), "{}: {err:?}", link.chars().take(80).collect::<String>());
        assert!(!err.to_string().is_empty());
    }
}

/// The message says what is wrong with the link: text that never was a link is not called "cut short",
/// a link that lost its end is, and neither message doubles its punctuation in the lab's notice.
#[test]
fn a_damaged_link_says_what_is_actually_wrong_with_it() {
    let garbage = decode_link("#v1.garbage").unwrap_err().to_string();
    assert_eq!(garbage, "this link is damaged: what follows #v1. is not a run compressed by kafka-lab (was it typed or changed by hand?)");
    assert!(!garbage.contains("cut short"));

    let whole = encode_link(&failover_with_a_click(), BASE);
    for end in [whole.len() - 1, whole.len() - 2, whole.len() - 3, whole.len() / 2] {
        let cut = decode_link(&whole[..end]).unwrap_err();
        assert_eq!(cut, LinkError::CutShort, "cut to {end} of {} characters", whole.len());
    }
    assert_eq!(
        LinkError::CutShort.to_string(),
        "this link is cut short (its data stops before the run it carries ends): was it copied whole?"
    );

    let (head, payload) = whole.split_once("#v1.").unwrap();
    let mut changed = payload.as_bytes().to_vec();
    let middle = changed.len() / 2;
    changed[middle] = if changed[middle] == b'A' { b'B' } else { b'A' };
    let altered = format!("{head}#v1.{}", String::from_utf8(changed).unwrap());
    assert!(matches!(decode_link(&altered), Err(LinkError::Damaged(_))), "{:?}", decode_link(&altered));

    for bad in ["#v1.eJ!x", "#v1.eJ!xy"] {
        let bad_character = decode_link(bad).unwrap_err().to_string();
        assert_eq!(bad_character, "this link is damaged: character '!' at position 3 is not used in links", "{bad}");
    }

    let shown = format!("This share link cannot be opened: {}", decode_link(&whole[..whole.len() / 2]).unwrap_err());
    assert!(sentence(&shown).ends_with("was it copied whole?"), "no '?.' before 'Showing the demo lab instead'");
}

/// Opening a link at a moment runs the run up to it at once: past the hour a run lasts, that froze the
/// page and then crashed it. The link is refused with the field, the value and the limit instead.
#[test]
fn a_link_whose_moment_is_past_the_hour_is_refused_with_the_limit() {
    let mut run = SharedRun::preset("leader-failover").unwrap();
    run.at_ms = 3_600_000;
    assert_eq!(decode_link(&encode_link(&run, BASE)).unwrap().at_ms, 3_600_000, "the hour itself is a moment of the run");

    let cases = [
        (r#"{"preset":"leader-failover","seed":1,"at_ms":3600001}"#, "at_ms: a run lasts at most one hour, so at_ms is a moment from 0 to 3600000 ms (got 3600001)"),
        (r#"{"preset":"leader-failover","seed":1,"at_ms":99999999}"#, "at_ms: a run lasts at most one hour, so at_ms is a moment from 0 to 3600000 ms (got 99999999)"),
        (r#"{"preset":"leader-failover","seed":1,"at_ms":1e23}"#, "at_ms: a run lasts at most one hour, so at_ms is a moment from 0 to 3600000 ms (got 1e+23)"),
        // Below zero or between milliseconds: the rule broken is named, not a u64's range.
        (r#"{"preset":"leader-failover","seed":1,"at_ms":-5}"#, "at_ms: a run lasts at most one hour, so at_ms is a moment from 0 to 3600000 ms (got -5)"),
        (r#"{"preset":"leader-failover","seed":1,"at_ms":1500.5}"#, "at_ms: at_ms is a whole number of milliseconds, from 0 to 3600000 (got 1500.5)"),
        (
            r#"{"preset":"leader-failover","seed":1,"actions":[{"at_ms":99999999,"action":"kill_broker","broker":2}]}"#,
            "actions[0].at_ms: a run lasts at most one hour, so at_ms is a moment from 0 to 3600000 ms (got 99999999)",
        ),
    ];
    for (json, expected) in cases {
        let link = format!("#v1.{}", base64url(&zlib(json.as_bytes())));
        let err = decode_link(&link).unwrap_err();
        assert!(matches!(err, LinkError::InvalidRun(_)), "{json}: {err:?}");
        assert_eq!(err.to_string(), format!("this link's run is not valid:\n{expected}"), "{json}");
    }
}

/// A small deterministic generator (SplitMix64): the fuzz cases are the same on every run.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn mutate(link: &str, g: &mut Gen) -> String {
    let mut bytes = link.as_bytes().to_vec();
    let head = link.find("#v1.").map_or(0, |i| i + 4);
    match g.below(8) {
        0 => bytes.truncate(head + g.below(bytes.len() - head + 1)),
        1 => {
            for _ in 0..1 + g.below(4) {
                let at = head + g.below(bytes.len() - head);
                bytes[at] = ALPHABET[g.below(ALPHABET.len())];
            }
        }
        2 => {
            let at = head + g.below(bytes.len() - head);
            for _ in 0..1 + g.below(20) {
                bytes.insert(at, ALPHABET[g.below(ALPHABET.len())]);
            }
        }
        3 => {
            let len = g.below(3000);
            bytes.truncate(head);
            bytes.extend((0..len).map(|_| ALPHABET[g.below(ALPHABET.len())]));
        }
        4 => {
            let at = g.below(bytes.len());
            bytes[at] = (g.next() & 0xff) as u8;
        }
        5 => {
            let at = head + g.below(bytes.len() - head);
            bytes.remove(at);
        }
        6 => {
            // A valid compressed payload of mutated JSON: reaches the JSON and scenario checks.
            let json = link_json(&failover_with_a_click());
            let mut json = json.into_bytes();
            let at = g.below(json.len());
            let noise = b"{}[]\":,0123456789abcxyz-_ ";
            json[at] = noise[g.below(noise.len())];
            return format!("#v1.{}", base64url(&zlib(&json)));
        }
        _ => {
            let at = g.below(bytes.len());
            bytes.splice(at..at, std::iter::repeat_n(b'A', g.below(70_000)));
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn thousands_of_mutated_links_never_panic() {
    let sources = [
        encode_link(&failover_with_a_click(), BASE),
        encode_link(&SharedRun::inline(library::preset("topic-partitions-offsets").unwrap()), BASE),
        encode_link(&SharedRun::preset("key-hash-ordering").unwrap(), BASE),
    ];
    let mut g = Gen(0x5eed);
    let (mut opened, mut refused) = (0, 0);
    for i in 0..3000 {
        let link = mutate(&sources[i % sources.len()], &mut g);
        // A panic fails the test with the case printed by the harness; keep the input for a replay.
        let outcome = std::panic::catch_unwind(|| decode_link(&link));
        match outcome {
            Ok(Ok(_)) => opened += 1,
            Ok(Err(e)) => {
                assert!(!e.to_string().is_empty());
                refused += 1;
            }
            Err(_) => panic!("decode_link panicked on case {i}: {link:?}"),
        }
    }
    assert!(refused > 2000, "most mutations are refused ({opened} opened, {refused} refused)");
}

fn zlib(bytes: &[u8]) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec_zlib(bytes, 6)
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// "Same link, same run": the learner's clicks, made live in the lab, replay from a link exactly where
/// they landed, so the CLI reaches the trace hash the learner's lab reached.
#[test]
fn a_link_made_in_the_lab_replays_the_learners_clicks_to_the_same_trace_hash() {
    use kafka_lab::session::Session;
    use kafka_lab::sim::Tick;
    let lesson = library::preset("leader-failover").unwrap();
    let mut session = Session::new(lesson.run_definition()).unwrap();
    // Clicks at moments where the engine has other work due in the same millisecond.
    for (at_ms, action) in [
        (4_000, Action::KillBroker { broker: 2, lose_page_cache: false }),
        (6_000, Action::RestartBroker { broker: 2 }),
        (6_000, Action::KillBroker { broker: 3, lose_page_cache: true }),
    ] {
        session.seek(Tick(at_ms));
        session.act(action).unwrap();
    }
    session.seek(Tick(20_000));
    let mut shared = SharedRun::preset("leader-failover").unwrap();
    shared.actions = session.learner_actions().to_vec();
    shared.at_ms = 20_000;
    let decoded = decode_link(&encode_link(&shared, BASE)).unwrap();
    let report = run_scenario(&decoded.scenario().unwrap(), Some(20_000)).unwrap();
    assert_eq!(report.trace_hash, session.world().trace_hash());
}

#[test]
fn a_lesson_link_made_before_the_lessons_run_changed_opens_but_says_so() {
    // A lesson link carries only the lesson's id: once kafka-lab is updated and the lesson's cluster
    // or actions change, the same link opens another run. The link carries the fingerprint of the
    // lesson's run, so the lab can say the run may not be the one shared.
    let shared = failover_with_a_click();
    let lesson = library::preset("leader-failover").unwrap();
    assert_eq!(shared.lesson, Some(lesson_fingerprint(&lesson)));
    let opened = decode_link(&encode_link(&shared, BASE)).unwrap();
    assert_eq!(opened.lesson, shared.lesson);
    assert_eq!(opened.lesson_changed(), None, "the lesson is as it was");

    let from_another_version = |fingerprint: &str| {
        let json = format!(r#"{{"preset":"leader-failover","seed":1,"at_ms":0{fingerprint}}}"#);
        decode_link(&format!("#v1.{}", base64url(&zlib(json.as_bytes())))).unwrap()
    };
    let changed = from_another_version(r#","lesson":1"#).lesson_changed().expect("a changed lesson is told");
    assert!(changed.contains("an earlier version of the lesson 'leader-failover'"), "{changed}");
    assert_eq!(from_another_version("").lesson_changed(), None, "a link from before fingerprints cannot tell");

    // Only the run counts: a lesson's texts may be reworded without old links complaining.
    let mut reworded = lesson.clone();
    reworded.title.push_str(" (new words)");
    reworded.seed += 1;
    assert_eq!(lesson_fingerprint(&reworded), lesson_fingerprint(&lesson));
    let mut rerun = lesson.clone();
    rerun.actions.pop();
    assert_ne!(lesson_fingerprint(&rerun), lesson_fingerprint(&lesson));

    let inline = format!(r#"{{"scenario":{},"seed":1,"lesson":5}}"#, serde_json::to_string(&lesson).unwrap());
    let problem = decode_link(&format!("#v1.{}", base64url(&zlib(inline.as_bytes())))).unwrap_err().to_string();
    assert!(problem.contains("lesson: only a link to a lesson of the library carries its fingerprint"), "{problem}");
}
