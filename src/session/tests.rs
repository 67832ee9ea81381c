//! The session in the words of what a learner does: play, act, rewind, branch, restart.

use super::*;
use crate::kafka::config::ConfigValue;
use crate::kafka::ids::{BrokerId, PartitionIndex};
use crate::kafka::world::NodeRef;

fn demo() -> Session {
    Session::new(presets::demo()).expect("the demo preset is valid")
}

/// Plays in uneven chunks, as frames of a browser would.
fn play(session: &mut Session, until_ms: u64) {
    let mut chunk = 7;
    while session.now().ms() < until_ms {
        session.advance_to(Tick((session.now().ms() + chunk).min(until_ms)));
        chunk = chunk * 7 % 173 + 1;
    }
}

fn leader(session: &Session, partition: u32) -> Option<BrokerId> {
    session.view().metadata().partitions[partition as usize].leader
}

fn assert_same_world(session: &Session, at: Tick) {
    let reference = replay(session.base(), session.learner_actions(), at).unwrap();
    assert_eq!(session.now(), at);
    assert_eq!(session.world().event_count(), reference.event_count(), "event count at {at:?}");
    assert_eq!(session.world().trace_hash(), reference.trace_hash(), "trace hash at {at:?}");
}

#[test]
fn a_rewind_anywhere_gives_exactly_the_world_the_learner_saw_there() {
    let mut s = demo();
    play(&mut s, 4_000);
    let old_leader = leader(&s, 0).unwrap();
    s.act(Action::KillBroker { broker: old_leader.0, lose_page_cache: false }).unwrap();
    play(&mut s, 6_500);
    s.act(Action::Produce { producer: "checkout".into(), key: Some("order-42".into()), value: Some("hello".into()), partition: None, count: Some(3) })
        .unwrap();
    s.act(Action::SetTopicConfig { topic: "orders".into(), key: "min.insync.replicas".into(), value: ConfigValue::Int(1) }).unwrap();
    play(&mut s, 20_000);
    let hash_at_end = s.world().trace_hash();
    assert_same_world(&s, Tick(20_000));
    for at in [0, 1, 3_999, 4_000, 4_001, 6_500, 9_999, 13_000, 19_999, 2_500, 20_000] {
        s.seek(Tick(at));
        assert_same_world(&s, Tick(at));
    }
    assert_eq!(s.world().trace_hash(), hash_at_end, "back at the end, the same run");
    assert_eq!(s.learner_actions().len(), 3, "rewinding alone keeps the learner's actions");
    let definition = s.definition();
    assert_eq!(definition.actions.len(), 3, "the run as one definition: the preset's actions and the learner's, by time");
    assert_eq!(definition.actions[0], TimedAction::click(4_000, Action::KillBroker { broker: old_leader.0, lose_page_cache: false }));
}

#[test]
fn a_click_at_0_ms_replays_from_a_share_link_as_the_learner_saw_it() {
    // A learner doubles the producer's rate before pressing Play: the producer keeps sending, faster,
    // and the share link (the run as one definition, clicks scheduled after each tick's own work)
    // replays exactly that run, as the CLI does.
    let mut s = demo();
    assert!(s.view().producers()[0].stats.records_sent == 0);
    s.act(Action::SetProducerRate { producer: "checkout".into(), rate_per_sec: 100 }).unwrap();
    play(&mut s, 3_000);
    assert!(s.view().producers()[0].stats.records_sent >= 250, "the producer sends at its new rate: {}", s.view().producers()[0].stats.records_sent);
    let mut linked = s.definition().start().unwrap();
    run_draining(&mut linked, Tick(3_000));
    assert_eq!(linked.trace_hash(), s.world().trace_hash(), "the link replays the learner's run");
    assert_same_world(&s, Tick(3_000));
    s.seek(Tick::ZERO);
    assert_same_world(&s, Tick::ZERO);
}

#[test]
fn killing_the_leader_moves_leadership_with_the_cause_told_and_a_rewind_brings_it_back() {
    let mut s = demo();
    play(&mut s, 3_000);
    let old = leader(&s, 0).expect("orders-0 has a leader");
    s.act(Action::KillBroker { broker: old.0, lose_page_cache: false }).unwrap();
    let killed_at = s.now();
    play(&mut s, 20_000);
    let new = leader(&s, 0).expect("a new leader from the ISR");
    assert_ne!(new, old);
    let lines = s.narration_now(&[Category::Replication], 200);
    let moved = lines
        .iter()
        .find(|l| l.text.starts_with("orders-0's leader moved from broker") && l.partition == Some(PartitionIndex(0)))
        .expect("the move is told")
        .to_owned()
        .clone();
    assert!(moved.text.contains(&format!("because broker {old} missed its heartbeats for 9")), "{}", moved.text);
    assert!(moved.at > killed_at);
    s.seek(Tick(killed_at.ms() - 1));
    assert_eq!(leader(&s, 0), Some(old), "before the kill, the old leader is back");
    assert!(s.narration_now(&[Category::Replication], 200).iter().all(|l| l.seq != moved.seq), "the future is not told yet");
    s.seek(moved.at);
    assert_eq!(leader(&s, 0), Some(new));
}

