//! The keyboard shortcuts of [`crate::ui::keys`], on the whole page. Typing in a field, or pressing
//! Space or Enter on a button, keeps its usual meaning.

use crate::kafka::ids::BrokerId;
use crate::kafka::world::Action;
use crate::scenario::player::next_stop_ms;
use crate::ui::commands::{self, Dispatch};
use crate::ui::components::context_menu::focus_later;
use crate::ui::focus::{Move, move_focus};
use crate::ui::keys::{Command, command_for, works_when_locked};
use crate::ui::lab::Lab;
use crate::ui::state::{Selection, Tab, UiAction, UiState};
use gloo::events::{EventListener, EventListenerOptions};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

/// Speed slider positions per press of `[` or `]` (a quarter of a decade).
const SPEED_NUDGE: i32 = 25;

#[hook]
pub fn use_keyboard(lab: Lab, dispatch: Dispatch, latest: Rc<RefCell<Rc<UiState>>>) {
    use_effect_with(lab, move |lab| {
        let lab = lab.clone();
        // Not passive: shortcuts prevent the browser's default (Space scrolling the page).
        let options = EventListenerOptions::enable_prevent_default();
        let listener = EventListener::new_with_options(&gloo::utils::document(), "keydown", options, move |e| {
            let Some(e) = e.dyn_ref::<KeyboardEvent>() else { return };
            let key = e.key();
            let target = e.target().and_then(|t| t.dyn_into::<Element>().ok());
            let tag = target.as_ref().map(|t| t.tag_name().to_ascii_lowercase()).unwrap_or_default();
            // The timeline slider steps by the millisecond, which an arrow key would move by: there
            // the arrows, Home and End do what the shortcut list says (a second, ten, the ends).
            let on_timeline = target.as_ref().is_some_and(|t| t.get_attribute("data-testid").is_some_and(|id| id == "timeline"));
            let timeline_key = on_timeline && matches!(key.as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End");
            let typing = !timeline_key
                && (matches!(tag.as_str(), "input" | "textarea" | "select") || target.as_ref().is_some_and(|t| t.has_attribute("contenteditable")));
            if typing && key != "Escape" {
                return;
            }
            // The side tabs follow the ARIA tabs pattern: the arrows, Home and End choose a tab
            // (and would otherwise move the run a second while a learner only meant to change panels).
            // A locked embed has no tabs to choose (its Act tab is hidden, not gone).
            if let Some(tab) = target.as_ref().filter(|t| !lab.embed.lock && t.get_attribute("role").is_some_and(|r| r == "tab")) {
                if let Some(to) = Move::for_key(&key, "ArrowRight", "ArrowLeft") {
                    e.prevent_default();
                    if let Some(list) = tab.parent_element()
                        && let Some(chosen) = move_focus(&list, "[role=tab]", to)
                    {
                        chosen.click();
                    }
                    return;
                }
            }
            let on_button = tag == "button" || target.as_ref().is_some_and(|t| t.get_attribute("role").is_some_and(|r| r == "button" || r == "menuitem" || r == "tab"));
            if on_button && (key == " " || key == "Enter") {
                return;
            }
            let Some(command) = command_for(&key, e.shift_key(), e.ctrl_key() || e.alt_key() || e.meta_key()) else { return };
            let state = latest.borrow().clone();
            if (state.help_open || state.share_open) && !matches!(command, Command::Help | Command::Escape) {
                return;
            }
            // A locked embed plays by itself: keys may open help, nothing else.
            if lab.embed.lock && !works_when_locked(command) {
                return;
            }
            e.prevent_default();
            run(command, &lab, &dispatch, &state);
        });
        move || drop(listener)
    });
}

fn selected_broker(lab: &Lab, selection: Selection) -> Option<BrokerId> {
    match selection {
        Selection::Broker(b) => Some(b),
        Selection::Partition(p) => lab.scene().structure.partition(p).and_then(|x| x.leader),
        _ => None,
    }
}

/// Where a jump forward must stop in a lesson: its next stop, the moment playing would stop at (the
/// next step after now, else the lesson's end). Every step stops, so a key that jumps never carries
/// the learner past a step and its question unseen, as Continue and Play never do. `None` outside a
/// lesson, past its end, and where the player is hidden or the run plays through (a looping embed).
fn lesson_stop(lab: &Lab) -> Option<u64> {
    let lesson = lab.lesson.as_ref().filter(|l| !l.steps.is_empty() && !lab.embed.hides("lesson") && !lab.embed.loop_run)?;
    // The player's own next stop knows its step; until it set one (a seek just cleared it), the
    // lesson gives the same moment: the first step after now, as the steps are in time order.
    // It is now itself when the next step shares the moment of the step shown.
    let now = lab.session().now().ms();
    lab.signals.borrow().pause_at_ms.filter(|&p| p >= now).or_else(|| next_stop_ms(lesson, None, now))
}

/// When a step waits at this very moment (it shares the moment of the step shown), a jump shows it, as
/// Continue would, and moves nowhere. Returns whether one did.
fn show_waiting_step(lab: &Lab) -> bool {
    let waiting = lesson_stop(lab) == Some(lab.session().now().ms());
    if waiting {
        lab.reach_stop();
    }
    waiting
}

/// Moves forward to `to_ms`, in a lesson no further than its next stop.
fn jump_forward(lab: &Lab, d: &Dispatch, to_ms: u64) {
    if show_waiting_step(lab) {
        return;
    }
    let to = lesson_stop(lab).map_or(to_ms, |stop| to_ms.min(stop));
    commands::seek(lab, d, to);
}

/// Runs a step (`.` or `n`) and, in a lesson, comes back to its next stop when the step went past it:
/// the quiet stretch before the next event or narrated line may hold a lesson step.
fn step_within_lesson(lab: &Lab, d: &Dispatch, step: impl FnOnce()) {
    if show_waiting_step(lab) {
        return;
    }
    let stop = lesson_stop(lab);
    step();
    // Read apart from the seek: the session's borrow must end before the seek moves it.
    let now = lab.session().now().ms();
    if let Some(stop) = stop.filter(|&stop| now > stop) {
        commands::seek(lab, d, stop);
    }
}

fn run(command: Command, lab: &Lab, d: &Dispatch, state: &UiState) {
    match command {
        Command::TogglePlay => d.dispatch(UiAction::TogglePlay),
        Command::StepEvent => step_within_lesson(lab, d, || commands::step_event(lab, d)),
        Command::StepNarrated => step_within_lesson(lab, d, || commands::step_narrated(lab, d, &state.categories)),
        Command::Slower => d.dispatch(UiAction::NudgeSpeed(-SPEED_NUDGE)),
        Command::Faster => d.dispatch(UiAction::NudgeSpeed(SPEED_NUDGE)),
        Command::ToggleAsFastAsPossible => d.dispatch(UiAction::ToggleAsFastAsPossible),
        Command::Back => commands::nudge(lab, d, -1_000),
        Command::Forward => jump_forward(lab, d, commands::now(lab).ms() + 1_000),
        Command::BackLong => commands::nudge(lab, d, -10_000),
        Command::ForwardLong => jump_forward(lab, d, commands::now(lab).ms() + 10_000),
        Command::ToStart => commands::rewind_to_start(lab, d),
        Command::ToEnd => {
            // Read first: the session's borrow must end before the jump moves it.
            let horizon = lab.session().horizon().ms();
            jump_forward(lab, d, horizon);
        }
        Command::Restart => commands::restart(lab, d, false),
        Command::RestartNewSeed => commands::restart(lab, d, true),
        Command::Produce => {
            let producer = match state.selection {
                Selection::Producer(i) => Some(i),
                _ => lab.scene().structure.producers.first().map(|p| p.index),
            };
            match producer {
                Some(i) => {
                    d.dispatch(UiAction::Inspect(Selection::Producer(i)));
                    focus_later("produce-key");
                }
                None => commands::notify_error(d, "There is no producer: add one in the Act tab."),
            }
        }
        Command::KillSelected | Command::KillSelectedPowerLoss => match selected_broker(lab, state.selection) {
            Some(b) => {
                commands::act(lab, d, Action::KillBroker { broker: b.0, lose_page_cache: command == Command::KillSelectedPowerLoss });
            }
            None => commands::notify_error(d, "Select a broker (or a partition, to kill its leader) first: click it, or Tab to it and press Enter."),
        },
        Command::RestartSelected => match state.selection {
            Selection::Consumer(i) => {
                let name = lab.session().view().consumers().get(i as usize).map(|c| c.name.to_string());
                if let Some(consumer) = name {
                    commands::act(lab, d, Action::RestartConsumer { consumer });
                }
            }
            Selection::Broker(b) => {
                commands::act(lab, d, Action::RestartBroker { broker: b.0 });
            }
            _ => commands::notify_error(d, "Select a broker or a consumer to restart first."),
        },
        Command::CrashSelectedConsumer => match state.selection {
            Selection::Consumer(i) => {
                let name = lab.session().view().consumers().get(i as usize).map(|c| c.name.to_string());
                if let Some(consumer) = name {
                    commands::act(lab, d, Action::CrashConsumer { consumer });
                }
            }
            _ => commands::notify_error(d, "Select a consumer first: click it, or Tab to it and press Enter."),
        },
        Command::AddBroker => {
            let id = lab.session().view().brokers().map(|b| b.id.0).max().unwrap_or(0) + 1;
            commands::act(lab, d, Action::AddBroker { id, rack: None });
        }
        Command::HealNetwork => {
            commands::act(lab, d, Action::HealNetwork { cut: None });
        }
        Command::ToggleReducedMotion => d.dispatch(UiAction::ToggleReducedMotion),
        Command::InspectTab => d.dispatch(UiAction::SetTab(Tab::Inspect)),
        Command::ConsumersTab => d.dispatch(UiAction::SetTab(Tab::Consumers)),
        Command::ActTab => d.dispatch(UiAction::SetTab(Tab::Act)),
        Command::ChartsTab => d.dispatch(UiAction::SetTab(Tab::Charts)),
        Command::Help => d.dispatch(UiAction::ToggleHelp),
        Command::Escape => {
            // The Lessons menu closes too, as the shortcut list says menus do, and the focus goes back
            // to its "Lessons" (a click outside closes it as well: `lab_view`).
            if let Ok(Some(menu)) = gloo::utils::document().query_selector(".lessons-menu[open]") {
                menu.remove_attribute("open").ok();
                if let Ok(Some(summary)) = menu.query_selector("summary") {
                    summary.unchecked_into::<web_sys::HtmlElement>().focus().ok();
                }
            }
            d.dispatch(UiAction::Escape);
        }
    }
}
