//! The lab laid out: title, notices, controls and timeline; the cluster picture with its partitions
//! beside the inspector tabs; the narration below. It owns the UI state and starts the frame loop and
//! the keyboard shortcuts.

use crate::scenario::{Scenario, Section, library};
use crate::session::presets::PRESET_IDS;
use crate::ui::components::lesson_player::LessonPlayer;
use crate::ui::components::share_dialog::ShareDialog;
use crate::ui::embed::{self, Field, LOOP_MS_DEFAULT};
use crate::ui::components::cluster_view::ClusterView;
use crate::ui::components::context_menu::{ContextMenuProps, context_menu};
use crate::ui::components::controls::{ControlsProps, controls};
use crate::ui::components::help_overlay::{HelpOverlayProps, help_overlay};
use crate::ui::components::inspector::{InspectorProps, inspector};
use crate::ui::components::narration::{NarrationProps, narration};
use crate::ui::components::notices::notices;
use crate::ui::components::partition_list::PartitionList;
use crate::ui::components::step_table::step_table;
use crate::ui::components::timeline::{TimelineProps, timeline};
use crate::ui::hooks::use_frame_loop::{LoopControl, LoopRefs, use_frame_loop};
use crate::ui::hooks::use_keyboard::use_keyboard;
use crate::ui::hooks::use_reduced_motion::use_reduced_motion;
use crate::ui::lab::Lab;
use crate::ui::markup::select_attr;
use crate::ui::state::{NoticeKind, Selection, UiAction, UiState};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LabViewProps {
    pub lab: Lab,
    /// A problem to show at once (an unknown preset id).
    #[prop_or_default]
    pub startup_error: Option<AttrValue>,
    /// A scenario file the learner opened (the app opens it in place of this lab).
    #[prop_or_default]
    pub on_open_file: Callback<Scenario>,
}

/// The lesson index: every lesson of the library by topic (read when the menu first opens). A
/// library file whose id is also a lab preset (`stress`, the CLI's benchmark) is left out: the link
/// `#preset=<id>` opens the lab preset, so the entry would open no lesson.
fn lesson_index(current: &str) -> Html {
    let index = library::presets();
    let sections = Section::ALL.iter().map(|section| {
        let items = index.iter().filter(|p| p.section == *section && !PRESET_IDS.contains(&p.id)).map(|p| {
            let on = p.id == current;
            html! { <li><a href={format!("#preset={}", p.id)} aria-current={on.then_some("page")} title={p.summary.clone()}>{ &p.title }</a></li> }
        });
        html! { <li class="topic"><h3>{ section.title() }</h3><ul>{ for items }</ul></li> }
    });
    html! { <ul class="lesson-index" data-testid="lesson-index">{ for sections }</ul> }
}

/// Starts the embed options once: the moment to open at, playing, the loop; tells the parent page the
/// lab is ready and obeys its commands.
#[hook]
fn use_embed(lab: Lab, dispatch: crate::ui::commands::Dispatch) {
    // The moment to open at is reached while the lab first renders, before the lesson player mounts:
    // it then opens at that moment's step instead of starting at 0 and following the run there one
    // step at a time (`?at=20000` showed a step of 13 s with the clock at 20 s).
    let first_render = !std::mem::replace(&mut lab.signals.borrow_mut().opened, true);
    if let Some(at) = lab.embed.at_ms.filter(|_| first_render) {
        lab.seek(at);
    }
    use_effect_with(lab, move |lab| {
        let o = lab.embed.clone();
        if o.loop_run {
            let start = o.at_ms.unwrap_or(0);
            // A lesson's end is no loop's end when the loop starts there or after it (the share
            // dialog's "start at this moment" at a lesson's last step): a minute on then.
            let lesson_end = lab.lesson.as_ref().map(|l| l.duration_ms).filter(|&end| end > start);
            let end = o.until_ms.filter(|&end| end > start).or(lesson_end).unwrap_or(start + LOOP_MS_DEFAULT);
            lab.signals.borrow_mut().loop_ms = Some((start, end));
        }
        if o.play || o.lock || o.loop_run {
            dispatch.dispatch(UiAction::SetPlaying(true));
        }
        let seed = lab.session().seed();
        embed::post("ready", &[("preset", Field::Text(&lab.preset)), ("seed", Field::Number(seed as f64))]);
        let (lab, d) = (lab.clone(), dispatch.clone());
        let listener = gloo::events::EventListener::new(&gloo::utils::window(), "message", move |e| {
            let Some(e) = wasm_bindgen::JsCast::dyn_ref::<web_sys::MessageEvent>(e) else { return };
            let Some((command, at_ms)) = embed::read_command(&e.data()) else { return };
            match (command.as_str(), at_ms) {
                ("play", _) => d.dispatch(UiAction::SetPlaying(true)),
                ("pause", _) => d.dispatch(UiAction::SetPlaying(false)),
                ("seek", Some(at)) => crate::ui::commands::jump(&lab, &d, at),
                ("continue" | "back", _) => {
                    let testid = if command == "back" { "lesson-back" } else { "lesson-continue" };
                    if let Some(el) = gloo::utils::document()
                        .query_selector(&format!("[data-testid={testid}]"))
                        .ok()
                        .flatten()
                        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
                    {
                        el.click();
                    }
                }
                _ => {}
            }
        });
        move || drop(listener)
    });
}

