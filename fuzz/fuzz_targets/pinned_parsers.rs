//! A source's pinned parser (`parser = "json"` and the others) on arbitrary bytes, as a file
//! source reads a line (`parse_line_as`) and as a syslog listener reads a frame
//! (`parse_syslog_as`: header, then the message as the pinned format), and the audit-record
//! joining of a TCP/TLS syslog listener (`syslog_audit_record`, `parse_syslog_audit_group`
//! over the input's lines): never panic, keep the text, produce journal-safe events.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vigil_parse::Parser;

#[path = "common.rs"]
mod common;

const PARSERS: [Parser; 9] = [
    Parser::Auto,
    Parser::Syslog,
    Parser::Json,
    Parser::Cef,
    Parser::Leef,
    Parser::Kv,
    Parser::Auditd,
    Parser::WindowsXml,
    Parser::Raw,
];

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let ctx = common::ctx();
    let parser = PARSERS[usize::from(which) % PARSERS.len()];
    let kept = !vigil_parse::trim_line_end(rest).is_empty();
    for event in [
        vigil_parse::parse_line_as(rest, &ctx, parser),
        vigil_parse::parse_syslog_as(rest, &ctx, parser),
    ] {
        common::check_event(&event);
        if kept {
            assert!(
                event.get("event.original").is_some() || event.get("message").is_some(),
                "a non-empty frame must be kept ({parser})"
            );
        }
    }
    // Consecutive frames with one audit stamp, joined as a listener does.
    let mut group: Vec<&[u8]> = Vec::new();
    let mut stamp: Option<Vec<u8>> = None;
    for frame in rest.split(|&b| b == b'\n') {
        match vigil_parse::syslog_audit_record(frame, &ctx) {
            Some((this, _end)) => {
                if stamp.as_deref() != Some(this) && !group.is_empty() {
                    common::check_event(&vigil_parse::parse_syslog_audit_group(&group, &ctx));
                    group.clear();
                }
                stamp = Some(this.to_vec());
                group.push(frame);
            }
            None => {
                if !group.is_empty() {
                    common::check_event(&vigil_parse::parse_syslog_audit_group(&group, &ctx));
                    group.clear();
                }
            }
        }
    }
    if !group.is_empty() {
        common::check_event(&vigil_parse::parse_syslog_audit_group(&group, &ctx));
    }
});