/// The demo played to `kill_ms`, broker 1 killed there (its process: the page cache survives), then
/// played on to `until_ms`.
fn demo_with_broker_1_killed(kill_ms: u64, until_ms: u64) -> Session {
    let mut s = demo();
    play(&mut s, kill_ms);
    s.act(Action::KillBroker { broker: 1, lose_page_cache: false }).unwrap();
    play(&mut s, until_ms);
    s
}

#[test]
fn a_client_that_cannot_connect_to_a_dead_broker_is_told_as_a_request_not_sent_not_one_lost() {
    // After a crash the dead machine refuses connections: what a client then tries to send never
    // leaves it. Only what was on its way when the broker died is lost.
    let s = demo_with_broker_1_killed(3_000, 8_000);
    let lines = s.narration_now(&[Category::Network], 200);
    let refused = lines.iter().find(|l| l.text.contains("could not connect to broker 1, which is down: its produce request was not sent"));
    assert!(refused.is_some(), "{lines:#?}");
    let lost_later = lines.iter().filter(|l| l.at > Tick(3_100) && l.text.contains("produce request") && l.text.contains("was lost")).count();
    assert_eq!(lost_later, 0, "no produce request is lost once the crash is known");
}

#[test]
fn an_isr_falling_below_min_insync_replicas_is_told_with_the_high_watermark_it_holds() {
    // The demo's orders has min.insync.replicas 2 on 3 brokers. With two brokers down the ISR is one
    // broker, and the HW stops: without a word, a learner who knows "HW = lowest LEO in the ISR"
    // read it as a bug.
    let mut s = demo();
    play(&mut s, 3_000);
    s.act(Action::KillBroker { broker: 2, lose_page_cache: false }).unwrap();
    s.act(Action::KillBroker { broker: 3, lose_page_cache: false }).unwrap();
    play(&mut s, 30_000);
    let lines = s.narration_now(&[Category::Replication], 400);
    let told = lines.iter().find(|l| l.text.starts_with("orders-") && l.text.contains("fewer than the 2 in-sync replicas min.insync.replicas asks for: the high watermark stays at"));
    assert!(told.is_some(), "{lines:#?}");
    // Broker 2 back: the ISR reaches 2 again, and the HW may move.
    s.act(Action::RestartBroker { broker: 2 }).unwrap();
    play(&mut s, 60_000);
    let lines = s.narration_now(&[Category::Replication], 400);
    assert!(lines.iter().any(|l| l.text.starts_with("orders-") && l.text.contains("With the 2 in-sync replicas min.insync.replicas asks for, the high watermark can move on")), "{lines:#?}");
}

#[test]
fn a_refused_session_timeout_is_told_with_the_bounds_and_what_to_do() {
    // A learner who sets session.timeout.ms = 5 s (below the brokers' 6 s) and restarts the consumer
    // must learn why it died at once, and how to bring it back.
    let mut s = demo();
    play(&mut s, 3_000);
    let name = s.view().consumers().iter().find(|c| c.group.is_some()).expect("the demo has a group member").name.to_string();
    s.act(Action::CrashConsumer { consumer: name.clone() }).unwrap();
    s.act(Action::SetConsumerConfig { consumer: name.clone(), key: "session.timeout.ms".into(), value: ConfigValue::Int(5_000) }).unwrap();
    s.act(Action::RestartConsumer { consumer: name.clone() }).unwrap();
    play(&mut s, 6_000);
    let lines = s.narration_now(&[Category::Consumers], 200);
    let told = lines.iter().find(|l| l.text.starts_with(&format!("{name}'s poll() threw")));
    let text = &told.unwrap_or_else(|| panic!("{lines:#?}")).text;
    assert!(text.contains("INVALID_SESSION_TIMEOUT: a session.timeout.ms of 5 s is outside"), "{text}");
    assert!(text.contains("(the brokers allow 6 s to 30 min). Change session.timeout.ms, then restart it."), "{text}");
}

