//! The app: opens the run the address names and opens it again when the address changes.
//!
//! - `#preset=<id>`: a lesson of the library (with its steps and checkpoints) or a built-in run
//!   (`demo`, `stress`); no fragment opens the demo;
//! - `#v1.<payload>`: a share link: the scenario, the seed, the learner's clicks and the moment;
//! - `?embed=1&…`: embed options (see [`crate::ui::embed`]).
//!
//! Anything that cannot be opened (an unknown preset, a damaged link, a bad embed option) is said
//! plainly over a working demo lab. A scenario file the learner opens replaces the run until the
//! address changes.
//!
//! A lesson's file is fetched (`scenarios/<id>.toml`, next to the page) the first time a preset or a
//! link needs it: the page carries only the lesson index, not 35 lessons.

use crate::scenario::link::{LINK_ENCODED_MAX, LinkError, SharedRun, decode_link, encode_link, sentence};
use crate::scenario::{Scenario, library};
use crate::session::presets::{self, DEFAULT_PRESET};
use crate::ui::components::catch_up::{CatchUp, CatchingUp, Finished, Stop};
use crate::ui::components::lab_view::LabView;
use crate::ui::embed::{EmbedOptions, page_query};
use crate::ui::lab::{Lab, Origin};
use gloo::events::EventListener;
use std::rc::{Rc, Weak};
use yew::prelude::*;

/// The value of `preset=` in a URL fragment like `#preset=stress` or `#preset=stress&x=1`.
pub fn preset_in_fragment(fragment: &str) -> Option<String> {
    fragment.trim_start_matches('#').split('&').find_map(|pair| pair.strip_prefix("preset=")).map(|id| id.trim().to_string())
}

fn fragment() -> String {
    web_sys::window().and_then(|w| w.location().hash().ok()).unwrap_or_default()
}

fn spec_errors(errors: Vec<crate::kafka::world::SpecError>) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// What the app was asked to open.
#[derive(Clone, Debug)]
pub enum Source {
    /// The address's fragment.
    Fragment(String),
    /// A scenario file the learner opened (the number tells two openings of one file apart).
    File(Rc<Scenario>, u32),
}

