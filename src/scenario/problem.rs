//! A problem in a scenario: where it is and which rule it breaks, in words a course author can act on.

use std::fmt;

/// One problem: `steps[2].checkpoint.probe.topic: no topic named 'order'`.
///
/// `path` names the field as the scenario file writes it (keys joined by `.`, list items as `[i]`,
/// keys with dots in quotes: `cluster.broker_config."min.insync.replicas"`). A problem in the text
/// itself (a TOML or JSON syntax error) names its place instead: `line 3, column 7`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Problem {
    pub path: String,
    pub rule: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, rule: impl Into<String>) -> Problem {
        Problem { path: path.into(), rule: rule.into() }
    }

    /// The same problem under a parent path (`topics[0]` becomes `cluster.topics[0]`).
    pub fn under(mut self, parent: &str) -> Problem {
        self.path = if self.path.is_empty() {
            parent.to_string()
        } else if parent.is_empty() {
            self.path
        } else {
            format!("{parent}.{}", self.path)
        };
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() { f.write_str(&self.rule) } else { write!(f, "{}: {}", self.path, self.rule) }
    }
}

/// Every problem found, in the order of the file. Never empty when returned as an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn one(path: impl Into<String>, rule: impl Into<String>) -> Problems {
        Problems(vec![Problem::new(path, rule)])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Problems {
    /// One problem per line, `path: rule`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

pub use crate::kafka::tagged::{index_path, key_path};

/// The known name nearest to a misspelt one, when it is close (at most 2 edits or a third of it).
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    known.into_iter().map(|k| (edit_distance(word, k), k)).filter(|(d, _)| *d <= limit).min().map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_kafka_config_names() {
        assert_eq!(key_path("cluster.broker_config", "min.insync.replicas"), "cluster.broker_config.\"min.insync.replicas\"");
        assert_eq!(index_path("steps", 2), "steps[2]");
        assert_eq!(key_path("", "seed"), "seed");
        assert_eq!(Problem::new("topics[0].replication_factor", "4 exceeds the 3 brokers").under("cluster").to_string(), "cluster.topics[0].replication_factor: 4 exceeds the 3 brokers");
    }

    #[test]
    fn a_misspelt_name_finds_its_neighbour() {
        assert_eq!(did_you_mean("duraton_ms", ["duration_ms", "seed"]), Some("duration_ms"));
        assert_eq!(did_you_mean("colour", ["duration_ms", "seed"]), None);
    }
}