#[test]
fn a_dead_brokers_internal_partitions_fold_into_one_line_so_the_learners_stay_readable() {
    // The demo's groups keep offsets in __consumer_offsets: 50 partitions that all lose a replica,
    // and a third of them their leader, when a broker dies.
    let s = demo_with_broker_1_killed(3_000, 20_000);
    let lines = s.narration_now(&[Category::Replication], 200);
    let internal: Vec<_> = lines.iter().filter(|l| l.text.contains("__consumer_offsets")).collect();
    assert_eq!(internal.len(), 1, "{internal:#?}");
    assert!(s.repeats_now(internal[0]) >= 50, "every internal change counts in the fold: {}", s.repeats_now(internal[0]));
    assert!(internal[0].text.contains("broker 1 missed its heartbeats"), "{}", internal[0].text);
    let own = lines.iter().filter(|l| l.text.starts_with("orders-")).count();
    assert!(own >= 3, "each of orders' partitions is still told on its own line: {own}");
}

#[test]
fn consumers_find_their_new_coordinator_when_its_broker_dies() {
    // Broker 1 coordinates both demo groups; it dies at 6 s, in the middle of shipping's first
    // rebalance. Kafka's consumers hear the connection break, look the coordinator up again and
    // carry on: none stays idle, none keeps talking to the dead broker.
    let s = demo_with_broker_1_killed(6_000, 60_000);
    for c in s.view().consumers() {
        assert!(!c.assignment.is_empty(), "{} reads something again after the coordinator moved", c.name);
    }
    let lines = s.narration_now(&[Category::Network], 200);
    let late_to_dead = lines.iter().filter(|l| l.at > Tick(40_000) && l.text.contains("group coordinator message") && l.text.contains("broker 1")).count();
    assert_eq!(late_to_dead, 0, "no group request still goes to the dead broker half a minute later");
}

#[test]
fn acting_in_the_past_branches_and_drops_only_the_future() {
    let mut s = demo();
    play(&mut s, 5_000);
    s.act(Action::KillBroker { broker: 1, lose_page_cache: false }).unwrap();
    play(&mut s, 12_000);
    s.act(Action::RestartBroker { broker: 1 }).unwrap();
    play(&mut s, 30_000);
    assert_eq!(s.horizon(), Tick(30_000));
    let lines_before = s.narration().len();
    s.seek(Tick(8_000));
    assert_eq!(s.horizon(), Tick(30_000), "a rewind alone keeps the future");
    assert_eq!(s.learner_actions().len(), 2);
    s.act(Action::StopProducer { producer: "checkout".into() }).unwrap();
    assert_eq!(s.horizon(), Tick(8_000), "acting in the past starts a new branch");
    let kept: Vec<u64> = s.learner_actions().iter().map(|a| a.at_ms).collect();
    assert_eq!(kept, [5_000, 8_000], "the restart at 12 s belonged to the old future");
    assert!(s.narration().len() < lines_before);
    assert!(s.charts().last_at().unwrap() <= Tick(8_000));
    play(&mut s, 15_000);
    assert_same_world(&s, Tick(15_000));
    s.seek(Tick(6_000));
    assert_same_world(&s, Tick(6_000));
}

#[test]
fn a_refused_action_changes_nothing_and_says_why() {
    let mut s = demo();
    play(&mut s, 2_000);
    let hash = s.world().trace_hash();
    let error = s.act(Action::SetTopicConfig { topic: "orders".into(), key: "min.insync.replicas".into(), value: ConfigValue::Int(0) }).unwrap_err();
    assert!(error.0.contains("min.insync.replicas"), "{error}");
    assert!(s.act(Action::KillBroker { broker: 9, lose_page_cache: false }).unwrap_err().0.contains("no broker 9"));
    assert!(s.act(Action::CutNetwork { side_a: vec![NodeRef::Broker(1)], side_b: vec![] }).is_err());
    assert_eq!(s.world().trace_hash(), hash);
    assert!(s.learner_actions().is_empty());
}

#[test]
fn restart_with_the_same_seed_is_the_same_run_and_a_new_seed_another() {
    let mut s = demo();
    play(&mut s, 5_000);
    let hash = s.world().trace_hash();
    s.act(Action::KillBroker { broker: 2, lose_page_cache: false }).unwrap();
    s.restart(s.seed()).unwrap();
    assert_eq!(s.now(), Tick::ZERO);
    assert!(s.learner_actions().is_empty());
    play(&mut s, 5_000);
    assert_eq!(s.world().trace_hash(), hash);
    s.restart(s.seed() + 1).unwrap();
    play(&mut s, 5_000);
    assert_ne!(s.world().trace_hash(), hash);
}

