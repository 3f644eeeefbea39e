//! The RELP listener over a real socket, with a pipeline receiver that acknowledges (or
//! refuses) batches: answers, ordering, and errors that end a session but not the listener.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use vigil_core::Event;
use vigil_ingest::syslog::SyslogSettings;
use vigil_ingest::{AckError, Batch, IngestMetrics};

struct Listener {
    addr: std::net::SocketAddr,
    events: Arc<Mutex<Vec<Event>>>,
    refuse: Arc<AtomicBool>,
    metrics: Arc<IngestMetrics>,
}

async fn listener(max_frame: usize) -> Listener {
    let (sink, mut rx) = mpsc::channel::<Batch>(4);
    let events = Arc::new(Mutex::new(Vec::new()));
    let refuse = Arc::new(AtomicBool::new(false));
    let (store, no) = (events.clone(), refuse.clone());
    tokio::spawn(async move {
        let mut seq = 0u64;
        while let Some(batch) = rx.recv().await {
            let n = batch.events.len() as u64;
            let result = if no.load(Ordering::SeqCst) {
                Err(AckError::Storage("disk full".into()))
            } else {
                if let Ok(mut all) = store.lock() {
                    all.extend(batch.events);
                }
                seq += n;
                Ok(seq - n..seq)
            };
            if let Some(ack) = batch.ack {
                let _ = ack.send(result);
            }
        }
    });
    let socket = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = socket.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let metrics = Arc::new(IngestMetrics::default());
    let settings = SyslogSettings {
        max_frame,
        ..SyslogSettings::default()
    };
    tokio::spawn(vigil_ingest::relp::serve_relp(
        socket,
        sink,
        settings,
        metrics.clone(),
    ));
    Listener {
        addr,
        events,
        refuse,
        metrics,
    }
}

/// Sends `data` and reads until the peer closes; returns everything it answered.
async fn exchange(addr: std::net::SocketAddr, data: &[u8]) -> String {
    let mut s = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    s.write_all(data).await.unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn open() -> Vec<u8> {
    let offers =
        "relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog";
    format!("1 open {} {offers}\n", offers.len()).into_bytes()
}

fn syslog_frame(txnr: u32, msg: &str) -> Vec<u8> {
    format!("{txnr} syslog {} {msg}\n", msg.len()).into_bytes()
}

#[tokio::test]
async fn a_session_is_answered_like_librelp_and_acked_after_the_journal() {
    let l = listener(1024).await;
    let mut data = open();
    data.extend(syslog_frame(2, "<13>Mar  1 10:00:00 host app: first"));
    data.extend(syslog_frame(3, "<13>Mar  1 10:00:01 host app: second"));
    data.extend_from_slice(b"4 close 0\n");
    let answer = exchange(l.addr, &data).await;
    let lines: Vec<&str> = answer.split_inclusive('\n').collect();
    assert!(answer.starts_with("1 rsp "), "{answer:?}");
    assert!(
        answer.contains("200 OK\nrelp_version=0\nrelp_software=vigil,"),
        "{answer:?}"
    );
    assert!(
        answer.ends_with("commands=syslog\n2 rsp 6 200 OK\n3 rsp 6 200 OK\n4 rsp 0\n"),
        "{answer:?} {lines:?}"
    );
    let events = l.events.lock().map(|e| e.clone()).unwrap_or_default();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].get_str("message"), Some("second"));
    assert_eq!(events[1].get_str("log.source.name"), Some("syslog-relp"));
    assert_eq!(IngestMetrics::get(&l.metrics.relp_messages), 2);
}

#[tokio::test]
async fn errors_end_the_session_not_the_listener() {
    let l = listener(100).await;
    // Malformed: serverclose.
    let answer = exchange(l.addr, b"1 open x\n").await;
    assert_eq!(answer, "0 serverclose 0\n");
    // Oversized: refused before its data, then serverclose.
    let mut data = open();
    data.extend_from_slice(b"2 syslog 101 ");
    let answer = exchange(l.addr, &data).await;
    assert!(
        answer.ends_with("2 rsp 19 500 frame too large\n0 serverclose 0\n"),
        "{answer:?}"
    );
    // syslog before open.
    let answer = exchange(l.addr, &syslog_frame(1, "<13>x")).await;
    assert_eq!(answer, "1 rsp 20 500 session not open\n0 serverclose 0\n");
    // A client that does not offer syslog.
    let answer = exchange(l.addr, b"1 open 14 relp_version=0\n").await;
    assert_eq!(
        answer,
        "1 rsp 44 500 required command not supported by client\n"
    );
    // Storage refused: no 200 OK, serverclose (the sender retries).
    l.refuse.store(true, Ordering::SeqCst);
    let mut data = open();
    data.extend(syslog_frame(
        2,
        "<13>Mar  1 10:00:00 host app: kept by the sender",
    ));
    let answer = exchange(l.addr, &data).await;
    assert!(!answer.contains("2 rsp"), "{answer:?}");
    assert!(answer.ends_with("0 serverclose 0\n"), "{answer:?}");
    l.refuse.store(false, Ordering::SeqCst);
    // And the listener still serves.
    let mut data = open();
    data.extend(syslog_frame(2, "<13>Mar  1 10:00:00 host app: fine"));
    data.extend_from_slice(b"3 close 0\n");
    let answer = exchange(l.addr, &data).await;
    assert!(answer.ends_with("2 rsp 6 200 OK\n3 rsp 0\n"), "{answer:?}");
    assert!(IngestMetrics::get(&l.metrics.relp_errors) >= 4);
}
