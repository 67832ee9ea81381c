//! Read-only markup built as text: the cluster picture, tables, the narration list, charts.
//!
//! Yew's `html!` generates code for every element it builds; for large read-only structures, one
//! string assigned at once is both far smaller in the shipped wasm and faster to render. Clicks on
//! such markup are handled by delegation: an element says what it stands for in `data-select`
//! (`broker:1`, `partition:4`, `producer:0`, `consumer:2`, `controller:0`) or `data-at-ms`, and one
//! listener on the container reads it. Everything a learner typed is escaped.

use crate::kafka::ids::{BrokerId, PartitionIndex};
use crate::ui::state::Selection;
use std::fmt::Write as _;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event};
use yew::{AttrValue, Html};

/// Text made safe inside an element or a double-quoted attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_escaped(&mut out, text);
    out
}

pub fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// A number for SVG coordinates with one decimal, without pulling float formatting into the wasm.
pub fn num(v: f64) -> String {
    let tenths = (v * 10.0).round() as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let t = tenths.abs();
    if t % 10 == 0 { format!("{sign}{}", t / 10) } else { format!("{sign}{}.{}", t / 10, t % 10) }
}

/// Markup as a Yew node.
pub fn raw(markup: String) -> Html {
    Html::from_html_unchecked(AttrValue::from(markup))
}

/// A table: a header row, then rows of already-escaped cells (the first cell is a row header).
pub fn table(class: &str, testid: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::new();
    let _ = write!(out, r#"<table class="grid {class}" data-testid="{testid}"><thead><tr>"#);
    for h in headers {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(out, r#"<th scope="row">{cell}</th>"#);
            } else {
                let _ = write!(out, "<td>{cell}</td>");
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// The `data-select` value for a selection.
pub fn select_attr(selection: Selection) -> String {
    match selection {
        Selection::None => "none".into(),
        Selection::Broker(b) => format!("broker:{b}"),
        Selection::Partition(p) => format!("partition:{}", p.0),
        Selection::Producer(i) => format!("producer:{i}"),
        Selection::Consumer(i) => format!("consumer:{i}"),
        Selection::Controller(i) => format!("controller:{i}"),
    }
}

pub fn parse_select(text: &str) -> Option<Selection> {
    let (kind, n) = text.split_once(':')?;
    let n: u32 = n.parse().ok()?;
    Some(match kind {
        "broker" => Selection::Broker(BrokerId(n)),
        "partition" => Selection::Partition(PartitionIndex(n)),
        "producer" => Selection::Producer(n),
        "consumer" => Selection::Consumer(n),
        "controller" => Selection::Controller(n),
        _ => return None,
    })
}

/// The nearest element (from the event's target up) carrying `attribute`, and its value.
pub fn closest_attr(e: &Event, attribute: &str) -> Option<(Element, String)> {
    let target = e.target()?.dyn_into::<Element>().ok()?;
    let found = target.closest(&format!("[{attribute}]")).ok()??;
    let value = found.get_attribute(attribute)?;
    Some((found, value))
}

/// What a delegated event is about: the selection of the nearest `data-select`.
pub fn selection_of(e: &Event) -> Option<(Element, Selection)> {
    let (element, value) = closest_attr(e, "data-select")?;
    parse_select(&value).map(|s| (element, s))
}
