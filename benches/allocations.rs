//! Heap allocations per request, counted by a global allocator that wraps the
//! system one: for every row of the request benches (the crate's, map and
//! typed views, its peers' and the hand-written floor's), with both payloads. Counts do not depend on the machine's load,
//! so this is the bench to watch while making the read-and-write path lean.
//!
//! Run with `cargo bench --bench allocations`.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use support::apps::{request, scenarios};

/// The system allocator, counting allocations and bytes.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(new_size, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations and bytes of one call of `f`, the median of several calls.
fn count(mut f: impl FnMut()) -> (usize, usize) {
    f(); // warm-up: lazy statics and first-use caches are not per-request costs
    let mut samples: Vec<(usize, usize)> = (0..9)
        .map(|_| {
            let (allocations, bytes) = (
                ALLOCATIONS.load(Ordering::Relaxed),
                BYTES.load(Ordering::Relaxed),
            );
            f();
            (
                ALLOCATIONS.load(Ordering::Relaxed) - allocations,
                BYTES.load(Ordering::Relaxed) - bytes,
            )
        })
        .collect();
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter is not supported here.
    let mut out = String::from("\n### Heap allocations per request\n\n");
    let payloads = support::payloads();
    let _ = writeln!(
        out,
        "| row | {} payload | {} payload |",
        payloads[0].0, payloads[1].0
    );
    let _ = writeln!(out, "|---|---:|---:|");
    let small = scenarios(&payloads[0].1);
    let large = scenarios(&payloads[1].1);
    for (small, large) in small.iter().zip(&large) {
        let cell = |scenario: &support::apps::Scenario| {
            let (allocations, bytes) = count(|| {
                let response = request(&scenario.app, Some(&scenario.cookie));
                assert!(response.status().is_success(), "{}", scenario.name);
            });
            format!("{allocations} ({bytes} B)")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            small.name,
            cell(small),
            cell(large)
        );
    }
    println!("{out}");
    let path = std::path::Path::new(
        &std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()),
    )
    .join("criterion");
    if std::fs::create_dir_all(&path).is_ok()
        && std::fs::write(path.join("allocations.md"), &out).is_ok()
    {
        println!("saved {}", path.join("allocations.md").display());
    }
}
