use kafka_lab::kafka::world::World;
use kafka_lab::sim::Tick;
use std::collections::BTreeMap;
fn main() {
    let mut w = World::new(&kafka_lab::bench::reference_spec(), 42).unwrap();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut t = 0;
    while t < 10_000 { t += 100; w.run_until(Tick(t));
        while let Some(e) = w.poll_event() {
            let name = format!("{:?}", e.kind); let name = name.split(|c: char| !c.is_alphanumeric()).next().unwrap().to_string();
            let name = if let kafka_lab::kafka::world::EventKind::MessageSent { kind, .. } = e.kind { format!("Sent/{kind:?}") } else { name };
            *counts.entry(name).or_default() += 1; } }
    let mut v: Vec<_> = counts.into_iter().collect(); v.sort_by_key(|x| std::cmp::Reverse(x.1));
    for (k, n) in v { println!("{n:>9} {k}"); }
}
