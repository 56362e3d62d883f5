//! What the benches share: the two payloads, a way to run a Router request
//! without a runtime in the way, and the ratio report read back from
//! criterion's own estimates.
#![allow(dead_code)]

pub(crate) mod apps;

use std::fmt::Write as _;
use std::future::Future;
use std::path::PathBuf;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The session the typed rows read and write. Its JSON is exactly the bench
/// payloads (they are built from it), so the map rows and the typed rows read
/// the same cookies and differ only in the view they take of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BenchSession {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub roles: Vec<String>,
    pub csrf: String,
    pub theme: String,
    pub lang: String,
    pub login_at: u64,
    pub visits: u64,
    /// Only the large payload has it; left out of the small one's JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recent: Vec<String>,
}

/// A typical logged-in user: about 180 bytes of JSON.
pub(crate) fn small_session() -> BenchSession {
    BenchSession {
        id: 42,
        name: "mike".into(),
        email: "mike@example.com".into(),
        roles: vec!["admin".into(), "editor".into()],
        csrf: "9f86d081884c7d659a2feaa0c55ad015".into(),
        theme: "dark".into(),
        lang: "en".into(),
        login_at: 1_764_000_000,
        visits: 7,
        recent: Vec::new(),
    }
}

/// The small session plus the pages recently viewed: about 2.5 KB of JSON.
pub(crate) fn large_session() -> BenchSession {
    let recent = (0..42)
        .map(|i| {
            format!(
                "/catalog/category-{}/product-{i:05}?ref=recently-viewed",
                i % 7
            )
        })
        .collect();
    BenchSession {
        recent,
        ..small_session()
    }
}

fn object_of(session: &BenchSession) -> Map<String, Value> {
    match serde_json::to_value(session) {
        Ok(Value::Object(map)) => map,
        _ => unreachable!("a struct serializes to a JSON object"),
    }
}

/// The small session as the map view sees it.
pub(crate) fn small_payload() -> Map<String, Value> {
    object_of(&small_session())
}

/// The large session as the map view sees it.
pub(crate) fn large_payload() -> Map<String, Value> {
    object_of(&large_session())
}

/// The payloads by name, with their JSON size.
pub(crate) fn payloads() -> [(&'static str, Map<String, Value>); 2] {
    [("small", small_payload()), ("large", large_payload())]
}

pub(crate) fn json_len(payload: &Map<String, Value>) -> usize {
    serde_json::to_vec(payload).map_or(0, |json| json.len())
}

/// Runs a future that completes without waiting (an in-process Router
/// request), polling it on this thread: no runtime's scheduling in the figures.
pub(crate) fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
    panic!("the future kept waiting: it needs a runtime");
}

/// One row of criterion's estimates, in nanoseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Estimate {
    pub median: f64,
    /// The median absolute deviation.
    pub mad: f64,
}

fn criterion_dir() -> PathBuf {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    target.join("criterion")
}

/// The estimate criterion saved for `group/bench` in this run.
pub(crate) fn estimate(id: &str) -> Option<Estimate> {
    let path = criterion_dir().join(id).join("new").join("estimates.json");
    let json: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    Some(Estimate {
        median: json["median"]["point_estimate"].as_f64()?,
        mad: json["median_abs_dev"]["point_estimate"].as_f64()?,
    })
}

/// Criterion's directory name for a benchmark id (it replaces `/` in names).
pub(crate) fn id(group: &str, bench: &str) -> String {
    format!("{group}/{bench}")
}

/// A named routine to time.
pub(crate) type Routine<'a> = (String, Box<dyn FnMut() + 'a>);

/// Medians, in nanoseconds per call, of routines timed round-robin: in each
/// of `rounds` rounds every routine runs a batch of calls. A machine whose
/// speed drifts during the run (shared cores, frequency changes) then slows
/// every routine alike, so their ratios stay true even when criterion's
/// one-after-the-other figures drift apart.
pub(crate) fn interleaved(routines: &mut [Routine<'_>], rounds: usize) -> Vec<(String, f64)> {
    // Batches of about 2 ms, sized from one timed call each.
    let batches: Vec<usize> = routines
        .iter_mut()
        .map(|(_, routine)| {
            let start = std::time::Instant::now();
            routine();
            let once = start.elapsed().as_nanos().max(1);
            usize::try_from(2_000_000 / once)
                .unwrap_or(1)
                .clamp(1, 100_000)
        })
        .collect();
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); routines.len()];
    for _ in 0..rounds {
        for (index, (_, routine)) in routines.iter_mut().enumerate() {
            let start = std::time::Instant::now();
            for _ in 0..batches[index] {
                routine();
            }
            samples[index].push(start.elapsed().as_nanos() as f64 / batches[index] as f64);
        }
    }
    routines
        .iter()
        .zip(samples)
        .map(|((name, _), mut samples)| {
            samples.sort_by(f64::total_cmp);
            (name.clone(), samples[samples.len() / 2])
        })
        .collect()
}

