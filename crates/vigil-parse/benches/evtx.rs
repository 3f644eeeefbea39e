//! EVTX import throughput (bytes of `.evtx` per second, one core) over the 277 files of
//! EVTX-ATTACK-SAMPLES: the path `vigil ingest` takes for an `.evtx` file
//! (`crates/vigil/src/ingest/import.rs`, `evtx_events`): `evtx::EvtxParser::from_buffer`
//! (without the crate's multithreading feature, as in the workspace), `records_json_value`,
//! and `vigil_parse::windows::event_from_windows_record` for every record.
//!
//! `evtx_import/eas/all` reads the whole set per iteration; `evtx_import/eas/records_json`
//! is the `evtx` crate's part alone, so the difference is Vigil's normalisation.
//!
//! Run with `cargo bench -p vigil-parse --bench evtx`. Data:
//! `$VIGIL_TEST_DATA/evtx/EVTX-ATTACK-SAMPLES` (default `../shared/data` from the workspace);
//! skipped if absent.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The `vigil` binary's allocator, so the figures are what it does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn data_dir() -> PathBuf {
    std::env::var_os("VIGIL_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"))
}

fn evtx_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            evtx_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("evtx"))
        {
            out.push(path);
        }
    }
}

/// What `vigil ingest` does with one file's bytes; returns the number of events.
fn import(bytes: Vec<u8>) -> usize {
    let Ok(mut parser) = evtx::EvtxParser::from_buffer(bytes) else {
        return 0;
    };
    let mut n = 0;
    for record in parser.records_json_value() {
        if let Ok(record) = record {
            black_box(vigil_parse::windows::event_from_windows_record(
                &record.data,
            ));
        }
        n += 1;
    }
    n
}

fn records_only(bytes: Vec<u8>) -> usize {
    let Ok(mut parser) = evtx::EvtxParser::from_buffer(bytes) else {
        return 0;
    };
    parser.records_json_value().map(black_box).count()
}

fn bench_evtx(c: &mut Criterion) {
    let root = data_dir().join("evtx/EVTX-ATTACK-SAMPLES");
    let mut paths = Vec::new();
    evtx_files(&root, &mut paths);
    paths.sort();
    let files: Vec<Vec<u8>> = paths.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    if files.is_empty() {
        eprintln!(
            "skipping: no .evtx files under {} (set VIGIL_TEST_DATA)",
            root.display()
        );
        return;
    }
    let bytes: usize = files.iter().map(Vec::len).sum();
    let records: usize = files.iter().map(|f| records_only(f.clone())).sum();
    eprintln!(
        "evtx_import/eas: {} files, {bytes} bytes, {records} records",
        files.len()
    );

    let mut group = c.benchmark_group("evtx_import/eas");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("all", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| import(black_box(f.clone())))
                .sum::<usize>()
        })
    });
    group.bench_function("records_json", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| records_only(black_box(f.clone())))
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_evtx);
criterion_main!(benches);
