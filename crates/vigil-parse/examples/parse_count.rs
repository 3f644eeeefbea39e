//! `cargo run --release -p vigil-parse --example parse_count -- FILE PASSES`: parses every
//! non-empty line of FILE PASSES times with `parse_line` (the `vigil` binary's allocator) and
//! prints the event count. A fixed amount of work, for instruction counts under
//! `valgrind --tool=callgrind` (run with 1 and with N passes; the difference divided by
//! (N - 1) × lines is the cost per event), where wall-clock benches on a shared VM are noisy.

use chrono::{DateTime, Utc};
use std::hint::black_box;
use vigil_parse::{parse_line, ParseContext};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(path), Some(passes)) = (args.next(), args.next()) else {
        eprintln!("usage: parse_count FILE PASSES");
        std::process::exit(2);
    };
    let passes: usize = passes.parse().unwrap_or(1);
    let data = std::fs::read(&path).unwrap_or_else(|e| {
        eprintln!("cannot read {path}: {e}");
        std::process::exit(1);
    });
    let lines: Vec<&[u8]> = data
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let received = DateTime::parse_from_rfc3339("2017-01-15T00:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default();
    let ctx = ParseContext::new(received);
    let mut events = 0usize;
    for _ in 0..passes {
        for line in &lines {
            black_box(parse_line(black_box(line), &ctx));
            events += 1;
        }
    }
    println!("{events} events from {} lines x {passes}", lines.len());
}