#[test]
fn stepping_goes_to_the_next_event_and_next_narrated_line() {
    let mut s = demo();
    play(&mut s, 1_000);
    let events = s.world().event_count();
    assert!(s.step_event(Tick(60_000)));
    assert!(s.world().event_count() > events);
    assert!(s.now() > Tick(1_000) && s.now() < Tick(1_100), "the next event is close at hand: {:?}", s.now());
    s.act(Action::KillBroker { broker: 3, lose_page_cache: false }).unwrap();
    let at = s.step_narrated(&[Category::Brokers], Tick(60_000)).expect("the fencing is told");
    let line = s.narration_now(&[Category::Brokers], 1)[0].clone();
    assert_eq!(line.at, at);
    assert!(line.text.contains("fenced broker 3"), "{}", line.text);
    // Rewind and step again: the line is already known, so the session jumps straight to it.
    s.seek(Tick(2_000));
    assert_eq!(s.step_narrated(&[Category::Brokers], Tick(60_000)), Some(at));
    assert_eq!(s.now(), at);
}

#[test]
fn charts_sample_every_second_and_show_throughput_and_under_replication() {
    let mut s = demo();
    play(&mut s, 10_000);
    s.act(Action::KillBroker { broker: 2, lose_page_cache: false }).unwrap();
    play(&mut s, 30_000);
    let samples: Vec<&charts::Sample> = s.charts().until(s.now()).collect();
    assert_eq!(samples.len(), 31, "time 0 and every second to 30 s");
    let throughput = s.charts().throughput(s.now());
    let (_, produced, _) = throughput[5];
    assert!((2..=8).contains(&produced), "about 4 records/s acknowledged: {produced}");
    assert_eq!(samples[5].under_replicated, 0);
    // Kafka's UnderReplicatedPartitions counts internal topics too: orders' 3 and __consumer_offsets' 50.
    assert_eq!(samples[30].under_replicated, 53, "after the fencing every partition lost a replica");
    assert_eq!(samples[30].lag.len(), 3, "one lag series per consumer");
}

#[test]
fn memory_stays_bounded_on_a_long_run() {
    let config = SessionConfig {
        keyframes: KeyframePolicy { interval_ms: 500, events: 1_000_000, max: 8 },
        narration_per_category_max: 5,
        chart_samples_max: 20,
        flights_max: 50,
    };
    let mut s = Session::with_config(presets::demo(), config).unwrap();
    for k in 0..6 {
        play(&mut s, 10_000 * (k + 1));
        let broker = (k % 3 + 1) as u32;
        s.act(Action::KillBroker { broker, lose_page_cache: false }).unwrap();
        play(&mut s, 10_000 * (k + 1) + 5_000);
        s.act(Action::RestartBroker { broker }).unwrap();
    }
    play(&mut s, 120_000);
    assert!(s.keyframes().len() <= 8);
    assert!(s.narration().len() <= 5 * Category::ALL.len());
    assert!(s.charts().len() <= 20);
    assert!(s.flights().len() <= 50);
    s.seek(Tick(33_333));
    assert_same_world(&s, Tick(33_333));
}

#[test]
fn the_stress_preset_keeps_more_than_500_records_in_flight_while_playing() {
    let mut s = Session::new(presets::stress()).unwrap();
    play(&mut s, 3_000);
    let mut least = u64::MAX;
    let mut total = 0;
    let mut samples = 0;
    while s.now() < Tick(8_000) {
        s.advance_by(100);
        let records = s.tracked().records_in_flight();
        least = least.min(records);
        total += records;
        samples += 1;
    }
    let average = total / samples;
    assert!(least >= 500, "at least 500 records in flight at every 100 ms sample (least {least}, average {average})");
}

#[test]
fn keyframes_bound_what_a_rewind_replays() {
    let mut s = demo();
    play(&mut s, 60_000);
    let policy = s.config().keyframes;
    assert!(s.keyframes().widest_gap_ms(s.horizon()) <= policy.interval_ms, "a quiet run keyframes by time");
    let mut s = Session::new(presets::stress()).unwrap();
    play(&mut s, 10_000);
    assert!(s.keyframes().len() >= 4, "a busy run keyframes by events too: {}", s.keyframes().len());
}

