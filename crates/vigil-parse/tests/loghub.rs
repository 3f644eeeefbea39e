//! Every line of the loghub Linux and OpenSSH samples parses as syslog with no parse
//! failure, the right host, program, pid, message and an inferred-year timestamp, and
//! every line of the Apache error sample as an Apache error log line, all checked against
//! loghub's own structured CSV.

mod common;

use common::{csv_record, ctx, ctx_offset, lines, read_data, s};
use vigil_core::TAG_PARSE_FAILURE;
use vigil_parse::parse_line;

fn month_number(m: &str) -> u32 {
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    months
        .iter()
        .position(|x| *x == m)
        .map_or(0, |i| i as u32 + 1)
}

/// process.name expected for a loghub component: the tag without `(module)` or version.
fn program_of(component: &str) -> &str {
    let name = component.split('(').next().unwrap_or(component);
    match name.split_once(' ') {
        Some((program, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => program,
        _ => name,
    }
}

#[test]
fn linux_2k_all_lines() {
    let data = read_data("loghub/Linux/Linux_2k.log");
    let csv = String::from_utf8_lossy(&read_data("loghub/Linux/Linux_2k.log_structured.csv"))
        .into_owned();
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(csv_record).collect();
    let lines = lines(&data);
    assert_eq!(lines.len(), 2000);
    assert_eq!(rows.len(), 2000);
    // Received a week after the last line (Jul 27), in the logs' year.
    let ctx = ctx("2005-08-03T00:00:00Z");
    for (n, (line, row)) in lines.iter().zip(&rows).enumerate() {
        let event = parse_line(line, &ctx);
        let at = format!("line {}: {}", n + 1, String::from_utf8_lossy(line));
        assert!(
            !event.has_tag(TAG_PARSE_FAILURE),
            "{at}: {:?}",
            event.get("error.message")
        );
        // LineId,Month,Date,Time,Level(host),Component,PID,Content
        let (month, day, time, host, component, pid, content) = (
            &row[1], &row[2], &row[3], &row[4], &row[5], &row[6], &row[7],
        );
        let day: u32 = day.parse().unwrap_or(0);
        let expected_ts = format!("2005-{:02}-{day:02}T{time}.000Z", month_number(month));
        assert_eq!(s(&event, "@timestamp"), Some(expected_ts.as_str()), "{at}");
        assert_eq!(s(&event, "host.name"), Some(host.as_str()), "{at}");
        assert_eq!(
            s(&event, "log.syslog.appname"),
            Some(component.as_str()),
            "{at}"
        );
        assert_eq!(
            s(&event, "process.name"),
            Some(program_of(component)),
            "{at}"
        );
        match pid.parse::<u64>() {
            Ok(pid) => assert_eq!(
                event.get("process.pid").and_then(|v| v.as_u64()),
                Some(pid),
                "{at}"
            ),
            Err(_) => assert_eq!(event.get("process.pid"), None, "{at}"),
        }
        assert_eq!(
            s(&event, "message").map(str::trim_end),
            Some(content.trim_end()),
            "{at}"
        );
        let original = String::from_utf8_lossy(line);
        assert_eq!(
            s(&event, "event.original"),
            Some(original.trim_end_matches(['\r', '\n'])),
            "{at}"
        );
        assert_eq!(s(&event, "event.kind"), Some("event"));
        assert_eq!(event.get("log.syslog.priority"), None, "no PRI in the file");
    }
}

#[test]
fn linux_2k_pam_lines_are_normalised() {
    let data = read_data("loghub/Linux/Linux_2k.log");
    let ctx = ctx("2005-08-03T00:00:00Z");
    let mut failures = 0;
    let mut sessions = 0;
    for line in lines(&data) {
        let text = String::from_utf8_lossy(line);
        let event = parse_line(line, &ctx);
        if text.contains("(pam_unix)") && text.contains("authentication failure;") {
            failures += 1;
            assert_eq!(
                s(&event, "event.action"),
                Some("authentication_failure"),
                "{text}"
            );
            assert_eq!(s(&event, "event.outcome"), Some("failure"), "{text}");
            let has_rhost = text
                .split_ascii_whitespace()
                .any(|w| w.starts_with("rhost=") && w.len() > 6);
            let has_source =
                event.get("source.ip").is_some() || event.get("source.domain").is_some();
            assert_eq!(has_source, has_rhost, "{text}");
            let has_user = text.contains(" user=");
            assert_eq!(event.get("user.name").is_some(), has_user, "{text}");
        }
        if text.contains("(pam_unix)") && text.contains(": session ") {
            sessions += 1;
            assert!(
                s(&event, "event.action").is_some_and(|a| a.starts_with("session_")),
                "{text}"
            );
            assert!(s(&event, "user.name").is_some(), "{text}");
        }
    }
    assert!(failures > 300, "{failures}");
    assert!(sessions > 100, "{sessions}");
}

#[test]
fn openssh_2k_all_lines() {
    let data = read_data("loghub/OpenSSH/OpenSSH_2k.log");
    let csv = String::from_utf8_lossy(&read_data("loghub/OpenSSH/OpenSSH_2k.log_structured.csv"))
        .into_owned();
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(csv_record).collect();
    let lines = lines(&data);
    assert_eq!(lines.len(), 2000);
    assert_eq!(rows.len(), 2000);
    // Received early the next year: Dec 10 belongs to the previous year.
    let ctx = ctx("2017-01-05T00:00:00Z");
    let mut unrecognised = Vec::new();
    for (n, (line, row)) in lines.iter().zip(&rows).enumerate() {
        let event = parse_line(line, &ctx);
        let at = format!("line {}: {}", n + 1, String::from_utf8_lossy(line));
        assert!(
            !event.has_tag(TAG_PARSE_FAILURE),
            "{at}: {:?}",
            event.get("error.message")
        );
        // LineId,Date(month),Day,Time,Component(host),Pid,Content
        let (day, time, host, pid, content) = (&row[2], &row[3], &row[4], &row[5], &row[6]);
        let expected_ts = format!("2016-12-{day:0>2}T{time}.000Z");
        assert_eq!(s(&event, "@timestamp"), Some(expected_ts.as_str()), "{at}");
        assert_eq!(s(&event, "host.name"), Some(host.as_str()), "{at}");
        assert_eq!(s(&event, "process.name"), Some("sshd"), "{at}");
        assert_eq!(
            event.get("process.pid").and_then(|v| v.as_u64()),
            pid.parse::<u64>().ok(),
            "{at}"
        );
        assert_eq!(
            s(&event, "message").map(str::trim_end),
            Some(content.trim_end()),
            "{at}"
        );
        if event.get("event.action").is_none() {
            unrecognised.push(content.clone());
        }
        if let Some(ip) = s(&event, "source.ip") {
            assert!(ip.parse::<std::net::IpAddr>().is_ok(), "{at}");
        }
    }
    // Only the two templates without security meaning stay un-normalised.
    for content in &unrecognised {
        assert!(
            content.starts_with("fatal: Write failed")
                || content.starts_with("PAM service(sshd) ignoring max retries"),
            "unrecognised: {content}"
        );
    }
}

#[test]
fn openssh_year_and_zone_follow_the_context() {
    let data = read_data("loghub/OpenSSH/OpenSSH_2k.log");
    let first = lines(&data)[0];
    // Received the same December: same year.
    let event = parse_line(first, &ctx("2016-12-20T00:00:00Z"));
    assert_eq!(s(&event, "@timestamp"), Some("2016-12-10T06:55:46.000Z"));
    // Sender clock in UTC+8: 06:55:46 local is 22:55:46 UTC the day before.
    let event = parse_line(first, &ctx_offset("2017-01-05T00:00:00Z", 8 * 3600));
    assert_eq!(s(&event, "@timestamp"), Some("2016-12-09T22:55:46.000Z"));
}

#[test]
fn apache_2k_all_lines() {
    let data = read_data("loghub/Apache/Apache_2k.log");
    let csv = String::from_utf8_lossy(&read_data("loghub/Apache/Apache_2k.log_structured.csv"))
        .into_owned();
    let rows: Vec<Vec<String>> = csv.lines().skip(1).map(csv_record).collect();
    let lines = lines(&data);
    assert_eq!(lines.len(), 2000);
    assert_eq!(rows.len(), 2000);
    // The year is in the line; the zone comes from the context.
    let ctx = ctx_offset("2026-01-01T00:00:00Z", 3600);
    let mut clients = 0;
    for (n, (line, row)) in lines.iter().zip(&rows).enumerate() {
        let event = parse_line(line, &ctx);
        let at = format!("line {}: {}", n + 1, String::from_utf8_lossy(line));
        assert!(
            !event.has_tag(TAG_PARSE_FAILURE),
            "{at}: {:?}",
            event.get("error.message")
        );
        // LineId,Time,Level,Content
        let (time, level, content) = (&row[1], &row[2], &row[3]);
        let local = chrono::NaiveDateTime::parse_from_str(time, "%a %b %d %H:%M:%S %Y")
            .unwrap_or_else(|e| panic!("{at}: {e}"));
        let expected_ts = (local - chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H:%M:%S.000Z")
            .to_string();
        assert_eq!(s(&event, "@timestamp"), Some(expected_ts.as_str()), "{at}");
        assert_eq!(s(&event, "log.level"), Some(level.as_str()), "{at}");
        // loghub keeps `[client IP]` in the content; Vigil maps it to source.ip.
        let (client, message) = match content
            .strip_prefix("[client ")
            .and_then(|r| r.split_once("] "))
        {
            Some((client, message)) => (Some(client), message),
            None => (None, content.as_str()),
        };
        assert_eq!(s(&event, "message"), Some(message.trim_end()), "{at}");
        assert_eq!(s(&event, "source.ip"), client, "{at}");
        clients += usize::from(client.is_some());
        let original = String::from_utf8_lossy(line);
        assert_eq!(
            s(&event, "event.original"),
            Some(original.trim_end_matches(['\r', '\n'])),
            "{at}"
        );
        assert_eq!(
            event.get("event.category"),
            Some(&serde_json::json!(["web"])),
            "{at}"
        );
    }
    assert!(clients > 20, "{clients}");
}
