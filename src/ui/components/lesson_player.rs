//! The lesson player: the step the run has reached, Back and Continue, a menu of every step, and the
//! checkpoint: the learner answers first, then the reveal shows what the engine's state says (in the
//! learner's own run, their clicks included) and why.
//!
//! Playing stops at each step that pauses or asks a question (the frame loop reads `pause_at_ms`).

use crate::scenario::checkpoint::CheckpointResult;
use crate::scenario::player::{answer_matches, next_stop_ms, opening_step, parse_answer, reveal, step_reached};
use crate::scenario::{ProbeValue, Scenario};
use crate::session::RunMark;
use crate::session::narrate::clock;
use crate::sim::Tick;
use crate::ui::commands::{self, Dispatch};
use crate::ui::embed::{self, Field};
use crate::ui::lab::Lab;
use crate::ui::state::UiAction;
use std::rc::Rc;
use wasm_bindgen::JsCast as _;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties)]
pub struct LessonPlayerProps {
    pub lab: Lab,
    pub lesson: Rc<Scenario>,
    pub data_version: u64,
    pub playing: bool,
    pub dispatch: Dispatch,
}

impl PartialEq for LessonPlayerProps {
    /// The lesson by identity: a lab's lesson never changes in place, and comparing two scenarios
    /// field by field on every render would cost time and about 5 KB of wasm.
    fn eq(&self, other: &Self) -> bool {
        self.lab == other.lab
            && Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.data_version == other.data_version
            && self.playing == other.playing
            && self.dispatch == other.dispatch
    }
}

/// What the learner did with each step's checkpoint.
#[derive(Clone, Debug, Default, PartialEq)]
struct Answer {
    chosen: Option<ProbeValue>,
    typed: String,
    problem: Option<String>,
    revealed: Option<CheckpointResult>,
    /// Whether the answer was the engine's, decided once when it was checked.
    correct: bool,
    /// The run the reveal was read from, up to the step's moment. When the learner changes that run
    /// (acts before the step, restarts, takes a new seed) the answer is cleared and asked again rather
    /// than recomputed: the prediction was made for a run that no longer exists, and judging it
    /// against the new one would grade a guess the learner never made. Asked again, the reveal is
    /// read from the run on screen, so it is always the engine's word on what the learner sees.
    basis: Option<RunMark>,
}

/// The step to show after the run moved from `current` to `now_ms`: forward, the next step (every
/// step stops); back, the last step reached. Steps at the current step's own moment wait for Continue,
/// or for playing to stop at them (`stopped`: playing or a jump key reached the lesson's stop here).
fn follow(lesson: &Scenario, current: usize, now_ms: u64, stopped: bool) -> usize {
    let steps = &lesson.steps;
    let Some(reached) = step_reached(steps, now_ms) else { return 0 };
    let current_at = steps.get(current).map_or(0, |s| s.at_ms);
    if now_ms < current_at {
        return reached;
    }
    if reached <= current {
        return current;
    }
    let later = (current + 1..=reached).find(|&j| steps[j].at_ms > current_at);
    later.unwrap_or(if stopped { current + 1 } else { current })
}

fn short(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{}…", cut.trim_end())
}