/// The selection's highlight as a style rule, so the cluster picture and the partition list (both
/// built as markup) need not be rebuilt when the selection changes.
fn selection_style(selection: Selection) -> String {
    if selection == Selection::None {
        return String::new();
    }
    let s = select_attr(selection);
    format!(
        r#"[data-select="{s}"] > .box, [data-select="{s}"] > .cell {{ stroke: #0072b2; stroke-width: 3.5; }} .partition-chip[data-select="{s}"] {{ border: 2px solid #0072b2; background: #e3eef6; }}"#
    )
}

#[function_component(LabView)]
pub fn lab_view(props: &LabViewProps) -> Html {
    let state = use_reducer(UiState::default);
    let dispatch = state.dispatcher();
    {
        let (dispatch, error) = (dispatch.clone(), props.startup_error.clone());
        use_effect_with(error, move |error| {
            if let Some(text) = error {
                dispatch.dispatch(UiAction::Notify(NoticeKind::Error, text.to_string()));
            }
        });
    }
    {
        // Opened on another seed than its lesson's (a link made after New seed): said once, as the
        // sharer was told.
        let (dispatch, lab) = (dispatch.clone(), props.lab.clone());
        use_effect_with((), move |_| {
            let seed = lab.session().seed();
            if let Some(note) = crate::ui::commands::other_seed_note(&lab, seed) {
                crate::ui::commands::notify(&dispatch, format!("This run uses seed {seed}. {note}"));
            }
        });
    }
    let control = use_mut_ref(LoopControl::default);
    *control.borrow_mut() = LoopControl { playing: state.playing, speed: state.speed, reduced_motion: state.reduced_motion };
    let latest = use_mut_ref(|| Rc::new(UiState::default()));
    *latest.borrow_mut() = Rc::new((*state).clone());
    let refs = LoopRefs { canvas: use_node_ref(), picture: use_node_ref(), clock: use_node_ref(), timeline: use_node_ref(), horizon: use_node_ref() };
    use_frame_loop(props.lab.clone(), dispatch.clone(), control, refs.clone());
    use_keyboard(props.lab.clone(), dispatch.clone(), latest);
    crate::ui::focus::use_focus_keeper();
    use_reduced_motion(dispatch.clone());
    use_embed(props.lab.clone(), dispatch.clone());
    // The parent page hears of every broken guarantee once.
    let violations_posted = use_mut_ref(|| 0usize);
    {
        let (lab, posted) = (props.lab.clone(), violations_posted.clone());
        use_effect_with(state.data_version, move |_| {
            let session = lab.session();
            let mut n = 0;
            for (at, what) in session.violations() {
                if n >= *posted.borrow() {
                    embed::post("violation", &[("at_ms", Field::Number(at.ms() as f64)), ("text", Field::Text(what))]);
                }
                n += 1;
            }
            // A rewind forgets later findings; they are told again when the run gets there again.
            *posted.borrow_mut() = n;
        });
    }
    let lessons_open = use_state(|| false);
    // An opened menu or dialog takes the focus (its first item; the help's close button; the share
    // link, which is what the dialog is opened for).
    use_effect_with((state.menu, state.help_open, state.share_open), |(menu, help, share)| {
        let selector = match (menu.is_some(), *help, *share) {
            (true, _, _) => "[data-testid=context-menu] button",
            (_, true, _) => "[data-testid=help-close]",
            (_, _, true) => "[data-testid=share-link]",
            _ => "",
        };
        if !selector.is_empty()
            && let Some(el) = gloo::utils::document().query_selector(selector).ok().flatten().and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
        {
            el.focus().ok();
        }
    });

    let lab = props.lab.clone();
    let on_lessons = {
        let lessons_open = lessons_open.clone();
        Callback::from(move |e: Event| lessons_open.set(e.target_unchecked_into::<web_sys::HtmlDetailsElement>().open()))
    };
    // A click outside the open Lessons menu closes it (Esc does too: `use_keyboard`): open, it covers
    // the speed controls and Restart, and the learner's clicks there did nothing.
    let on_click_outside = Callback::from(|e: MouseEvent| {
        if let Ok(Some(menu)) = gloo::utils::document().query_selector(".lessons-menu[open]")
            && !menu.contains(e.target().map(wasm_bindgen::JsCast::unchecked_into).as_ref())
        {
            menu.remove_attribute("open").ok();
        }
    });
    let d = dispatch.clone();
    let on_share = Callback::from(move |_: MouseEvent| d.dispatch(UiAction::SetShareOpen(true)));
    let d = dispatch.clone();
    let on_share_close = Callback::from(move |_: ()| d.dispatch(UiAction::SetShareOpen(false)));
    let lesson = lab.lesson.clone().filter(|l| !l.steps.is_empty() && !lab.embed.hides("lesson"));
    let presets = PRESET_IDS.iter().map(|id| {
        let current = *id == &*lab.preset;
        html! { <a href={format!("#preset={id}")} aria-current={current.then_some("page")} class={classes!(current.then_some("on"))}>{ *id }</a> }
    });
    html! {
        <div class={classes!("lab", state.reduced_motion.then_some("reduced-motion"), lab.embed.classes(), lesson.is_some().then_some("with-lesson"))}
             data-preset={lab.preset.to_string()} data-playing={state.playing.to_string()}
             data-trace-hash={lab.session().world().trace_hash()} onclick={on_click_outside}>
            <style>{ selection_style(state.selection) }</style>
            <header class="titlebar">
                <h1>{ "kafka-lab" }</h1>
                <span class="tagline">{ "watch Apache Kafka work, and break it on purpose" }</span>
                <details class="lessons-menu" ontoggle={on_lessons} data-testid="lessons-menu">
                    <summary>{ "Lessons" }</summary>
                    { if *lessons_open { lesson_index(&lab.preset) } else { html! {} } }
                </details>
                <nav class="presets" aria-label="Presets">{ "lab: " }{ for presets }</nav>
                <button type="button" class="share-button" data-testid="share-button" onclick={on_share}>{ "Share ⇪" }</button>
            </header>
            { notices(&state.notices, &dispatch) }
            { controls(&ControlsProps { lab: lab.clone(), playing: state.playing, speed: state.speed, reduced_motion: state.reduced_motion,
                                        categories: state.categories.clone(), dispatch: dispatch.clone() }) }
            { timeline(&TimelineProps { lab: lab.clone(), data_version: state.data_version, refs: refs.clone(), dispatch: dispatch.clone() }) }
            { for lesson.map(|l| html! { <LessonPlayer lab={lab.clone()} lesson={l} data_version={state.data_version} playing={state.playing} dispatch={dispatch.clone()} /> }) }
            <main class="main">
                <section class="stage" aria-label="Cluster">
                    <ClusterView lab={lab.clone()} structure_version={state.structure_version} selection={state.selection}
                                 reduced_motion={state.reduced_motion} refs={refs.clone()} dispatch={dispatch.clone()} />
                    { if state.reduced_motion { step_table(&lab) } else { html! {} } }
                    <PartitionList lab={lab.clone()} structure_version={state.structure_version} selection={state.selection} dispatch={dispatch.clone()} />
                </section>
                { inspector(&InspectorProps { lab: lab.clone(), tab: state.tab, selection: state.selection, data_version: state.data_version, dispatch: dispatch.clone() }) }
            </main>
            { narration(&NarrationProps { lab: lab.clone(), data_version: state.data_version, categories: state.categories.clone(), dispatch: dispatch.clone() }) }
            { if state.share_open { html! { <ShareDialog lab={lab.clone()} on_close={on_share_close} on_open_file={props.on_open_file.clone()} /> } } else { html! {} } }
            { if state.help_open { help_overlay(&HelpOverlayProps { dispatch: dispatch.clone(), locked: lab.embed.lock,
                                                                       lesson: lab.lesson.as_ref().is_some_and(|l| !l.steps.is_empty()) && !lab.embed.hides("lesson") }) } else { html! {} } }
            { match state.menu { Some(menu) if !lab.embed.lock => context_menu(&ContextMenuProps { lab: lab.clone(), menu, dispatch: dispatch.clone() }), _ => html! {} } }
        </div>
    }
}