impl PartialEq for Source {
    /// A file by its opening (the number), not field by field: two openings of one file are two runs.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Source::Fragment(a), Source::Fragment(b)) => a == b,
            (Source::File(a, n), Source::File(b, m)) => n == m && Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

/// A lab for a scenario: its run, its steps and checkpoints.
fn scenario_lab(scenario: Scenario, origin: Origin, embed: &EmbedOptions) -> Result<Lab, String> {
    let id = scenario.id.clone();
    Lab::open(scenario.run_definition(), &id, Some(scenario), origin, embed.clone()).map_err(spec_errors)
}

/// The demo lab with a problem to show over it, and the sentence saying the demo is shown instead.
/// The problem is made a sentence first: some end in a question ("was it copied whole?").
fn demo_with(problem: String, embed: &EmbedOptions) -> Result<(Lab, Option<String>), String> {
    let definition = presets::lookup(DEFAULT_PRESET).ok_or_else(|| format!("the built-in preset '{DEFAULT_PRESET}' is missing"))?;
    let lab = Lab::open(definition, DEFAULT_PRESET, None, Origin::Builtin, embed.clone()).map_err(spec_errors)?;
    Ok((lab, Some(format!("{} Showing the {DEFAULT_PRESET} lab instead.", sentence(&problem)))))
}

/// The demo, with why a share link could not be opened (read, built, or replayed).
fn unopenable_link(why: impl std::fmt::Display, embed: &EmbedOptions) -> Result<(Lab, Option<String>), String> {
    demo_with(format!("This share link cannot be opened: {why}"), embed)
}

/// What the app shows for its source.
pub enum Opened {
    /// The lab, with the problem to show if what was asked for could not be opened.
    Lab(Result<(Lab, Option<String>), String>),
    /// The lesson whose file must be fetched first.
    Fetching(String),
    /// A run asked for at a late moment, simulated there a slice at a time (see [`CatchUp`]), with
    /// the problem to show once it is there.
    Late(Rc<CatchUp>, Option<String>),
}

/// Simulated time past which a run is brought to its moment a slice at a time, the page showing how
/// far it has got: a busy run takes seconds to simulate (the stress lab's hour, about half a minute).
const LATE_MOMENT_MS: u64 = 60_000;

/// The lab brought to its moment (the link's clicks replayed on the way, then the embed page's
/// `at=`): at once when the moment is early or `allow_late`, else a slice at a time.
fn catch_up(lab: Lab, mut stops: Vec<Stop>, problem: Option<String>, embed: &EmbedOptions, allow_late: bool) -> Opened {
    stops.extend(embed.at_ms.map(Stop::At));
    let plan = CatchUp::new(lab, stops);
    if allow_late || plan.target_ms <= LATE_MOMENT_MS {
        return Opened::Lab(match plan.finish() {
            Ok(()) => Ok((plan.lab.clone(), problem)),
            Err(e) => unopenable_link(e, embed),
        });
    }
    Opened::Late(Rc::new(plan), problem)
}

/// The lab for a fragment, with the problem to show if what it names could not be opened.
pub fn open(fragment: &str) -> Opened {
    open_with(fragment, &EmbedOptions::default(), true)
}

/// `allow_late`: a late moment (the link's, the page's `at=`) is simulated now; otherwise a slice at a
/// time ([`Opened::Late`]).
pub fn open_with(fragment: &str, embed: &EmbedOptions, allow_late: bool) -> Opened {
    let body = fragment.trim_start_matches('#');
    if !body.is_empty() && !body.starts_with("preset=") {
        return open_link(fragment, embed, allow_late);
    }
    let asked = preset_in_fragment(fragment);
    let id = match asked.as_deref() {
        None | Some("") => DEFAULT_PRESET,
        Some(id) => id,
    };
    // Anything else after the id is not read: said, rather than quietly ignored (`&seed=5` opened
    // the lesson's own seed without a word).
    let unread: Vec<&str> = body.split('&').filter(|pair| !pair.is_empty() && !pair.starts_with("preset=")).collect();
    let unread = (!unread.is_empty()).then(|| {
        format!(
            "#preset= takes no other options, so '{}' was not used. For another seed, press New seed and share the run with Share.",
            unread.join("&")
        )
    });
    // The lab's own built-in runs first (the stress preset the performance budget is measured on).
    let opened = match presets::lookup(id) {
        Some(definition) => Lab::open(definition, id, None, Origin::Builtin, embed.clone()).map_err(spec_errors),
        None => match library::preset(id) {
            Ok(scenario) => scenario_lab(scenario, Origin::Lesson, embed),
            Err(library::LibraryError::NotLoaded { id }) => return Opened::Fetching(id),
            Err(library::LibraryError::UnknownPreset { suggestion, .. }) => {
                let hint = suggestion.map_or(String::new(), |s| format!(" (did you mean '{s}'?)"));
                return Opened::Lab(demo_with(format!("There is no preset '{id}'{hint}; the Lessons menu lists every lesson"), embed));
            }
            Err(e) => return Opened::Lab(demo_with(format!("Could not open #preset={id}: {e}"), embed)),
        },
    };
    match opened {
        Ok(lab) => catch_up(lab, Vec::new(), unread, embed, allow_late),
        Err(why) => Opened::Lab(Err(why)),
    }
}

/// What a rejected browser promise says: its message, or the error value written out.
pub(crate) fn js_reason(e: &wasm_bindgen::JsValue) -> String {
    use wasm_bindgen::JsCast as _;
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .or_else(|| js_sys::JSON::stringify(e).ok().map(String::from))
        .unwrap_or_default()
}

/// A lesson's file, fetched from next to the page.
async fn fetch_lesson(id: &str) -> Result<String, String> {
    use wasm_bindgen::JsCast as _;
    use wasm_bindgen_futures::JsFuture;
    let why = |e: wasm_bindgen::JsValue| js_reason(&e);
    let url = format!("scenarios/{id}.toml");
    let window = web_sys::window().ok_or("there is no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(&url)).await.map_err(why)?.dyn_into().map_err(why)?;
    if !response.ok() {
        return Err(format!("the server answered {} for {url}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(why)?).await.map_err(why)?;
    text.as_string().ok_or_else(|| format!("{url} is not text"))
}

/// A share link: the scenario at the link's seed, the learner's clicks replayed where they landed, at
/// the link's moment.
fn open_link(fragment: &str, embed: &EmbedOptions, allow_late: bool) -> Opened {
    let run = match decode_link(fragment) {
        Ok(run) => run,
        Err(LinkError::LessonNotLoaded { id }) => return Opened::Fetching(id),
        Err(e) => return Opened::Lab(unopenable_link(e, embed)),
    };
    let opened = run.base_scenario().map_err(|e| e.to_string()).and_then(|mut scenario| {
        scenario.seed = run.seed;
        let origin = if matches!(run.source, crate::scenario::RunSource::Preset(_)) { Origin::Lesson } else { Origin::Scenario };
        scenario_lab(scenario, origin, embed)
    });
    match opened {
        Ok(lab) => {
            lab.signals.borrow_mut().shown_step = run.step.map(|s| s as usize);
            let mut stops: Vec<Stop> = run.actions.iter().cloned().flat_map(|click| [Stop::At(click.at_ms), Stop::Click(click)]).collect();
            stops.push(Stop::At(run.at_ms));
            catch_up(lab, stops, run.lesson_changed(), embed, allow_late)
        }
        Err(e) => Opened::Lab(unopenable_link(e, embed)),
    }
}

#[function_component(App)]
pub fn app() -> Html {
    let source = use_state(|| Source::Fragment(fragment()));
    let files_opened = use_mut_ref(|| 0u32);
    // The last lesson file that arrived, and the last that could not be fetched (id, why): either
    // change opens the source again.
    let arrived = use_state(|| None::<String>);
    let failed = use_state(|| None::<(String, String)>);
    {
        let (source, failed) = (source.clone(), failed.clone());
        use_effect_with((), move |_| {
            // A new address tries again a lesson whose fetch failed before (the network may be back).
            let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                failed.set(None);
                source.set(Source::Fragment(fragment()));
            });
            move || drop(listener)
        });
    }
    let embed = use_memo((), |_| EmbedOptions::parse(&page_query()));
    // The lab the last late run's catching up ended with, once it has (built once: a later render
    // keeps what the learner does in it). By the run, not the address: another run of the same
    // address catches up again. Weak: a run left for another is not kept.
    let finished = use_state(|| None::<(Weak<CatchUp>, Rc<Result<(Lab, Option<String>), String>>)>);
    let opened = use_memo(((*source).clone(), (*arrived).clone(), (*failed).clone()), {
        let embed = embed.clone();
        move |(source, _, failed)| match source {
            Source::Fragment(f) => match (open_with(f, &embed.0, false), failed) {
                (Opened::Fetching(id), Some((failed_id, why))) if *failed_id == id => {
                    Opened::Lab(demo_with(format!("The lesson '{id}' could not be loaded: {why}"), &embed.0))
                }
                (opened, _) => opened,
            },
            Source::File(scenario, _) => match scenario_lab((**scenario).clone(), Origin::Scenario, &embed.0) {
                Ok(lab) => catch_up(lab, Vec::new(), None, &embed.0, false),
                Err(why) => Opened::Lab(Err(why)),
            },
        }
    });
    let fetching = match &*opened {
        Opened::Fetching(id) => Some(id.clone()),
        _ => None,
    };
    use_effect_with(fetching, {
        let (arrived, failed) = (arrived.clone(), failed.clone());
        move |fetching| {
            // Still asked for when it lands: a file that lands after the page moved on to another
            // run is kept, but opens nothing again (it restarted a late link catching up).
            let wanted = Rc::new(std::cell::Cell::new(true));
            if let Some(id) = fetching.clone() {
                let wanted = wanted.clone();
                yew::platform::spawn_local(async move {
                    match fetch_lesson(&id).await {
                        Ok(text) => {
                            library::provide_text(&id, text);
                            if wanted.get() {
                                arrived.set(Some(id));
                            }
                        }
                        Err(why) if wanted.get() => failed.set(Some((id, why))),
                        Err(_) => {}
                    }
                });
            }
            move || wanted.set(false)
        }
    });
    let on_open_file = {
        let (source, files_opened) = (source.clone(), files_opened.clone());
        Callback::from(move |scenario: Scenario| {
            show_in_address_bar(&scenario);
            *files_opened.borrow_mut() += 1;
            source.set(Source::File(Rc::new(scenario), *files_opened.borrow()));
        })
    };
    let key = match &*source {
        Source::Fragment(f) => f.clone(),
        Source::File(_, n) => format!("file-{n}"),
    };
    let late_done = match (&*opened, &*finished) {
        (Opened::Late(plan, _), Some((of, shown))) if Weak::ptr_eq(&Rc::downgrade(plan), of) => Some((**shown).clone()),
        _ => None,
    };
    let shown = match (late_done, &*opened) {
        (Some(lab), _) => Some(lab),
        (None, Opened::Lab(lab)) => Some(lab.clone()),
        _ => None,
    };
    match (&*opened, shown) {
        (_, Some(Ok((lab, error)))) => {
            let mut problems: Vec<String> = error.iter().cloned().collect();
            // Each a sentence of its own: they are shown one after another.
            problems.extend(embed.1.iter().map(|p| sentence(p)));
            let startup_error = (!problems.is_empty()).then(|| AttrValue::from(problems.join(" ")));
            html! { <LabView {key} {lab} {startup_error} {on_open_file} /> }
        }
        (_, Some(Err(why))) => html! {
            <div class="lab">
                <header class="titlebar"><h1>{ "kafka-lab" }</h1></header>
                <p class="notice error" role="alert">{ format!("The lab could not start: {why}") }</p>
            </div>
        },
        (Opened::Late(plan, problem), None) => {
            let on_finished = {
                let (finished, weak, problem, embed) = (finished.clone(), Rc::downgrade(plan), problem.clone(), embed.clone());
                Callback::from(move |how: Finished| {
                    let Some(plan) = weak.upgrade() else { return };
                    let shown = match how {
                        Finished::Failed(why) => unopenable_link(why, &embed.0),
                        Finished::Done | Finished::Stopped => Ok((plan.lab.clone(), problem.clone())),
                    };
                    finished.set(Some((weak.clone(), Rc::new(shown))));
                    focus_play_if_lost();
                })
            };
            // Keyed by the run: another late run starts with its own bar.
            let key = format!("{:p}", Rc::as_ptr(plan));
            html! { <CatchingUp {key} plan={plan.clone()} {on_finished} /> }
        }
        (Opened::Fetching(id), None) => html! {
            <div class="lab">
                <header class="titlebar"><h1>{ "kafka-lab" }</h1></header>
                <p class="notice" role="status">{ format!("Loading the lesson '{id}'…") }</p>
            </div>
        },
        // `shown` is set for every opened lab.
        (Opened::Lab(_), None) => Html::default(),
    }
}

/// The Stop button goes with the catching up: the focus, left on nothing, goes to Play (the lab
/// draws first, so a moment later).
fn focus_play_if_lost() {
    gloo::timers::callback::Timeout::new(0, || {
        use wasm_bindgen::JsCast as _;
        let document = gloo::utils::document();
        if document.active_element().is_some_and(|e| e.tag_name() != "BODY") {
            return;
        }
        if let Some(play) = document.query_selector("[data-testid=play]").ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = play.focus();
        }
    })
    .forget();
}

/// Puts an opened file's run in the address bar as its link, so a reload reopens it and a copied
/// address shares it: it used to keep the previous lesson's `#preset=…`, which a reload silently
/// reopened. A file too big for a link leaves the address without a run (a reload opens the demo).
/// `replaceState` fires no `hashchange`, so the lab is not opened twice.
fn show_in_address_bar(scenario: &Scenario) {
    let fragment = encode_link(&SharedRun::inline(scenario.clone()), "");
    let Some(window) = web_sys::window() else { return };
    let path = window.location().pathname().unwrap_or_default() + &window.location().search().unwrap_or_default();
    let url = if fragment.len() <= LINK_ENCODED_MAX { fragment } else { path };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}