#[function_component(LessonPlayer)]
pub fn lesson_player(props: &LessonPlayerProps) -> Html {
    let lesson = props.lesson.clone();
    let steps_len = lesson.steps.len();
    let now_ms = props.lab.session().now().ms();
    // A share link may name the step (of several sharing its moment); it must be one reached by now.
    let current = use_state(|| {
        let named = props.lab.signals.borrow().shown_step.filter(|&s| lesson.steps.get(s).is_some_and(|step| step.at_ms <= now_ms));
        named.unwrap_or_else(|| opening_step(&lesson.steps, now_ms))
    });
    // The step shown, for a share link made now.
    {
        let lab = props.lab.clone();
        use_effect_with(*current, move |current| lab.signals.borrow_mut().shown_step = Some(*current));
    }
    let answers = use_state(|| vec![Answer::default(); steps_len]);

    // Follow the run: playing reaches steps; a rewind goes back to the step of that moment.
    {
        let (current, lesson, lab) = (current.clone(), lesson.clone(), props.lab.clone());
        use_effect_with((props.data_version, now_ms), move |(_, now_ms)| {
            let stopped = lab.signals.borrow_mut().stopped_at_ms.take() == Some(*now_ms);
            let next = follow(&lesson, *current, *now_ms, stopped);
            if next != *current {
                current.set(next);
            }
        });
    }
    // An answer read from a run the learner has since changed is cleared (see `Answer::basis`). Every
    // change of the run (an action, a restart, a rewind) bumps `data_version`.
    {
        let (answers, lab, lesson) = (answers.clone(), props.lab.clone(), lesson.clone());
        use_effect_with(props.data_version, move |_| {
            let session = lab.session();
            let stale = |i: usize, a: &Answer| {
                let at = lesson.steps.get(i).map_or(0, |s| s.at_ms);
                a.basis.as_ref().is_some_and(|b| *b != session.mark_until(Tick(at)))
            };
            if answers.iter().enumerate().any(|(i, a)| stale(i, a)) {
                let kept = answers.iter().enumerate().map(|(i, a)| if stale(i, a) { Answer::default() } else { a.clone() }).collect();
                answers.set(kept);
            }
        });
    }
    // Playing stops at the next step that pauses or asks; the parent page hears of each step.
    {
        let (lab, lesson) = (props.lab.clone(), lesson.clone());
        use_effect_with((*current, now_ms), move |(current, now_ms)| {
            // A locked or looping embed plays through: nobody is there to press Continue.
            let plays_through = lab.embed.lock || lab.embed.loop_run;
            lab.signals.borrow_mut().pause_at_ms = if plays_through { None } else { next_stop_ms(&lesson, Some(*current), *now_ms) };
        });
    }
    // A course page hears of a checkpoint the learner moved past without answering (or that a locked
    // embed played through), once per checkpoint: an answered one is reported by "Check my answer".
    let left = use_mut_ref(|| (0usize, vec![false; steps_len]));
    {
        let (lesson, answers, left) = (lesson.clone(), answers.clone(), left.clone());
        use_effect_with(*current, move |current| {
            let (from, reported) = &mut *left.borrow_mut();
            for i in *from..*current {
                if let Some(c) = &lesson.steps[i].checkpoint && answers[i].revealed.is_none() && !reported[i] {
                    reported[i] = true;
                    embed::post("checkpoint", &[("step", Field::Number(i as f64)), ("question", Field::Text(&c.question)), ("correct", Field::Bool(false)), ("skipped", Field::Bool(true))]);
                }
            }
            *from = *current;
            if let Some(step) = lesson.steps.get(*current) {
                embed::post("step", &[("index", Field::Number(*current as f64)), ("at_ms", Field::Number(step.at_ms as f64)), ("text", Field::Text(&step.text))]);
            }
        });
    }

    // The engine's answer comes into view when it appears: the lesson box scrolls on a small screen,
    // and the answer appeared below its edge (1280×720, a question with long choices).
    let result_ref = use_node_ref();
    {
        let result_ref = result_ref.clone();
        let shown = answers.get(*current).is_some_and(|a| a.revealed.is_some());
        use_effect_with((*current, shown), move |_| {
            if let Some(result) = result_ref.cast::<web_sys::Element>() {
                result.scroll_into_view_with_bool(false);
            }
        });
    }

    // A keyboard learner's focus stays in the player: after Continue or Check, the control they pressed
    // may be gone (Check makes way for the reveal) or disabled (Continue at the lesson's last step),
    // and the browser would drop the focus to the page's top. It goes to Continue when there is a next
    // step, else to the step's question, its reveal, or Back. Only when the focus is still in the
    // player (or was dropped): a learner who went on to the cluster meanwhile keeps their place.
    let hand_focus = use_mut_ref(|| false);
    let section_ref = use_node_ref();
    {
        let (hand_focus, section_ref) = (hand_focus.clone(), section_ref.clone());
        let revealed = answers.get(*current).is_some_and(|a| a.revealed.is_some());
        use_effect_with((*current, revealed), move |(current, _)| {
            let hand = std::mem::take(&mut *hand_focus.borrow_mut());
            let Some(section) = section_ref.cast::<web_sys::Element>() else { return };
            // The menu shows the step the player is at. A select shows what its options' `selected`
            // say only until the learner picks from it; after that only its value moves it (the
            // menu showed step 1 with the player back at step 2).
            if let Ok(Some(menu)) = section.query_selector("select") {
                menu.unchecked_into::<HtmlSelectElement>().set_value(&current.to_string());
            }
            if !hand {
                return;
            }
            let document = gloo::utils::document();
            let dropped = document.active_element().is_none_or(|a| document.body().is_some_and(|b| a == *b));
            if !dropped && !document.active_element().is_some_and(|a| section.contains(Some(&a))) {
                return;
            }
            let target = [
                "[data-testid=lesson-continue]:not(:disabled)",
                "[data-testid=checkpoint-choice]:not(:disabled), [data-testid=checkpoint-answer]:not(:disabled)",
                "[data-testid=checkpoint-result]",
                "[data-testid=lesson-back]:not(:disabled)",
            ]
            .iter()
            .find_map(|selector| section.query_selector(selector).ok().flatten());
            if let Some(el) = target.and_then(|t| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(t).ok()) {
                el.focus().ok();
            }
        });
    }

    let Some(step) = lesson.steps.get(*current) else {
        return html! { <section class="lesson" aria-label="Lesson" data-testid="lesson"><p>{ &lesson.title }</p></section> };
    };
    let reached = now_ms >= step.at_ms;
    let next_at = lesson.steps.get(*current + 1).map(|s| s.at_ms);

    let on_back = {
        let (current, lab, d, lesson) = (current.clone(), props.lab.clone(), props.dispatch.clone(), lesson.clone());
        Callback::from(move |_: MouseEvent| {
            if *current > 0 {
                let to = *current - 1;
                d.dispatch(UiAction::SetPlaying(false));
                current.set(to);
                commands::seek(&lab, &d, lesson.steps[to].at_ms);
            }
        })
    };
    let on_continue = {
        let (current, lab, d, hand_focus) = (current.clone(), props.lab.clone(), props.dispatch.clone(), hand_focus.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(at) = next_at else { return };
            *hand_focus.borrow_mut() = true;
            if at <= lab.session().now().ms() {
                current.set(*current + 1);
            } else {
                // Play to it: the learner watches what happens on the way; the player stops there.
                d.dispatch(UiAction::SetPlaying(true));
            }
        })
    };
    // A closed select changes its value (and so seeks) on every arrow key in Chromium: a keyboard
    // learner browsing the step list was taken through each step. The arrows open the list instead
    // (the ARIA pattern for a select), where they move without choosing until Enter.
    let on_menu_key = Callback::from(|e: KeyboardEvent| {
        if matches!(e.key().as_str(), "ArrowUp" | "ArrowDown" | "PageUp" | "PageDown" | "Home" | "End") && !e.alt_key() {
            e.prevent_default();
            if let Some(select) = e.target()
                && let Ok(show) = js_sys::Reflect::get(&select, &"showPicker".into()).and_then(|f| f.dyn_into::<js_sys::Function>())
            {
                let _ = show.call0(&select);
            }
        }
    });
    let on_menu = {
        let (current, lab, d, lesson) = (current.clone(), props.lab.clone(), props.dispatch.clone(), lesson.clone());
        Callback::from(move |e: Event| {
            let select = e.target_unchecked_into::<HtmlSelectElement>();
            if let Ok(to) = select.value().parse::<usize>()
                && let Some(step) = lesson.steps.get(to)
            {
                d.dispatch(UiAction::SetPlaying(false));
                current.set(to);
                commands::seek(&lab, &d, step.at_ms);
            }
        })
    };

    let options = lesson.steps.iter().enumerate().map(|(i, s)| {
        let mark = if s.checkpoint.is_some() { " ?" } else { "" };
        let label = format!("{}. {} — {}{mark}", i + 1, clock(Tick(s.at_ms)), short(&s.text, 60));
        html! { <option value={i.to_string()} selected={i == *current}>{ label }</option> }
    });

    let checkpoint = step.checkpoint.as_ref().map(|c| {
        let answer = answers.get(*current).cloned().unwrap_or_default();
        let kind = c.probe.value_kind();
        let choose = |value: ProbeValue| {
            let (answers, i) = (answers.clone(), *current);
            Callback::from(move |_: MouseEvent| {
                let mut all = (*answers).clone();
                if all[i].revealed.is_none() {
                    all[i].chosen = Some(value.clone());
                    all[i].problem = None;
                }
                answers.set(all);
            })
        };
        let on_type = {
            let (answers, i) = (answers.clone(), *current);
            Callback::from(move |e: InputEvent| {
                let mut all = (*answers).clone();
                all[i].typed = e.target_unchecked_into::<HtmlInputElement>().value();
                all[i].problem = None;
                answers.set(all);
            })
        };
        let on_check = {
            let (answers, i, lab, lesson, hand_focus) = (answers.clone(), *current, props.lab.clone(), lesson.clone(), hand_focus.clone());
            Callback::from(move |_: MouseEvent| {
                let mut all = (*answers).clone();
                let given = match &all[i].chosen {
                    Some(v) => Ok(v.clone()),
                    None => parse_answer(&all[i].typed, kind),
                };
                match given {
                    Err(problem) => all[i].problem = Some(problem),
                    Ok(value) => {
                        *hand_focus.borrow_mut() = true;
                        let definition = lab.session().definition();
                        let result = reveal(&lesson, &definition, i);
                        let probe = lesson.steps[i].checkpoint.as_ref().map(|c| &c.probe);
                        let correct = result.as_ref().and_then(|r| r.actual.as_ref()).zip(probe).is_some_and(|(actual, probe)| answer_matches(probe, &value, actual));
                        if let Some(r) = &result {
                            let actual = r.actual.as_ref().map_or(String::from("no answer"), ToString::to_string);
                            embed::post(
                                "checkpoint",
                                &[
                                    ("step", Field::Number(i as f64)),
                                    ("question", Field::Text(&r.question)),
                                    ("answer", Field::Text(&value.to_string())),
                                    ("actual", Field::Text(&actual)),
                                    ("correct", Field::Bool(correct)),
                                    ("skipped", Field::Bool(false)),
                                ],
                            );
                        }
                        all[i].chosen = Some(value);
                        all[i].revealed = result;
                        all[i].correct = correct;
                        all[i].basis = Some(lab.session().mark_until(Tick(lesson.steps[i].at_ms)));
                    }
                }
                answers.set(all);
            })
        };
        let revealed = answer.revealed.is_some();
        let input = if c.choices.is_empty() {
            html! {
                <label class="typed">{ format!("Your answer ({}): ", kind.describe()) }
                    <input type="text" data-testid="checkpoint-answer" value={answer.typed.clone()} oninput={on_type} disabled={revealed}
                           placeholder={kind.example()} />
                </label>
            }
        } else {
            c.choices
                .iter()
                .map(|v| {
                    let pressed = answer.chosen.as_ref() == Some(v);
                    html! {
                        <button type="button" class={classes!("choice", pressed.then_some("on"))} data-testid="checkpoint-choice" data-value={v.to_string()}
                                aria-pressed={pressed.to_string()} disabled={revealed} onclick={choose(v.clone())}>{ v.for_learner() }</button>
                    }
                })
                .collect::<Html>()
        };
        let has_answer = answer.chosen.is_some() || !answer.typed.trim().is_empty();
        let outcome = answer.revealed.as_ref().map(|r| {
            let correct = answer.correct;
            let engine = match (&r.actual, &r.error) {
                (Some(v), _) => format!("The engine's state at {} says: {}.", clock(Tick(r.at_ms)), v.for_learner()),
                (None, Some(e)) => format!("The engine could not answer at {}: {e}.", clock(Tick(r.at_ms))),
                (None, None) => String::new(),
            };
            let scripted = if r.actual.as_ref() != Some(&r.expected) {
                format!(" (The lesson expected {}: your run went differently.)", r.expected.for_learner())
            } else {
                String::new()
            };
            html! {
                <div ref={result_ref.clone()} class={classes!("reveal", if correct { "right" } else { "wrong" })} role="status" tabindex="-1"
                     data-testid="checkpoint-result" data-correct={correct.to_string()}>
                    <strong>{ if correct { "✓ Right." } else { "✗ Not quite." } }</strong>{ " " }{ engine }{ scripted }
                    { r.explain.as_ref().map(|x| html! { <p class="explain">{ x }</p> }).unwrap_or_default() }
                </div>
            }
        });
        html! {
            <div class="checkpoint" data-testid="checkpoint">
                <p class="question" data-testid="checkpoint-question">{ &c.question }</p>
                <div class="choices">{ input }</div>
                if !revealed {
                    <button type="button" class="primary" data-testid="checkpoint-check" disabled={!has_answer || !reached} onclick={on_check}
                            title={if reached { "See what the engine says" } else { "The run has not reached this moment yet" }}>{ "Check my answer" }</button>
                }
                // After the button: the problem takes a row of its own below, where it moves nothing
                // (before it, it pushed "Check my answer" onto a new row under the learner's pointer).
                { answer.problem.as_ref().map(|p| html! { <p class="notice error" role="alert">{ p }</p> }).unwrap_or_default() }
                { outcome.unwrap_or_default() }
            </div>
        }
    });

    let continue_label = match next_at {
        None => "End of the lesson",
        Some(at) if at <= now_ms => "Continue ▸",
        Some(_) if props.playing => "Playing…",
        Some(_) => "Continue ▸ (plays on)",
    };
    html! {
        // Each `{ }` below holds one node, present or empty, never `{ for … }`: Yew matches unkeyed
        // children from the end, so a question appearing as an extra child made it rebuild the head,
        // and the Continue button under the learner's focus with it (focus fell to the page's top).
        <section class="lesson" aria-label="Lesson" data-testid="lesson" data-step={current.to_string()} ref={section_ref}>
            <div class="lesson-head">
                <span class="lesson-section">{ lesson.section.title() }</span>
                <h2 class="lesson-title">{ &lesson.title }</h2>
                // One group, so a long title never leaves Continue alone on a row of its own.
                <div class="lesson-nav">
                    <label class="lesson-steps">{ "Step " }
                        <select data-testid="lesson-steps" onchange={on_menu} onkeydown={on_menu_key} aria-label="Go to a step">{ for options }</select>
                        { format!(" of {steps_len}") }
                    </label>
                    <button type="button" data-testid="lesson-back" onclick={on_back} disabled={*current == 0}>{ "◂ Back" }</button>
                    <button type="button" class="primary" data-testid="lesson-continue" onclick={on_continue} disabled={next_at.is_none()}>{ continue_label }</button>
                </div>
            </div>
            <p class="lesson-text" data-testid="lesson-step-text" aria-live="polite">
                <span class="at">{ clock(Tick(step.at_ms)) }</span>{ " " }{ &step.text }
            </p>
            { checkpoint.unwrap_or_default() }
        </section>
    }
}