/// The native rewind benchmark of the report: a 10-minute run of each preset, then rewinds to moments
/// spread over it. Run with `cargo test --release -- --ignored rewind_benchmark --nocapture`.
#[test]
#[ignore = "a benchmark: run it in release"]
fn rewind_benchmark_ten_minutes() {
    for (id, definition) in [("demo", presets::demo()), ("stress", presets::stress())] {
        let mut s = Session::new(definition).unwrap();
        let started = std::time::Instant::now();
        let mut t = 0;
        while t < 600_000 {
            t += 167; // 10× at 60 frames per second
            s.advance_to(Tick(t.min(600_000)));
        }
        let played = started.elapsed();
        let mut worst = std::time::Duration::ZERO;
        let mut total = std::time::Duration::ZERO;
        let targets: Vec<u64> = (0..60).map(|k| (k * 9_973 + 4_321) % 600_000).collect();
        for at in &targets {
            let started = std::time::Instant::now();
            s.seek(Tick(*at));
            let took = started.elapsed();
            worst = worst.max(took);
            total += took;
        }
        println!(
            "{id}: 10 simulated minutes played in {played:?}; {} keyframes (widest gap {} ms); 60 rewinds: mean {:?}, worst {worst:?}",
            s.keyframes().len(),
            s.keyframes().widest_gap_ms(s.horizon()),
            total / targets.len() as u32,
        );
        assert!(worst.as_millis() <= 100, "{id}: a rewind took {worst:?}");
    }
}


/// The lesson player keeps a checkpoint's reveal only while the run up to the step is the one it was
/// read from: a learner who answered at 1.3 s, rewound to 0.3 s and stopped the producer must answer
/// again, while one who only rewound and replayed keeps the answer.
#[test]
fn an_answer_holds_only_while_the_run_up_to_its_step_is_the_same() {
    let step = Tick(1_300);
    let mut s = demo();
    play(&mut s, 1_300);
    let answered = s.mark_until(step);
    play(&mut s, 4_000);
    s.seek(Tick(300));
    play(&mut s, 2_000);
    assert_eq!(s.mark_until(step), answered, "rewinding and replaying is the same run");
    s.act(Action::StopProducer { producer: "checkout".into() }).unwrap();
    assert_eq!(s.mark_until(step), answered, "a click after the step (at 2 s) leaves the run up to it alone");
    s.seek(Tick(300));
    s.act(Action::StopProducer { producer: "checkout".into() }).unwrap();
    assert_ne!(s.mark_until(step), answered, "a click before the step changes the run it asks about");
    s.restart(s.seed()).unwrap();
    let fresh = s.mark_until(step);
    assert_ne!(fresh, answered, "a restart starts the lesson over");
    s.restart(s.seed()).unwrap();
    assert_ne!(s.mark_until(step), fresh, "every restart starts over, with the same seed too");
    let again = s.mark_until(step);
    s.restart(s.seed() + 1).unwrap();
    assert_ne!(s.mark_until(step), again, "a new seed is another run");
}

#[test]
fn a_folded_line_after_a_rewind_counts_what_the_run_had_told_by_then() {
    // kafka-vs-queue at 0:05.000 read "+6 like it"; played to 25 s and rewound to 5 s, the same
    // line read "+10 like it", counting events that had not happened yet.
    let lesson = crate::scenario::library::preset("kafka-vs-queue").expect("the lesson is in the library");
    let told = |s: &Session| -> Vec<(String, u32)> { s.narration_now(&Category::ALL, 200).iter().map(|l| (l.text.clone(), s.repeats_now(l))).collect() };
    let mut fresh = Session::new(lesson.run_definition()).unwrap();
    play(&mut fresh, 5_000);
    let mut rewound = Session::new(lesson.run_definition()).unwrap();
    play(&mut rewound, 25_000);
    rewound.seek(Tick(5_000));
    assert!(told(&fresh).iter().any(|(_, n)| *n > 1), "the lesson folds some lines by 5 s");
    assert_eq!(told(&rewound), told(&fresh));
}

#[test]
fn an_unclean_election_tells_its_losses_in_a_few_lines_and_its_cause_stays_in_view() {
    // One unclean election lost records at many offsets, each narrated on a line of its own:
    // 75 lines that pushed the election itself out of the list. Same breach, same partition, same
    // second: one line with a count.
    let lesson = crate::scenario::library::preset("unclean-election").expect("the lesson is in the library");
    let mut s = Session::new(lesson.run_definition()).unwrap();
    play(&mut s, lesson.duration_ms);
    let lines = s.narration_now(&Category::ALL, 60);
    let breaches: Vec<_> = lines.iter().filter(|l| l.text.starts_with("Guarantee broken")).collect();
    let folded: u32 = breaches.iter().map(|l| s.repeats_now(l)).sum();
    assert!(folded > breaches.len() as u32, "the losses fold into lines with a count");
    assert!(breaches.len() < 10, "{} lines of losses", breaches.len());
    assert!(lines.iter().any(|l| l.text.contains("unclean leader election")), "the cause is still among the last 60 lines");
}
