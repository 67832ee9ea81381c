//! `kafka-lab link`: makes a share link for a scenario, or opens one back into a scenario file.

use super::run::ScenarioSource;
use super::{EXIT_USAGE, Io};
use crate::scenario::link::{DEFAULT_BASE_URL, LINK_DOWNLOAD_THRESHOLD, RunSource, SharedRun, decode_link, encode_link, lesson_fingerprint};
use crate::scenario::validate::DURATION_MS_MAX;
use crate::scenario::{to_json, to_toml};
use lexopt::Arg;
use std::ffi::OsString;

const LINK_USAGE: &str = "\
Usage: kafka-lab link (FILE | --preset ID) [--base URL] [--at-ms T]
       kafka-lab link --decode URL [--json]

The first form prints a share URL for a scenario file (carried whole) or a built-in lesson (carried
by id), opening at moment T (default 0). The default base is http://127.0.0.1:8080/.
The second form prints the run a link carries (its scenario with the learner's seed and actions) as a
scenario file `kafka-lab run` accepts: TOML, or JSON with --json. A link that cannot be opened exits 2
with the problem on standard error.
";

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut source = ScenarioSource { file: None, preset: None };
    let mut base = DEFAULT_BASE_URL.to_string();
    let mut decode: Option<String> = None;
    let mut json = false;
    let mut at_ms = 0u64;
    let mut seen = super::FlagsSeen::default();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => return io.usage_error(LINK_USAGE, e),
        };
        if let Err(twice) = seen.first(&arg) {
            return io.usage_error(LINK_USAGE, twice);
        }
        let value = |parser: &mut lexopt::Parser| parser.value().map(|v| v.to_string_lossy().into_owned());
        match arg {
            Arg::Long("help") | Arg::Short('h') => {
                let _ = write!(io.out, "{LINK_USAGE}");
                return 0;
            }
            Arg::Long("json") => json = true,
            Arg::Long("preset") => match value(&mut parser) {
                Ok(v) => source.preset = Some(v),
                Err(e) => return io.usage_error(LINK_USAGE, e),
            },
            Arg::Long("base") => match value(&mut parser) {
                Ok(v) => match base_problem(&v) {
                    None => base = v,
                    Some(problem) => return io.usage_error(LINK_USAGE, problem),
                },
                Err(e) => return io.usage_error(LINK_USAGE, e),
            },
            Arg::Long("decode") => match value(&mut parser) {
                Ok(v) => decode = Some(v),
                Err(e) => return io.usage_error(LINK_USAGE, e),
            },
            Arg::Long("at-ms") => match value(&mut parser) {
                Ok(v) => match v.trim().parse::<u64>() {
                    Ok(t) if t <= DURATION_MS_MAX => at_ms = t,
                    _ => return io.usage_error(LINK_USAGE, format!("--at-ms: '{v}' is not a moment from 0 to {DURATION_MS_MAX} ms")),
                },
                Err(e) => return io.usage_error(LINK_USAGE, e),
            },
            Arg::Value(file) if source.file.is_none() => source.file = Some(file.to_string_lossy().into_owned()),
            other => return io.usage_error(LINK_USAGE, other.unexpected()),
        }
    }
    match decode {
        Some(link) => {
            if source.file.is_some() || source.preset.is_some() {
                return io.usage_error(LINK_USAGE, "--decode takes a link, not a FILE or --preset.");
            }
            print_decoded(&link, json, io)
        }
        None => print_encoded(&source, &base, at_ms, io),
    }
}

/// Why a base URL would make links that open a broken page, if it would. The page loads its files
/// relative to its own address, so `http://host/course/kafka` (no final `/`) would load
/// `http://host/course/kafka-lab-web….wasm`, which is not there. A base ending in `/`, or naming a
/// file such as `index.html`, is fine.
fn base_problem(base: &str) -> Option<String> {
    let path = base.split(['?', '#']).next().unwrap_or(base);
    let last = path.rsplit('/').next().unwrap_or(path);
    let host_only = path.split("://").nth(1).is_some_and(|rest| !rest.contains('/'));
    if path.ends_with('/') || host_only || last.contains('.') {
        return None;
    }
    Some(format!(
        "--base: '{base}' does not end with '/': the page finds its files next to its own address, so links to it would open a broken page. Use '{path}/' (or the page's own file, such as '{path}/index.html')."
    ))
}

/// The link to one of the lab's own runs (`demo`, `stress`): they are not lessons, so the link names
/// them as the page does, `#preset=<id>`, with the moment as the page's `at=` option.
fn builtin_link(id: &str, base: &str, at_ms: u64) -> String {
    let base = base.split('#').next().unwrap_or(base);
    match at_ms {
        0 => format!("{base}#preset={id}"),
        at if base.contains('?') => format!("{base}&at={at}#preset={id}"),
        at => format!("{base}?at={at}#preset={id}"),
    }
}

fn print_encoded(source: &ScenarioSource, base: &str, at_ms: u64, io: &mut Io) -> i32 {
    if let Some(id) = source.preset.as_deref().filter(|id| crate::session::presets::PRESET_IDS.contains(id)) {
        let _ = writeln!(io.out, "{}", builtin_link(id, base, at_ms));
        return 0;
    }
    let scenario = match source.load(LINK_USAGE, io) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut shared = match &source.preset {
        Some(id) => {
            let lesson = Some(lesson_fingerprint(&scenario));
            SharedRun { source: RunSource::Preset(id.clone()), seed: scenario.seed, actions: Vec::new(), at_ms: 0, step: None, lesson }
        }
        None => SharedRun::inline(scenario),
    };
    shared.at_ms = at_ms;
    // The link must open as it is made: a moment past a lesson's end stretches it, within the limits.
    if let Err(e) = shared.scenario() {
        return io.input_error(e);
    }
    let url = encode_link(&shared, base);
    let _ = writeln!(io.out, "{url}");
    if url.len() > LINK_DOWNLOAD_THRESHOLD {
        let _ = writeln!(
            io.err,
            "kafka-lab: this link has {} characters (more than {LINK_DOWNLOAD_THRESHOLD}): share the scenario file instead",
            url.len()
        );
    }
    0
}

fn print_decoded(link: &str, json: bool, io: &mut Io) -> i32 {
    let shared = match decode_link(link) {
        Ok(run) => run,
        Err(e) => {
            let _ = writeln!(io.err, "kafka-lab: {e}");
            return EXIT_USAGE;
        }
    };
    let scenario = match shared.scenario() {
        Ok(s) => s,
        Err(e) => {
            let _ = writeln!(io.err, "kafka-lab: {e}");
            return EXIT_USAGE;
        }
    };
    if let Some(changed) = shared.lesson_changed() {
        let _ = writeln!(io.err, "kafka-lab: warning: {changed}");
    }
    if json {
        let _ = writeln!(io.out, "{}", to_json(&scenario));
        return 0;
    }
    match to_toml(&scenario) {
        Ok(text) => {
            let origin = match &shared.source {
                RunSource::Preset(id) => format!("the lesson '{id}'"),
                RunSource::Inline(_) => "a scenario carried whole".to_string(),
            };
            let _ = writeln!(io.out, "# Opened from a kafka-lab link: {origin}, seed {}, {} action(s) of the learner's.", shared.seed, shared.actions.len());
            let _ = writeln!(io.out, "# The link opens at {} ms: `kafka-lab run FILE --until-ms {}` stops there.\n", shared.at_ms, shared.at_ms);
            let _ = write!(io.out, "{text}");
            0
        }
        Err(e) => io.input_error(e),
    }
}
