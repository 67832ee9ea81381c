//! Charts over time in plain SVG: produce and consume throughput, lag per group, ISR size and
//! under-replicated partitions. Clicking a chart jumps the timeline to that moment.

use crate::session::charts::Sample;
use crate::session::narrate::clock;
use crate::session::scene::OKABE_ITO;
use crate::sim::Tick;
use crate::ui::commands::{self, Dispatch};
use crate::ui::lab::Lab;
use crate::ui::markup::{closest_attr, escape, num, raw};
use std::fmt::Write as _;
use web_sys::MouseEvent;
use yew::prelude::*;

/// Seconds shown (the most recent, up to now).
const WINDOW_SECONDS: usize = 120;
const W: f64 = 300.0;
const H: f64 = 80.0;

#[derive(PartialEq)]
pub struct ChartsProps {
    pub lab: Lab,
    pub data_version: u64,
    pub dispatch: Dispatch,
}

struct Series {
    name: String,
    colour: &'static str,
    points: Vec<(u64, u64)>,
}

/// A chart's line per series, and a red marker at each guarantee the ledger saw broken (`marks`: the
/// moment and what broke), which jumps there when clicked.
fn chart(out: &mut String, title: &str, testid: &str, series: &[Series], marks: &[(u64, &str)], from_ms: u64, to_ms: u64) {
    let max = series.iter().flat_map(|s| s.points.iter().map(|p| p.1)).max().unwrap_or(0).max(1);
    let span = (to_ms.saturating_sub(from_ms)).max(1) as f64;
    let _ = write!(
        out,
        r#"<figure class="chart" data-testid="{testid}" data-from-ms="{from_ms}" data-to-ms="{to_ms}"><figcaption>{title}<span class="max">max {max}</span></figcaption><svg viewBox="0 0 300 80" preserveAspectRatio="none" role="img" aria-label="{title} from {} to {}"><rect class="chart-bg" x="0" y="0" width="300" height="80"/>"#,
        clock(Tick(from_ms)),
        clock(Tick(to_ms))
    );
    for s in series {
        let _ = write!(out, r#"<polyline fill="none" stroke="{}" stroke-width="1.8" vector-effect="non-scaling-stroke" points=""#, s.colour);
        for (t, v) in &s.points {
            let x = t.saturating_sub(from_ms) as f64 / span * W;
            let y = H - *v as f64 / max as f64 * (H - 4.0);
            let _ = write!(out, "{},{} ", num(x), num(y));
        }
        out.push_str(r#""/>"#);
    }
    // One marker where several would overlap (the first: the others follow it in the narration).
    let mut last_x = f64::NEG_INFINITY;
    for (at, what) in marks.iter().filter(|(at, _)| (from_ms..=to_ms).contains(at)) {
        let x = (at - from_ms) as f64 / span * W;
        if x - last_x < 3.0 {
            continue;
        }
        last_x = x;
        let _ = write!(out, r#"<rect class="violation" data-seek-ms="{at}" x="{}" y="0" width="3" height="80"><title>Guarantee broken: {} at {}: click to jump there</title></rect>"#, num(x - 1.5), escape(what), clock(Tick(*at)));
    }
    out.push_str(r#"</svg><div class="chart-legend">"#);
    for s in series {
        let last = s.points.last().map_or(0, |p| p.1);
        let _ = write!(out, r#"<span class="series"><span class="swatch" style="background:{}"></span>{} {last}</span>"#, s.colour, escape(&s.name));
    }
    out.push_str("</div></figure>");
}

/// A view function (not a component): it renders whenever the lab view does, and saves the wasm a
/// component's machinery (the 300 KB budget).
pub fn charts(props: &ChartsProps) -> Html {
    let session = props.lab.session();
    let now = session.now();
    let samples: Vec<&Sample> = session.charts().until(now).collect();
    let start = samples.len().saturating_sub(WINDOW_SECONDS + 1);
    let window = &samples[start..];
    let (from_ms, to_ms) = (window.first().map_or(0, |s| s.at.ms()), window.last().map_or(1, |s| s.at.ms()).max(1));
    let throughput = session.charts().throughput(now);
    let throughput = &throughput[throughput.len().saturating_sub(WINDOW_SECONDS)..];
    let series = |name: &str, colour: &'static str, f: &dyn Fn(&Sample) -> u64| Series { name: name.into(), colour, points: window.iter().map(|s| (s.at.ms(), f(s))).collect() };
    let produced = Series { name: "produced/s".into(), colour: OKABE_ITO[4], points: throughput.iter().map(|(t, p, _)| (t.ms(), *p)).collect() };
    let consumed = Series { name: "consumed/s".into(), colour: OKABE_ITO[5], points: throughput.iter().map(|(t, _, c)| (t.ms(), *c)).collect() };
    // Lag summed per group, in the order the picture shows them.
    let scene = props.lab.scene();
    let lag: Vec<Series> = scene
        .structure
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| series(&g.name, OKABE_ITO[i % 7], &|s: &Sample| g.members.iter().map(|c| s.lag.get(*c as usize).copied().unwrap_or(0)).sum()))
        .collect();
    // Borrowed: only the marks a chart draws are written out.
    let marks: Vec<(u64, &str)> = session.violations().map(|(at, what)| (at.ms(), what)).collect();
    let mut out = String::new();
    chart(&mut out, "Throughput (records/s)", "chart-throughput", &[produced, consumed], &marks, from_ms, to_ms);
    chart(&mut out, "Lag per group (records)", "chart-lag", &lag, &marks, from_ms, to_ms);
    chart(
        &mut out,
        // Kafka's broker metrics count every topic, internal ones (__consumer_offsets) included.
        "Replicas in sync (all topics, internal ones too)",
        "chart-isr",
        &[series("in ISRs", OKABE_ITO[2], &|s: &Sample| u64::from(s.isr_members)), series("replicas", "#8a949e", &|s: &Sample| u64::from(s.replicas))],
        &marks,
        from_ms,
        to_ms,
    );
    chart(
        &mut out,
        "Partitions under-replicated / offline (all topics, internal ones too)",
        "chart-urp",
        &[series("under-replicated", OKABE_ITO[5], &|s: &Sample| u64::from(s.under_replicated)), series("offline", "#000000", &|s: &Sample| u64::from(s.offline))],
        &marks,
        from_ms,
        to_ms,
    );
    let (lab, d) = (props.lab.clone(), props.dispatch.clone());
    let onclick = Callback::from(move |e: MouseEvent| {
        // A locked embed plays by itself (see the narration's lines).
        if lab.embed.lock {
            return;
        }
        // A breach's marker jumps to its moment, where the narration tells what caused it; elsewhere
        // the chart jumps to the moment under the pointer.
        if let Some((_, at)) = closest_attr(&e, "data-seek-ms")
            && let Ok(at) = at.parse::<u64>()
        {
            return commands::jump(&lab, &d, at);
        }
        let Some((figure, from)) = closest_attr(&e, "data-from-ms") else { return };
        let (Ok(from), Some(Ok(to))) = (from.parse::<u64>(), figure.get_attribute("data-to-ms").map(|t| t.parse::<u64>())) else { return };
        let Some(svg) = figure.query_selector("svg").ok().flatten() else { return };
        let r = svg.get_bounding_client_rect();
        let fraction = ((e.client_x() as f64 - r.left()) / r.width().max(1.0)).clamp(0.0, 1.0);
        commands::jump(&lab, &d, from + (fraction * (to - from) as f64) as u64);
    });
    html! {
        <section class="charts" aria-label="Charts">
            <div class="chart-list" {onclick}>{ raw(out) }</div>
            <p class="note">{ "One point per simulated second; click a chart to jump there. A red mark is a guarantee broken: click it to see why." }</p>
        </section>
    }
}
