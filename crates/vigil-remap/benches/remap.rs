//! Cost per event of a typical user pipeline: a syslog line parsed by Vigil
//! (`parse_line` + `finalize`, for scale), then a VRL program that parses a custom
//! `key=value` app format out of `message`, renames a field and converts a number; also the
//! cost when no pipeline selects the event (the source check alone). Each iteration runs on
//! a fresh clone of the event (the clone is outside the measurement).

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use vigil_ingest::{finalize, SourceInfo};
use vigil_parse::{parse_line, ParseContext};
use vigil_remap::{Origin, PipelineSpec, Pipelines, ProgramText, Runner};

const LINE: &[u8] =
    b"<14>Mar  3 12:00:00 web-1 shopd[4242]: app=shop user=bob action=checkout amount=12.5 currency=EUR cart_id=c-81723 items=3 status=ok";

const PROGRAM: &str = r#"
kv = parse_key_value!(.message)
.shop = kv
.user.name = del(.shop.user)
.shop.amount = to_float!(.shop.amount)
.shop.items = to_int!(.shop.items)
.event.outcome = if .shop.status == "ok" { "success" } else { "failure" }
"#;

fn program(text: &str) -> ProgramText {
    ProgramText {
        text: text.into(),
        origin: Origin {
            file: PathBuf::from("bench"),
            line: 1,
            column: 1,
        },
    }
}

fn bench(c: &mut Criterion) {
    let received = chrono::Utc::now();
    let ctx = ParseContext::new(received);
    let source = SourceInfo {
        name: "syslog-tcp".into(),
        address: Some("127.0.0.1:5000".into()),
    };
    let mut event = parse_line(LINE, &ctx);
    finalize(&mut event, &source, received);
    let pipelines = |sources: &[&str], condition: Option<&str>| {
        Pipelines::compile(&[PipelineSpec {
            name: "shop".into(),
            program: program(PROGRAM),
            sources: sources.iter().map(|s| s.to_string()).collect(),
            condition: condition.map(program),
        }])
        .unwrap_or_else(|e| panic!("{e}"))
    };
    let by_source = pipelines(&["syslog-tcp"], None);
    let by_condition = pipelines(&[], Some(r#"starts_with(string(.message) ?? "", "app=")"#));
    let elsewhere = pipelines(&["http"], None);
    // Conversion in and out alone: a one-assignment program.
    let trivial = Pipelines::compile(&[PipelineSpec {
        name: "trivial".into(),
        program: program(".x = 1"),
        sources: vec![],
        condition: None,
    }])
    .unwrap_or_else(|e| panic!("{e}"));
    let mut runner = Runner::new();
    {
        let mut check = event.clone();
        assert!(by_source.apply(&mut check, &mut runner));
        assert_eq!(check.get_str("user.name"), Some("bob"), "{check:?}");
        assert!(!check.has_tag(vigil_remap::TAG_VRL_ERROR), "{check:?}");
    }

    let mut group = c.benchmark_group("remap");
    group.throughput(Throughput::Elements(1));
    group.bench_function("baseline_parse_line_finalize_canonical", |b| {
        b.iter(|| {
            let mut e = parse_line(black_box(LINE), &ctx);
            finalize(&mut e, &source, received);
            black_box(e.to_canonical_bytes())
        })
    });
    group.bench_function("kv_pipeline_by_source", |b| {
        b.iter_batched(
            || event.clone(),
            |mut e| {
                by_source.apply(&mut e, &mut runner);
                e
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("kv_pipeline_by_source_plus_canonical_bytes", |b| {
        b.iter_batched(
            || event.clone(),
            |mut e| {
                by_source.apply(&mut e, &mut runner);
                black_box(e.to_canonical_bytes());
                e
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("kv_pipeline_by_condition", |b| {
        b.iter_batched(
            || event.clone(),
            |mut e| {
                by_condition.apply(&mut e, &mut runner);
                e
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("trivial_pipeline_conversion_only", |b| {
        b.iter_batched(
            || event.clone(),
            |mut e| {
                trivial.apply(&mut e, &mut runner);
                e
            },
            BatchSize::SmallInput,
        )
    });
    group.bench_function("no_pipeline_selected", |b| {
        b.iter_batched(
            || event.clone(),
            |mut e| {
                elsewhere.apply(&mut e, &mut runner);
                e
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
