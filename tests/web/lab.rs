//! The lab's panels mounted in a real browser: what a learner sees after playing, acting and rewinding.

use kafka_lab::kafka::config::ConfigValue;
use kafka_lab::kafka::world::Action;
use kafka_lab::session::presets;
use kafka_lab::sim::Tick;
use kafka_lab::ui::components::lab_view::{LabView, LabViewProps};
use kafka_lab::ui::lab::Lab;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;
use web_sys::{Element, HtmlElement, KeyboardEvent, KeyboardEventInit};
use yew::AppHandle;

/// A lab of the demo preset mounted in a fresh div, with the handle to unmount it.
async fn mount_lab(lab: Lab) -> (Element, AppHandle<LabView>) {
    let document = gloo::utils::document();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let handle = yew::Renderer::<LabView>::with_root_and_props(root.clone(), LabViewProps { lab, startup_error: None, on_open_file: Default::default() }).render();
    settle().await;
    (root, handle)
}

/// Lets Yew render and the frame loop run a couple of frames.
async fn settle() {
    yew::scheduler::flush().await;
    gloo::timers::future::TimeoutFuture::new(60).await;
    yew::scheduler::flush().await;
}

fn demo_lab() -> Lab {
    Lab::new(presets::demo(), "demo").expect("the demo preset is valid")
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into::<Element>().ok()).collect()
}

fn one(root: &Element, selector: &str) -> Element {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("nothing matches {selector}"))
}

fn click(root: &Element, selector: &str) {
    let el = one(root, selector);
    match el.clone().dyn_into::<HtmlElement>() {
        Ok(html) => html.click(),
        Err(_) => {
            // SVG elements: dispatch a click that bubbles to the picture's delegated handler.
            let init = web_sys::MouseEventInit::new();
            init.set_bubbles(true);
            el.dispatch_event(&web_sys::MouseEvent::new_with_mouse_event_init_dict("click", &init).unwrap()).unwrap();
        }
    }
}

fn press(key: &str) {
    let init = KeyboardEventInit::new();
    init.set_key(key);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    gloo::utils::document().body().unwrap().dispatch_event(&event).unwrap();
}

