//! File tailing against real files in a temporary directory, with a real pipeline receiver
//! that acknowledges every batch (as the journal writer does). Every wait polls with a
//! generous deadline; no test depends on how fast the machine is.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use vigil_core::Event;
use vigil_ingest::file_tail::{offsets_path, FileSourceConfig, FileTailer, TailSettings};
use vigil_ingest::{Batch, IngestMetrics, Sink};

struct Harness {
    rt: tokio::runtime::Runtime,
    sink: Sink,
    events: Arc<Mutex<Vec<Event>>>,
    dir: tempfile::TempDir,
}

fn harness() -> Harness {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let (sink, mut rx) = mpsc::channel::<Batch>(4);
    let events = Arc::new(Mutex::new(Vec::new()));
    let store = events.clone();
    rt.spawn(async move {
        let mut seq = 0u64;
        while let Some(batch) = rx.recv().await {
            let n = batch.events.len() as u64;
            if let Ok(mut all) = store.lock() {
                all.extend(batch.events);
            }
            if let Some(ack) = batch.ack {
                let _ = ack.send(Ok(seq..seq + n));
            }
            seq += n;
        }
    });
    Harness {
        rt,
        sink,
        events,
        dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
    }
}

impl Harness {
    fn logs(&self) -> PathBuf {
        let d = self.dir.path().join("logs");
        std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{e}"));
        d
    }

    fn settings(&self) -> TailSettings {
        let mut s = TailSettings::new(&self.dir.path().join("data"));
        s.poll_interval = Duration::from_millis(50);
        s.rotated_grace = Duration::from_millis(300);
        s
    }

    fn start(&self, source: FileSourceConfig) -> FileTailer {
        self.start_with(source, self.settings())
    }

