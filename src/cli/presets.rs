//! `kafka-lab presets`: the built-in lessons' ids.

use super::Io;
use crate::scenario::library::presets;
use lexopt::Arg;
use std::ffi::OsString;

const PRESETS_USAGE: &str = "\
Usage: kafka-lab presets [--json]

Lists the built-in lessons' ids, one per line, in the lesson index's order (run one with
`kafka-lab run --preset ID`; link to one as #preset=ID). --json prints
[{\"id\", \"title\", \"section\", \"summary\"}, …].
";

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut json = false;
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        match parser.next() {
            Ok(None) => break,
            Ok(Some(Arg::Long("help") | Arg::Short('h'))) => {
                let _ = write!(io.out, "{PRESETS_USAGE}");
                return 0;
            }
            Ok(Some(Arg::Long("json"))) => json = true,
            Ok(Some(other)) => return io.usage_error(PRESETS_USAGE, other.unexpected()),
            Err(e) => return io.usage_error(PRESETS_USAGE, e),
        }
    }
    let index = presets();
    if json {
        let list: Vec<serde_json::Value> = index
            .iter()
            .map(|p| serde_json::json!({"id": p.id, "title": p.title, "section": p.section.title(), "summary": p.summary}))
            .collect();
        let _ = writeln!(io.out, "{}", serde_json::Value::Array(list));
    } else {
        for p in &index {
            let _ = writeln!(io.out, "{}", p.id);
        }
    }
    0
}
