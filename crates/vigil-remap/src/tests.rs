use super::*;
use serde_json::json;

fn text(program: &str) -> ProgramText {
    ProgramText {
        text: program.to_string(),
        origin: Origin {
            file: PathBuf::from("vigil.toml"),
            line: 10,
            column: 12,
        },
    }
}

fn spec(name: &str, program: &str, sources: &[&str], condition: Option<&str>) -> PipelineSpec {
    PipelineSpec {
        name: name.into(),
        program: text(program),
        sources: sources.iter().map(|s| s.to_string()).collect(),
        condition: condition.map(text),
    }
}

fn event(source: &str, message: &str) -> Event {
    let mut e = Event::new();
    e.set("message", message);
    e.set("event.original", format!("<13>host app: {message}"));
    e.set("log.source.name", source);
    e
}

fn compiled(specs: &[PipelineSpec]) -> Pipelines {
    Pipelines::compile(specs).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn parses_a_custom_format_and_renames() {
    let p = compiled(&[spec(
        "shop",
        r#"
        kv = parse_key_value!(.message)
        .app = kv.app
        .user.name = del(kv.user)
        .shop = kv
        .shop.amount = to_float!(.shop.amount)
        "#,
        &[],
        None,
    )]);
    let mut e = event(
        "syslog-tcp",
        "app=shop user=bob action=checkout amount=12.5",
    );
    assert!(p.apply(&mut e, &mut Runner::new()));
    assert_eq!(e.get_str("app"), Some("shop"));
    assert_eq!(e.get_str("user.name"), Some("bob"));
    assert_eq!(e.get_str("shop.action"), Some("checkout"));
    assert_eq!(e.get("shop.amount"), Some(&json!(12.5)));
    assert!(!e.has_tag(TAG_VRL_ERROR));
    assert_eq!(p.stats()[0].runs, 1);
}

#[test]
fn selects_by_source_and_condition() {
    let p = compiled(&[
        spec("tcp-only", ".a = 1", &["syslog-tcp"], None),
        spec(
            "cond",
            ".b = 2",
            &[],
            Some(r#"starts_with(string(.message) ?? "", "app=")"#),
        ),
    ]);
    let mut runner = Runner::new();
    let mut e = event("http", "nothing here");
    assert!(
        !p.apply(&mut e, &mut runner),
        "no pipeline applies: untouched"
    );
    assert_eq!(e.get("a"), None);
    assert_eq!(e.get("b"), None);

    let mut e = event("syslog-tcp", "app=x");
    assert!(p.apply(&mut e, &mut runner));
    assert_eq!(e.get("a"), Some(&json!(1)));
    assert_eq!(e.get("b"), Some(&json!(2)));

    let mut e = event("http", "app=y");
    assert!(p.apply(&mut e, &mut runner));
    assert_eq!(e.get("a"), None);
    assert_eq!(e.get("b"), Some(&json!(2)));
}

#[test]
fn a_condition_cannot_change_the_event() {
    let err = Pipelines::compile(&[spec("c", ".a = 1", &[], Some(r#".x = true"#))])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("condition does not compile"), "{err}");
}

#[test]
fn runtime_error_keeps_the_event_and_tags_it() {
    let p = compiled(&[
        spec("first", ".first = true", &[], None),
        spec(
            "broken",
            ".partial = 1\n.payload = parse_json!(.message)",
            &[],
            None,
        ),
    ]);
    let mut e = event("syslog-tcp", "not json");
    let before = {
        let mut b = e.clone();
        b.set("first", true);
        b
    };
    assert!(p.apply(&mut e, &mut Runner::new()));
    assert!(e.has_tag(TAG_VRL_ERROR));
    let message = e.get_str("error.message").unwrap_or_default();
    assert!(message.contains("pipeline 'broken'"), "{message}");
    assert!(message.contains("unable to parse json"), "{message}");
    assert_eq!(
        e.get("partial"),
        None,
        "the failed pipeline's changes are undone"
    );
    // Apart from the tag and message, the event is as after the first pipeline.
    let mut stripped = e.clone();
    stripped.remove("tags");
    stripped.remove("error");
    assert_eq!(stripped, before);
    assert_eq!(p.stats()[1].errors, 1);
    assert_eq!(p.errors_total(), 1);
}

#[test]
fn abort_and_non_object_results_are_errors() {
    let p = compiled(&[
        spec("abort", "abort", &["a"], None),
        spec("scalar", ". = \"x\"", &["s"], None),
    ]);
    let mut runner = Runner::new();
    for source in ["a", "s"] {
        let mut e = event(source, "m");
        assert!(p.apply(&mut e, &mut runner));
        assert!(e.has_tag(TAG_VRL_ERROR), "{source}");
        assert_eq!(e.get_str("message"), Some("m"));
    }
}

#[test]
fn event_original_cannot_be_removed_or_changed() {
    let p = compiled(&[
        spec("del", "del(.event.original)\n.x = 1", &["a"], None),
        spec("set", ".event.original = \"forged\"", &["b"], None),
        spec("root", ". = {\"y\": 2}", &["c"], None),
    ]);
    let mut runner = Runner::new();
    for source in ["a", "b", "c"] {
        let mut e = event(source, "m");
        let original = e.get("event.original").cloned();
        assert!(p.apply(&mut e, &mut runner));
        assert_eq!(e.get("event.original").cloned(), original, "{source}");
        assert!(!e.has_tag(TAG_VRL_ERROR));
    }
}

#[test]
fn compile_error_points_into_the_file() {
    // The error (an unhandled fallible call) is on the program's second line, column 14.
    let err = Pipelines::compile(&[spec(
        "bad",
        ".a = 1\n.b = 2 + parse_json(.message)",
        &[],
        None,
    )])
    .err()
    .unwrap_or_else(|| panic!("must not compile"));
    assert_eq!(err.file, PathBuf::from("vigil.toml"));
    assert_eq!((err.line, err.column), (11, 6));
    assert!(err.message.starts_with("error[E"), "{}", err.message);
    let shown = err.to_string();
    assert!(
        shown.starts_with("vigil.toml:11:6: pipeline 'bad'"),
        "{shown}"
    );
    assert!(shown.contains("parse_json"), "{shown}");

    // On the first line, the column is offset by where the program starts.
    let err = Pipelines::compile(&[spec("bad", ".a = ", &[], None)])
        .err()
        .unwrap_or_else(|| panic!("must not compile"));
    assert_eq!(err.line, 10);
    assert!(err.column >= 12, "{}", err.column);
}

#[test]
fn line_column_counts_characters() {
    assert_eq!(line_column("ab\ncdé f", 0), (1, 1));
    assert_eq!(line_column("ab\ncdé f", 3), (2, 1));
    assert_eq!(line_column("ab\ncdé f", 7), (2, 4));
    assert_eq!(line_column("ab", 99), (1, 3));
}

#[test]
fn timestamps_are_written_in_vigils_form() {
    let p = compiled(&[spec("t", ".when = t'2024-01-02T03:04:05.678Z'", &[], None)]);
    let mut e = event("x", "m");
    p.apply(&mut e, &mut Runner::new());
    assert_eq!(e.get_str("when"), Some("2024-01-02T03:04:05.678Z"));
}