    fn start_with(&self, source: FileSourceConfig, settings: TailSettings) -> FileTailer {
        let _guard = self.rt.enter();
        FileTailer::start(
            &[source],
            settings,
            self.sink.clone(),
            Arc::new(IngestMetrics::default()),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn messages(&self) -> Vec<String> {
        self.events
            .lock()
            .map(|all| {
                all.iter()
                    .map(|e| {
                        e.get_str("message")
                            .or_else(|| e.get_str("event.original"))
                            .unwrap_or("")
                            .to_string()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Polls until at least `n` events arrived (60 s deadline, only reached on failure).
    fn wait_for(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {n} events, got {}: {got:?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Lets the tailer run a few more rounds (to give it the chance to duplicate something).
    fn settle(&self) {
        std::thread::sleep(Duration::from_millis(700));
    }
}

fn append(path: &Path, lines: impl IntoIterator<Item = String>) {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("{e}"));
    for l in lines {
        writeln!(f, "{l}").unwrap_or_else(|e| panic!("{e}"));
    }
}

fn lines(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| format!("line {i:05} of the app")).collect()
}

fn source(dir: &Path) -> FileSourceConfig {
    FileSourceConfig::new("app", &[&format!("{}/*.log", dir.display())])
}

#[test]
fn appended_lines_are_read_with_their_source_and_path() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    append(&path, lines(0..3));
    let mut other = source(&logs);
    other.exclude = vec!["skip.log".into()];
    append(&logs.join("skip.log"), ["never read".to_string()]);
    append(&logs.join("app.txt"), ["not matched".to_string()]);
    let tailer = h.start(other);
    h.wait_for(3);
    append(&path, lines(3..5));
    h.wait_for(5);
    h.settle();
    tailer.stop();
    assert_eq!(h.messages(), lines(0..5));
    let events = h.events.lock().map(|e| e.clone()).unwrap_or_default();
    let e = &events[3];
    assert_eq!(e.get_str("log.source.name"), Some("app"));
    assert_eq!(
        e.get_str("log.file.path"),
        Some(path.display().to_string().as_str())
    );
    assert_eq!(
        e.get("log.offset").and_then(|v| v.as_u64()),
        Some(3 * 22),
        "{e:?}"
    );
    assert!(offsets_path(&h.dir.path().join("data")).exists());
}

#[test]
fn rename_rotation_loses_and_duplicates_nothing() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    append(&path, lines(0..50));
    let tailer = h.start(source(&logs));
    h.wait_for(50);
    // The writer keeps its handle across the rename and writes a few more lines to the old
    // inode before reopening, as a logger does between logrotate's rename and its HUP.
    let mut writer = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    for l in lines(50..60) {
        writeln!(writer, "{l}").unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::rename(&path, logs.join("app.log.1")).unwrap_or_else(|e| panic!("{e}"));
    for l in lines(60..70) {
        writeln!(writer, "{l}").unwrap_or_else(|e| panic!("{e}"));
    }
    drop(writer);
    append(&path, lines(70..100));
    let got = h.wait_for(100);
    h.settle();
    tailer.stop();
    let mut got_sorted = h.messages();
    got_sorted.sort();
    assert_eq!(got_sorted, lines(0..100), "got {got:?}");
}

#[test]
fn copytruncate_reads_the_file_again_from_the_start() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    append(&path, lines(0..10));
    let tailer = h.start(source(&logs));
    h.wait_for(10);
    std::fs::copy(&path, logs.join("app.log.1.gz")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(0))
        .unwrap_or_else(|e| panic!("{e}"));
    append(&path, lines(10..13));
    h.wait_for(13);
    h.settle();
    tailer.stop();
    assert_eq!(h.messages(), lines(0..13));
}

#[test]
fn a_deleted_file_that_comes_back_is_picked_up() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    append(&path, lines(0..5));
    let tailer = h.start(source(&logs));
    h.wait_for(5);
    std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
    h.settle();
    append(&path, lines(5..8));
    // A new file matching the glob is picked up too.
    append(&logs.join("new.log"), lines(8..9));
    h.wait_for(9);
    h.settle();
    tailer.stop();
    let mut got = h.messages();
    got.sort();
    assert_eq!(got, lines(0..9));
}

#[test]
fn a_restart_resumes_from_the_persisted_offsets() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    append(&path, lines(0..5));
    let tailer = h.start(source(&logs));
    h.wait_for(5);
    tailer.stop();
    append(&path, lines(5..8));
    let tailer = h.start(source(&logs));
    h.wait_for(8);
    h.settle();
    tailer.stop();
    assert_eq!(h.messages(), lines(0..8));
    let offsets = std::fs::read_to_string(offsets_path(&h.dir.path().join("data")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(offsets.contains("\"offset\": 176"), "{offsets}");
}

#[test]
fn a_stack_trace_becomes_one_event() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    let mut src = source(&logs);
    src.multiline_start = Some(r"^\d{4}-\d{2}-\d{2} ".into());
    src.multiline_timeout_ms = 200;
    let trace = "2026-03-01 10:00:00 ERROR request failed\n\
                 java.lang.IllegalStateException: boom\n\
                 \tat com.example.Foo.bar(Foo.java:42)\n\
                 \tat com.example.Main.main(Main.java:7)\n\
                 2026-03-01 10:00:01 INFO next request\n";
    std::fs::write(&path, trace).unwrap_or_else(|e| panic!("{e}"));
    let tailer = h.start(src);
    // The second event has no following start line: it is emitted after the timeout.
    let got = h.wait_for(2);
    h.settle();
    tailer.stop();
    assert_eq!(h.messages().len(), 2, "{got:?}");
    assert_eq!(
        got[0],
        "2026-03-01 10:00:00 ERROR request failed\njava.lang.IllegalStateException: boom\n\
         \tat com.example.Foo.bar(Foo.java:42)\n\tat com.example.Main.main(Main.java:7)"
    );
    assert_eq!(got[1], "2026-03-01 10:00:01 INFO next request");
}

#[test]
fn a_partial_line_waits_for_its_newline() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    std::fs::write(&path, "complete line\npartial li").unwrap_or_else(|e| panic!("{e}"));
    let tailer = h.start(source(&logs));
    h.wait_for(1);
    h.settle();
    assert_eq!(h.messages(), vec!["complete line".to_string()]);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{e}"));
    f.write_all(b"ne\n").unwrap_or_else(|e| panic!("{e}"));
    h.wait_for(2);
    h.settle();
    tailer.stop();
    assert_eq!(
        h.messages(),
        vec!["complete line".to_string(), "partial line".to_string()]
    );
}

#[test]
fn an_oversize_line_is_cut_and_tagged_and_the_next_one_is_whole() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    let long = "x".repeat(200);
    std::fs::write(&path, format!("{long}\nshort one\n")).unwrap_or_else(|e| panic!("{e}"));
    let mut settings = h.settings();
    settings.max_event_bytes = 64;
    let tailer = h.start_with(source(&logs), settings);
    h.wait_for(2);
    h.settle();
    tailer.stop();
    let events = h.events.lock().map(|e| e.clone()).unwrap_or_default();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].get_str("message"), Some("x".repeat(64).as_str()));
    assert!(events[0].has_tag("_truncated"));
    assert_eq!(events[1].get_str("message"), Some("short one"));
}

#[test]
fn a_line_longer_than_a_read_chunk_is_kept_whole() {
    let h = harness();
    let logs = h.logs();
    let path = logs.join("app.log");
    let long = "y".repeat(3 * 1024 * 1024);
    std::fs::write(&path, format!("{long}\nafter\n")).unwrap_or_else(|e| panic!("{e}"));
    let tailer = h.start(source(&logs));
    h.wait_for(2);
    h.settle();
    tailer.stop();
    let got = h.messages();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].len(), long.len());
    assert_eq!(got[1], "after");
}
