//! Reduced motion: the messages on the wire as a table instead of moving dots (the same state the
//! animation draws), oldest first.

use crate::session::narrate::{clock, message_kind_label, node_name};
use crate::sim::Tick;
use crate::ui::lab::Lab;
use crate::ui::markup::{escape, raw, table};
use yew::prelude::*;

/// Rows shown at most.
const ROWS_MAX: usize = 40;

/// A view function, not a component: it is shown only in reduced-motion mode and refreshes with the
/// lab's panels anyway.
pub fn step_table(lab: &Lab) -> Html {
    let session = lab.session();
    let view = session.view();
    let scene = lab.scene();
    // In the order they were sent (close to the order they arrive).
    let flights: Vec<_> = session.flights().iter().collect();
    let total = flights.len();
    let records: u64 = flights.iter().map(|f| u64::from(f.records)).sum();
    let rows: Vec<Vec<String>> = flights
        .iter()
        .take(ROWS_MAX)
        .map(|f| {
            let partition = f.partition.and_then(|p| scene.structure.partition(p)).map_or_else(String::new, |p| escape(&p.name));
            vec![
                escape(&node_name(&view, f.from)),
                escape(&node_name(&view, f.to)),
                message_kind_label(f.kind).to_string(),
                f.records.to_string(),
                partition,
                clock(f.sent_at),
                clock(f.arrive_at),
            ]
        })
        .collect();
    let more = if total > ROWS_MAX { format!(r#"<p class="note">and {} more arriving later</p>"#, total - ROWS_MAX) } else { String::new() };
    let markup = format!(
        "<h3>On the wire at {}: {total} message{} carrying {records} record{}</h3>{}{more}",
        clock(Tick(session.now().ms())),
        if total == 1 { "" } else { "s" },
        if records == 1 { "" } else { "s" },
        table("", "step-rows", &["from", "to", "what", "records", "partition", "sent", "arrives"], &rows)
    );
    html! { <section class="step-table" data-testid="step-table" aria-label="Messages on the wire">{ raw(markup) }</section> }
}