/// The report of one bench: per payload, a table of every row (criterion's
/// median ± MAD, the interleaved median, and its ratio to the first row),
/// then each target ratio, computed from the interleaved medians, with
/// whether it holds. Printed, and saved next to criterion's output as
/// `<name>.md` for BENCHMARKS.md.
pub(crate) struct Report {
    name: &'static str,
    out: String,
    interleaved: Vec<(String, f64)>,
    failures: usize,
}

impl Report {
    pub(crate) fn new(name: &'static str) -> Self {
        Self {
            name,
            out: String::new(),
            interleaved: Vec::new(),
            failures: 0,
        }
    }

    fn interleaved(&self, id: &str) -> Option<f64> {
        self.interleaved
            .iter()
            .find(|(row, _)| row == id)
            .map(|(_, ns)| *ns)
    }

    /// Times `routines` (named by bench) round-robin and adds their table
    /// for one payload of a group.
    pub(crate) fn measure(
        &mut self,
        group: &str,
        payload: &Map<String, Value>,
        routines: Vec<Routine<'_>>,
    ) {
        let mut routines: Vec<Routine<'_>> = routines
            .into_iter()
            .map(|(bench, routine)| (id(group, &bench), routine))
            .collect();
        let medians = interleaved(&mut routines, 30);
        let name = group.rsplit('-').next().unwrap_or(group);
        self.table(
            &format!("{name} payload ({} bytes of JSON)", json_len(payload)),
            medians,
        );
    }

    /// One table; `rows` are ids (`group/bench`) with their interleaved medians.
    pub(crate) fn table(&mut self, title: &str, rows: Vec<(String, f64)>) {
        let base = rows.first().map(|(id, ns)| (short(id).to_owned(), *ns));
        let _ = writeln!(self.out, "\n### {title}\n");
        let base_name = base.as_ref().map_or("", |(name, _)| name.as_str());
        let _ = writeln!(
            self.out,
            "| row | criterion median | ± MAD | interleaved median | × {base_name} |"
        );
        let _ = writeln!(self.out, "|---|---:|---:|---:|---:|");
        for (id, ns) in &rows {
            let (median, mad) = estimate(id).map_or(("not run".into(), String::new()), |e| {
                (time(e.median), time(e.mad))
            });
            let ratio = base.as_ref().map_or(f64::NAN, |(_, base)| ns / base);
            let _ = writeln!(
                self.out,
                "| {} | {median} | {mad} | {} | {ratio:.2} |",
                short(id),
                time(*ns)
            );
        }
        self.interleaved.extend(rows);
    }

    pub(crate) fn targets_header(&mut self) {
        let _ = writeln!(
            self.out,
            "\n### Targets (ratios of interleaved medians, same run)\n"
        );
        let _ = writeln!(self.out, "| target | ratio | limit | |");
        let _ = writeln!(self.out, "|---|---:|---:|---|");
    }

    /// The sum of `numerator` over the sum of `denominator` must be at most `limit`.
    pub(crate) fn target(
        &mut self,
        what: &str,
        numerator: &[&str],
        denominator: &[&str],
        limit: f64,
    ) {
        let sum = |ids: &[&str]| {
            ids.iter()
                .map(|id| self.interleaved(id))
                .sum::<Option<f64>>()
        };
        let (Some(num), Some(den)) = (sum(numerator), sum(denominator)) else {
            let _ = writeln!(self.out, "| {what} | not run | ≤ {limit:.2} | |");
            return;
        };
        let ratio = num / den;
        let holds = ratio <= limit;
        if !holds {
            self.failures += 1;
        }
        let verdict = if holds { "holds" } else { "**misses**" };
        let _ = writeln!(
            self.out,
            "| {what} | {ratio:.2} | ≤ {limit:.2} | {verdict} |"
        );
    }

    pub(crate) fn finish(self) {
        println!("{}", self.out);
        if self.failures > 0 {
            println!("{} target ratio(s) missed", self.failures);
        }
        let path = criterion_dir().join(format!("{}.md", self.name));
        if std::fs::create_dir_all(criterion_dir()).is_ok()
            && std::fs::write(&path, &self.out).is_ok()
        {
            println!("saved {}", path.display());
        }
    }
}

/// `request-small/bare` → `bare`: the table title names the group.
fn short(id: &str) -> &str {
    id.rsplit('/').next().unwrap_or(id)
}

fn time(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}