#[wasm_bindgen_test]
async fn the_picture_shows_brokers_replicas_with_leaders_clients_and_the_controller() {
    let (root, handle) = mount_lab(demo_lab()).await;
    assert_eq!(all(&root, "[data-testid^='broker-']").len(), 3);
    assert_eq!(all(&root, "g.replica").len(), 9, "3 partitions × 3 replicas");
    assert_eq!(all(&root, "g.replica[data-status='leader']").len(), 3, "one leader per partition");
    assert!(root.query_selector("[data-testid='controller-0']").unwrap().is_some());
    assert!(root.query_selector("[data-testid='producer-checkout']").unwrap().is_some());
    assert_eq!(all(&root, "[data-testid^='consumer-']").len(), 3);
    let chip = one(&root, "[data-testid='partition-orders-0']");
    assert!(chip.get_attribute("data-leader").unwrap().parse::<u32>().is_ok(), "a leader is named");
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_killed_leader_shows_down_its_partitions_move_and_a_rewind_brings_it_back() {
    let lab = demo_lab();
    lab.session_mut().advance_to(Tick(3_000));
    let leader = lab.session().view().metadata().partitions[0].leader.unwrap();
    lab.act(Action::KillBroker { broker: leader.0, lose_page_cache: false }).unwrap();
    lab.session_mut().advance_to(Tick(20_000));
    let (root, handle) = mount_lab(lab.clone()).await;
    assert_eq!(one(&root, &format!("[data-testid='broker-{leader}']")).get_attribute("data-status").as_deref(), Some("down"));
    let new_leader = one(&root, "[data-testid='partition-orders-0']").get_attribute("data-leader").unwrap();
    assert_ne!(new_leader, leader.to_string(), "leadership moved");
    let lines = one(&root, "[data-testid='narration-lines']").text_content().unwrap();
    assert!(lines.contains(&format!("orders-0's leader moved from broker {leader}")), "{lines}");
    assert!(lines.contains("missed its heartbeats"), "the cause is told");
    lab.seek(2_000);
    settle().await;
    assert_eq!(one(&root, "[data-testid='partition-orders-0']").get_attribute("data-leader"), Some(leader.to_string()));
    assert_eq!(one(&root, &format!("[data-testid='broker-{leader}']")).get_attribute("data-status").as_deref(), Some("up"));
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_crashed_producer_is_drawn_down_not_sending() {
    // The producer's box used to follow its workload only, so a crashed producer still read
    // "sending · 40/s" while nothing left it.
    let lab = demo_lab();
    lab.session_mut().advance_to(Tick(2_000));
    lab.act(Action::CrashProducer { producer: "checkout".into() }).unwrap();
    lab.session_mut().advance_to(Tick(3_000));
    let (root, handle) = mount_lab(lab).await;
    let node = one(&root, "[data-testid='producer-checkout']");
    assert!(node.get_attribute("class").unwrap_or_default().contains("down"));
    let text = node.text_content().unwrap();
    assert!(text.contains("down") && !text.contains("sending"), "{text}");
    handle.destroy();
}

#[wasm_bindgen_test]
async fn the_inspectors_show_a_partitions_log_the_consumers_a_broker_and_the_charts() {
    let lab = demo_lab();
    lab.session_mut().advance_to(Tick(8_000));
    let (root, handle) = mount_lab(lab).await;
    click(&root, "[data-testid='partition-orders-1']");
    settle().await;
    let inspector = one(&root, "[data-testid='partition-inspector']");
    let offsets = one(&inspector, "[data-testid='partition-offsets']").text_content().unwrap();
    assert!(offsets.contains("HW") && offsets.contains("LEO") && offsets.contains("start"), "{offsets}");
    assert!(all(&inspector, "[data-testid='records'] tbody tr").len() > 3, "records with offset, key, value, timestamp");
    assert!(one(&inspector, "[data-testid='records'] tbody tr").text_content().unwrap().contains("order-"), "keys are shown");
    click(&root, "[data-testid='tab-consumers']");
    settle().await;
    let rows = all(&root, "[data-testid^='consumer-row-']");
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.get_attribute("data-status").as_deref() == Some("reading")));
    click(&root, "[data-testid='broker-2']");
    settle().await;
    let panel = one(&root, "[data-testid='broker-panel']");
    assert!(panel.text_content().unwrap().contains("Leads:"));
    assert!(panel.query_selector("[data-testid='page-cache']").unwrap().is_some());
    click(&root, "[data-testid='tab-charts']");
    settle().await;
    for chart in ["chart-throughput", "chart-lag", "chart-isr", "chart-urp"] {
        let figure = one(&root, &format!("[data-testid='{chart}']"));
        assert!(figure.query_selector("polyline").unwrap().is_some(), "{chart} has a series");
    }
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_refused_action_shows_why_and_the_lab_keeps_working() {
    let lab = demo_lab();
    let (root, handle) = mount_lab(lab.clone()).await;
    let error = lab.act(Action::SetTopicConfig { topic: "orders".into(), key: "min.insync.replicas".into(), value: ConfigValue::Int(0) }).unwrap_err();
    assert!(error.contains("min.insync.replicas"), "{error}");
    // The same through the UI: the partition inspector's config form.
    click(&root, "[data-testid='partition-orders-0']");
    settle().await;
    let form = one(&root, "[data-testid='topic-config']");
    let value: web_sys::HtmlInputElement = one(&form, "[name='value']").dyn_into().unwrap();
    value.set_value("0");
    one(&form, "[data-testid='topic-config-apply']").dyn_into::<HtmlElement>().unwrap().click();
    settle().await;
    let notice = one(&root, "[data-testid='error']").text_content().unwrap();
    assert!(notice.contains("refused") && notice.contains("min.insync.replicas"), "{notice}");
    lab.session_mut().advance_to(Tick(2_000));
    assert_eq!(lab.session().now(), Tick(2_000), "the lab still runs");
    handle.destroy();
}

#[wasm_bindgen_test]
async fn keys_open_the_shortcuts_and_reduced_motion_shows_a_step_table() {
    let lab = demo_lab();
    lab.session_mut().advance_to(Tick(3_000));
    let (root, handle) = mount_lab(lab).await;
    press("?");
    settle().await;
    let help = one(&root, "[data-testid='help']");
    assert!(help.text_content().unwrap().contains("play or pause"));
    press("Escape");
    settle().await;
    assert!(root.query_selector("[data-testid='help']").unwrap().is_none());
    press("m");
    settle().await;
    let table = one(&root, "[data-testid='step-table']");
    assert!(table.text_content().unwrap().contains("on the wire"));
    handle.destroy();
}

#[wasm_bindgen_test]
async fn the_stress_preset_keeps_hundreds_of_records_on_the_wire_in_the_browser() {
    let lab = Lab::new(presets::stress(), "stress").unwrap();
    lab.session_mut().advance_to(Tick(5_000));
    assert!(lab.session().tracked().records_in_flight() >= 500, "{}", lab.session().tracked().records_in_flight());
}

/// The browser half of the rewind benchmark: a 10-minute run of each preset, then rewinds spread over
/// it, timed with performance.now(). This suite runs an unoptimised debug build, so only the light
/// demo preset is held to 100 ms here; the end-to-end suite times rewinds of both presets in the
/// shipped build (`tests/e2e/perf.test.mjs`).
#[wasm_bindgen_test]
async fn rewinding_anywhere_in_a_ten_minute_run_takes_at_most_100_ms() {
    let performance = web_sys::window().unwrap().performance().unwrap();
    for id in ["demo", "stress"] {
        let lab = Lab::new(presets::lookup(id).unwrap(), id).unwrap();
        let started = performance.now();
        let mut t = 0;
        while t < 600_000 {
            t += 1_000;
            lab.session_mut().advance_to(Tick(t));
        }
        let played_ms = performance.now() - started;
        let mut worst: f64 = 0.0;
        let mut total = 0.0;
        for k in 0..30u64 {
            let at = (k * 19_991 + 7_777) % 600_000;
            let started = performance.now();
            lab.session_mut().seek(Tick(at));
            let took = performance.now() - started;
            worst = worst.max(took);
            total += took;
        }
        web_sys::console::log_1(&format!("rewind benchmark {id}: 10 simulated minutes in {played_ms:.0} ms; 30 rewinds mean {:.1} ms, worst {worst:.1} ms", total / 30.0).into());
        if id == "demo" {
            assert!(worst <= 100.0, "{id}: a rewind took {worst} ms");
        }
        let widest_ms = lab.session().keyframes().widest_gap_ms(lab.session().horizon());
        assert!(widest_ms <= 16_000, "{id}: keyframes at most 16 s apart on a 10-minute run (widest {widest_ms} ms)");
    }
}

fn buttons(panel: &Element) -> Vec<String> {
    all(panel, "button").iter().filter_map(|b| b.text_content()).collect()
}

#[wasm_bindgen_test]
async fn the_panels_offer_what_applies_now_and_a_locked_embed_offers_nothing() {
    // A dead broker's panel offered Kill (which did nothing) and a live one Restart; a crashed
    // consumer offered seeks it cannot do; a locked embed's panels still killed brokers.
    let lab = demo_lab();
    lab.session_mut().advance_to(Tick(3_000));
    let (root, handle) = mount_lab(lab.clone()).await;
    click(&root, "[data-testid='broker-2']");
    settle().await;
    let up = buttons(&one(&root, "[data-testid='broker-panel']"));
    assert!(up.contains(&"Kill".to_string()) && !up.contains(&"Restart".to_string()), "{up:?}");
    lab.act(Action::KillBroker { broker: 2, lose_page_cache: false }).unwrap();
    let consumer = lab.session().view().consumers()[0].name.to_string();
    lab.act(Action::CrashConsumer { consumer: consumer.clone() }).unwrap();
    click(&root, "[data-testid='broker-1']");
    settle().await;
    click(&root, "[data-testid='broker-2']");
    settle().await;
    let down = buttons(&one(&root, "[data-testid='broker-panel']"));
    assert!(down.contains(&"Restart".to_string()) && !down.iter().any(|b| b.starts_with("Kill")), "{down:?}");
    // Before the controller fences it, the ISR still lists the dead broker: its replicas are down
    // with it, not "out of sync" (which the partition chips contradicted).
    let text = one(&root, "[data-testid='broker-panel']").text_content().unwrap();
    assert!(text.contains("Down with the broker: orders-0") && text.contains("Out of sync: nothing"), "{text}");
    click(&root, &format!("[data-testid='consumer-{consumer}']"));
    settle().await;
    let panel = one(&root, "[data-testid='consumer-panel']");
    assert!(panel.text_content().unwrap().contains("crashed"), "the panel says what the narration says");
    let crashed = buttons(&panel);
    assert!(crashed.contains(&"Restart".to_string()) && !crashed.iter().any(|b| b.starts_with("Seek")), "{crashed:?}");
    handle.destroy();

    let mut locked = demo_lab();
    locked.embed = std::rc::Rc::new(kafka_lab::ui::embed::EmbedOptions { embed: true, lock: true, ..Default::default() });
    locked.session_mut().advance_to(Tick(3_000));
    let (root, handle) = mount_lab(locked).await;
    for node in ["broker-2", "partition-orders-0", &format!("consumer-{consumer}")] {
        click(&root, &format!("[data-testid='{node}']"));
        settle().await;
        let side = one(&root, "#side-panel");
        assert!(buttons(&side).is_empty() && all(&side, "form").is_empty(), "{node}: a locked embed's panel offers no actions: {:?}", buttons(&side));
    }
    handle.destroy();
}

#[wasm_bindgen_test]
fn pausing_refreshes_the_panels_to_the_paused_moment() {
    // Panels refresh twice a second while playing; a pause between two refreshes left the broker
    // panel's page cache behind the picture until the next step.
    use kafka_lab::ui::state::{UiAction, UiState};
    use yew::Reducible;
    let playing = std::rc::Rc::new(UiState::default()).reduce(UiAction::SetPlaying(true));
    let before = playing.data_version;
    assert!(playing.clone().reduce(UiAction::SetPlaying(false)).data_version > before, "pausing asks the panels to read the session again");
    assert!(playing.reduce(UiAction::TogglePlay).data_version > before, "so does pausing with the Play button or k");
}

/// A lesson of the library as the web app opens it (its file handed over as if fetched).
fn lesson_lab(id: &str, text: &str) -> Lab {
    use kafka_lab::scenario::library;
    library::provide_text(id, text.to_string());
    let lesson = library::preset(id).expect("the lesson parses");
    Lab::open(lesson.run_definition(), id, Some(lesson), kafka_lab::ui::lab::Origin::Lesson, Default::default()).expect("the lesson is valid")
}

#[wasm_bindgen_test]
async fn a_producer_whose_workload_ended_reads_finished_and_offers_no_stop_and_a_batch_consumer_says_its_time_per_poll() {
    // auto-commit-duplicates' producer stops at 30 s: it still read "sending · 20 records/s" and
    // offered Stop sending; its consumers spend 500 ms a poll and read "each record in 0 ms".
    let lab = lesson_lab("auto-commit-duplicates", include_str!("../../static/scenarios/auto-commit-duplicates.toml"));
    lab.session_mut().advance_to(Tick(10_000));
    let (root, handle) = mount_lab(lab.clone()).await;
    let sending = one(&root, "[data-testid='producer-checkout']").text_content().unwrap();
    assert!(sending.contains("sending"), "before 30 s it sends: {sending}");
    lab.seek(31_000);
    settle().await;
    let node = one(&root, "[data-testid='producer-checkout']");
    let text = node.text_content().unwrap();
    assert!(text.contains("finished") && !text.contains("sending") && !text.contains("/s"), "{text}");
    click(&root, "[data-testid='producer-checkout']");
    settle().await;
    let panel = one(&root, "[data-testid='producer-panel']");
    let facts = panel.text_content().unwrap();
    assert!(facts.contains("finished") && facts.contains("workload is over") && !facts.contains("20 records/s"), "{facts}");
    assert!(!buttons(&panel).iter().any(|b| b.contains("sending")), "nothing to stop or start: {:?}", buttons(&panel));
    click(&root, "[data-testid='consumer-auto']");
    settle().await;
    let consumer = one(&root, "[data-testid='consumer-panel']").text_content().unwrap();
    assert!(consumer.contains("processes each poll's records in 500 ms") && !consumer.contains("each record in 0 ms"), "{consumer}");
    handle.destroy();
}

#[wasm_bindgen_test]
async fn a_brokers_menu_and_its_panel_name_its_actions_alike() {
    // The menu said "Slow its disk ×10" and "Heal every cut", the panel "Slow disk ×10" and "Heal all cuts".
    let lab = demo_lab();
    lab.session_mut().advance_to(Tick(2_000));
    let (root, handle) = mount_lab(lab).await;
    click(&root, "[data-testid='broker-2']");
    settle().await;
    let panel = buttons(&one(&root, "[data-testid='broker-panel']"));
    let init = web_sys::MouseEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    one(&root, "[data-testid='broker-2']").dispatch_event(&web_sys::MouseEvent::new_with_mouse_event_init_dict("contextmenu", &init).unwrap()).unwrap();
    settle().await;
    let menu = buttons(&one(&root, "[data-testid='context-menu']"));
    for label in ["Slow disk ×10", "Normal disk", "Cut it off the network", "Heal every cut"] {
        assert!(panel.iter().any(|b| b == label) && menu.iter().any(|b| b == label), "{label}: panel {panel:?}, menu {menu:?}");
    }
    handle.destroy();
}

#[wasm_bindgen_test]
fn a_note_makes_way_for_the_next_notice_and_an_error_stays_until_dismissed() {
    // A note fades by itself (style.css); kept in the list, it came back each time the list was drawn
    // again, so the next notice or a dismissal takes it away. An error stays until dismissed.
    use kafka_lab::ui::state::{NoticeKind, UiAction, UiState};
    use yew::Reducible;
    let kinds = |s: &UiState| s.notices.iter().map(|n| (n.kind, n.text.clone())).collect::<Vec<_>>();
    let s = std::rc::Rc::new(UiState::default()).reduce(UiAction::Notify(NoticeKind::Info, "Restarted.".into()));
    let s = s.reduce(UiAction::Notify(NoticeKind::Error, "Refused.".into()));
    assert_eq!(kinds(&s), [(NoticeKind::Error, "Refused.".to_string())]);
    let s = s.reduce(UiAction::Notify(NoticeKind::Info, "Restarted again.".into()));
    assert_eq!(kinds(&s).len(), 2, "the error stays beside the new note");
    let error = s.notices[0].id;
    let s = s.reduce(UiAction::Dismiss(error));
    assert!(s.notices.is_empty(), "dismissed, the error goes, and the note with it");
}

#[wasm_bindgen_test]
fn an_applied_action_takes_away_the_refusals_of_earlier_ones_but_not_other_errors() {
    // "loss must be a whole number (got '')" stayed up through later actions that all worked.
    use kafka_lab::ui::state::{NoticeKind, REFUSED, UiAction, UiState};
    use yew::Reducible;
    let s = std::rc::Rc::new(UiState::default()).reduce(UiAction::Notify(NoticeKind::Error, "This share link cannot be opened.".into()));
    let s = s.reduce(UiAction::Notify(NoticeKind::Error, format!("{REFUSED}loss must be a whole number")));
    let s = s.reduce(UiAction::ForgetRefusals);
    let texts: Vec<_> = s.notices.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(texts, ["This share link cannot be opened."]);
}

#[wasm_bindgen_test]
fn a_preset_address_with_options_it_does_not_read_says_so() {
    // `#preset=acks1-data-loss&seed=5` opened the lesson's own seed without a word.
    let kafka_lab::ui::Opened::Lab(Ok((lab, problem))) = kafka_lab::ui::open("#preset=demo&seed=5") else { panic!("the demo opens") };
    assert_eq!(lab.preset.as_ref(), "demo");
    assert!(problem.as_deref().is_some_and(|p| p.contains("'seed=5' was not used")), "{problem:?}");
    let kafka_lab::ui::Opened::Lab(Ok((_, problem))) = kafka_lab::ui::open("#preset=demo") else { panic!("the demo opens") };
    assert_eq!(problem, None);
}

#[wasm_bindgen_test]
fn a_run_caught_up_a_slice_at_a_time_is_the_run_opened_at_once() {
    // A late link is simulated between the page's frames; the clicks it carries must land where
    // they did, and the run must be the one the link made, however the slices fell.
    use kafka_lab::kafka::world::TimedAction;
    use kafka_lab::session::narrate::Category;
    use kafka_lab::ui::components::catch_up::{CatchUp, Stop};
    let kill = TimedAction { click: true, ..TimedAction::at(20_500, Action::KillBroker { broker: 1, lose_page_cache: false }) };
    // At once: the run sought to the click, the click, the run sought to the moment.
    let at_once = demo_lab();
    at_once.session_mut().seek(Tick(20_500));
    at_once.session_mut().act(kill.action.clone()).expect("the click is accepted");
    at_once.session_mut().seek(Tick(95_250));
    let sliced = CatchUp::new(demo_lab(), vec![Stop::At(20_500), Stop::Click(kill.clone()), Stop::At(95_250)]);
    let mut slices = 0;
    // An elapsed time already past the budget: one slice of work per call.
    while !sliced.advance(1.0, &|| 2.0).expect("the click is accepted") {
        slices += 1;
    }
    assert!(slices > 50, "simulated in {slices} slices");
    let text = |lab: &Lab| -> Vec<String> {
        lab.session().narration().recent(&Category::ALL, u64::MAX, 10_000).iter().map(|l| format!("{} {}", l.at.ms(), l.text)).collect()
    };
    assert_eq!(sliced.now_ms(), 95_250);
    assert_eq!(sliced.lab.session().learner_actions(), at_once.session().learner_actions());
    assert_eq!(sliced.lab.session().world().trace_hash(), at_once.session().world().trace_hash());
    assert_eq!(text(&sliced.lab), text(&at_once));
    assert!(text(&at_once).iter().any(|l| l.starts_with("20500 ")), "the kill is narrated where it landed");
}

#[wasm_bindgen_test]
fn a_lessons_link_from_before_the_lesson_changed_opens_with_a_note_and_its_own_link_carries_the_fingerprint() {
    use kafka_lab::scenario::link::{SharedRun, decode_link, encode_link};
    let lab = lesson_lab("leader-failover", include_str!("../../static/scenarios/leader-failover.toml"));
    let made_now = lab.shared_run();
    assert!(made_now.lesson.is_some(), "the lab's own link fingerprints its lesson");
    let link = encode_link(&made_now, "http://x/");
    let fragment = link.split_once('#').map(|(_, f)| format!("#{f}")).unwrap();
    let kafka_lab::ui::Opened::Lab(Ok((_, problem))) = kafka_lab::ui::open(&fragment) else { panic!("the link opens") };
    assert_eq!(problem, None);
    let old = SharedRun { lesson: made_now.lesson.map(|f| f ^ 1), ..decode_link(&link).unwrap() };
    let fragment = encode_link(&old, "http://x/").split_once('#').map(|(_, f)| format!("#{f}")).unwrap();
    let kafka_lab::ui::Opened::Lab(Ok((lab, problem))) = kafka_lab::ui::open(&fragment) else { panic!("the link still opens") };
    assert_eq!(lab.preset.as_ref(), "leader-failover");
    assert!(problem.as_deref().is_some_and(|p| p.contains("an earlier version of the lesson 'leader-failover'")), "{problem:?}");
}

#[wasm_bindgen_test]
fn a_late_link_replays_its_clicks_on_the_way() {
    // A link at 1:30 with a click at 1:05 is caught up a slice at a time; the click lands where it
    // did, and the run is the one the link was made from.
    use kafka_lab::scenario::link::encode_link;
    use kafka_lab::ui::{Opened, open_with};
    let lab = demo_lab();
    lab.session_mut().seek(Tick(65_000));
    let topic = kafka_lab::kafka::world::TopicSpec { name: "late".into(), partitions: Some(1), replication_factor: Some(1), ..Default::default() };
    lab.act(Action::CreateTopic { spec: topic }).unwrap();
    lab.session_mut().seek(Tick(90_000));
    let fragment = |run: &kafka_lab::scenario::link::SharedRun| encode_link(run, "http://x/").split_once('#').map(|(_, f)| format!("#{f}")).unwrap();
    let run = lab.shared_run();
    let Opened::Late(plan, None) = open_with(&fragment(&run), &Default::default(), false) else { panic!("a moment past a minute is caught up") };
    while !plan.advance(1.0, &|| 2.0).expect("the click is accepted") {}
    assert_eq!(plan.now_ms(), 90_000);
    assert_eq!(plan.lab.session().learner_actions(), run.actions.as_slice());
    assert_eq!(plan.lab.session().world().trace_hash(), lab.session().world().trace_hash());
}
