//! The narration panel: what happened and why, newest first, filterable by category; each line jumps
//! the timeline to its moment. A polite live region reads new lines to screen readers.

use crate::session::narrate::{Category, Severity, announcement, clock};
use crate::ui::commands::{self, Dispatch};
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, escape, parse_select, raw};
use crate::ui::state::UiAction;
use std::fmt::Write as _;
use yew::prelude::*;

/// Lines shown at most (the session keeps more; the filter reaches them).
const LINES_SHOWN: usize = 60;

#[derive(PartialEq)]
pub struct NarrationProps {
    pub lab: Lab,
    pub data_version: u64,
    pub categories: Vec<Category>,
    pub dispatch: Dispatch,
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn narration(props: &NarrationProps) -> Html {
    let session = props.lab.session();
    let lines = session.narration_now(&props.categories, LINES_SHOWN);
    // The lines shown that came since the live region last spoke, when the run has moved on (not
    // after a rewind). Kept by the newest line of every category, so that a filter turned on or off
    // does not read old lines again.
    let newest = {
        let mut signals = props.lab.signals.borrow_mut();
        let (said, _) = signals.announced;
        let newest_seq = session.narration_now(&Category::ALL, 1).last().map(|l| l.seq);
        if newest_seq != said {
            let since = lines.iter().position(|l| said.is_none_or(|s| l.seq > s)).unwrap_or(lines.len());
            let text = if newest_seq > said { announcement(&lines[since..]) } else { String::new() };
            signals.announced = (newest_seq, text);
        }
        signals.announced.1.clone()
    };
    let mut filters = String::new();
    for c in Category::ALL {
        let on = props.categories.contains(&c);
        let _ = write!(
            filters,
            r#"<button type="button" class="filter{}" aria-pressed="{on}" data-category="{}" data-testid="filter-{}">{}</button>"#,
            if on { " on" } else { "" },
            c.id(),
            c.id(),
            c.label()
        );
    }
    filters.push_str(r#"<button type="button" class="filter" data-category="all">All</button>"#);
    let d = props.dispatch.clone();
    let filter = Callback::from(move |e: MouseEvent| {
        let Some((_, id)) = closest_attr(&e, "data-category") else { return };
        match Category::ALL.iter().find(|c| c.id() == id) {
            Some(c) => d.dispatch(UiAction::ToggleCategory(*c)),
            None => d.dispatch(UiAction::ShowAllCategories),
        }
    });
    let mut items = String::new();
    for line in lines.iter().rev() {
        let warning = if line.severity == Severity::Warning { " warning" } else { "" };
        let select = line.partition.map_or_else(String::new, |p| format!(r#" data-partition="partition:{}""#, p.0));
        let _ = write!(
            items,
            r#"<li class="line {0}{warning}" data-category="{0}"><button type="button" data-seq="{1}" data-at-ms="{2}"{select} title="Jump the timeline here"><time>{3}</time><span class="category">{4}</span><span class="text">{5}</span>"#,
            line.category.id(),
            line.seq,
            line.at.ms(),
            clock(line.at),
            line.category.label(),
            escape(&line.text)
        );
        // Counted up to now: after a rewind the rest of the fold has not happened yet.
        let repeats = session.repeats_now(line);
        if repeats > 1 {
            // Folded lines are events of one kind within a second (36 partitions rolling a segment),
            // not one event repeated: the line shows the first, and says how many more there were.
            let more = repeats - 1;
            let _ = write!(
                items,
                r#"<span class="repeats" title="{repeats} events of this kind within a second, folded into one line: the first is shown">+{more} like it</span>"#
            );
        }
        items.push_str("</button></li>");
    }
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let jump = Callback::from(move |e: MouseEvent| {
        // A locked embed plays by itself: a click on a line must not pause it where nothing resumes it.
        if lab.embed.lock {
            return;
        }
        let Some((element, at)) = closest_attr(&e, "data-at-ms") else { return };
        let Ok(at) = at.parse::<u64>() else { return };
        commands::jump(&lab, &d, at);
        if let Some(target) = element.get_attribute("data-partition").and_then(|p| parse_select(&p)) {
            d.dispatch(UiAction::Select(target));
        }
    });
    html! {
        <section class="narration" aria-label="Narration">
            <div class="narration-head">
                <h2>{ "What happened" }</h2>
                <div class="filters" role="group" aria-label="Show categories" onclick={filter}>{ raw(filters) }</div>
            </div>
            <ol class="lines" data-testid="narration-lines" onclick={jump}>{ raw(items) }</ol>
            { if lines.is_empty() { html! { <p class="empty">{ "Nothing to tell yet: press Play." }</p> } } else { html! {} } }
            <div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="narration-live">{ newest }</div>
        </section>
    }
}
