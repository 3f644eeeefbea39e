//! Disk full: ingestion answers 507 with a JSON error and Retry-After, the journal stays
//! valid, and ingestion resumes when space returns. Uses a small tmpfs (needs root, as
//! the CI machine is); where mounting is not permitted the test says so and stops.

mod common;

use common::{stdout, vigil, Server};
use serde_json::json;

/// A body of lines that zstd cannot shrink much (random hex), so the disk fills quickly.
fn incompressible_body(batch: u64, lines: u64) -> String {
    let mut state = batch.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..lines)
        .map(|i| {
            let noise = common::noise(&mut state);
            format!(
                "{}\n",
                json!({"message": format!("fill {batch}/{i}"), "batch_no": batch, "noise": noise})
            )
        })
        .collect()
}

#[test]
fn disk_full_answers_507_keeps_the_journal_valid_and_recovers() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mnt = dir.path().join("small-disk");
    let Some(disk) = common::SmallDisk::mount(&mnt, "6m") else {
        eprintln!("disk-full test not run: this machine does not allow mounting a tmpfs");
        return;
    };
    let data = mnt.join("data");
    let server = Server::start(&data);

    let mut acked: Vec<u64> = Vec::new();
    let mut full_answer = None;
    for batch in 0..5000u64 {
        let (status, answer) =
            server.ingest_raw(incompressible_body(batch, 20).into_bytes(), false);
        match status {
            200 => acked.push(batch),
            507 | 503 => {
                full_answer = Some((status, answer));
                break;
            }
            other => panic!("unexpected answer {other}: {answer}"),
        }
    }
    let (status, answer) = full_answer.unwrap_or_else(|| panic!("the 6 MiB disk never filled"));
    assert_eq!(status, 507, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .is_some_and(|e| e.contains("storage")),
        "{answer}"
    );
    assert_eq!(server.health()["status"], "degraded");

    // Space returns: ingestion resumes without a restart.
    assert!(disk.grow("64m"), "cannot grow the tmpfs");
    let (status, answer) = server.ingest_raw(incompressible_body(1000, 20).into_bytes(), false);
    assert_eq!(status, 200, "{answer}");
    acked.push(1000);
    assert_eq!(server.health()["status"], "ok");
    server.stop();

    let out = vigil(&["verify", "--data-dir", &data.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // Every acknowledged batch is there, whole.
    let server = Server::start(&data);
    let expected = acked.len() as u64 * 20;
    let result = server.wait_for("*", expected);
    assert_eq!(
        result["total"], expected,
        "acknowledged {expected}, found {}",
        result["total"]
    );
    server.stop();
}
