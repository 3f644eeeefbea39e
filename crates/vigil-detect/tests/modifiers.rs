//! Sigma v2.1 value modifiers, keywords, conditions and meta-filters: one test per family,
//! each with an event that must match and one that must not (the finding count is asserted).
//! These are the features the public SigmaHQ corpus rarely or never uses, so the EVTX
//! oracles cannot vouch for them. Spec: `../shared/data/spec/specification/`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};
use vigil_core::Event;
use vigil_detect::{rules_from_text, DetectConfig, Detector};

fn event(v: Value) -> Event {
    Event::from_map(v.as_object().cloned().expect("test events are objects"))
}

fn detector_with(yaml: &str, config: &DetectConfig) -> Detector {
    let set = rules_from_text(Path::new("test.yml"), yaml);
    assert!(set.errors.is_empty(), "rule errors: {:?}", set.errors);
    let (det, errors) = Detector::new(&set, config).expect("detector");
    assert!(errors.is_empty(), "compile errors: {errors:?}");
    det
}

fn single_threaded() -> DetectConfig {
    DetectConfig {
        threads: 1,
        ..DetectConfig::default()
    }
}

/// A rule with the given detection block (indented under `detection:`), no log-source
/// restriction that a plain JSON event could fail.
fn rule(detection: &str) -> String {
    format!(
        "title: t\nid: 00000000-0000-4000-8000-000000000001\nlogsource:\n  product: test\ndetection:\n{detection}"
    )
}

/// Findings for one event under one rule.
fn hits(detection: &str, ev: Value) -> usize {
    hits_cfg(detection, ev, &single_threaded())
}

fn hits_cfg(detection: &str, ev: Value, config: &DetectConfig) -> usize {
    let mut det = detector_with(&rule(detection), config);
    det.process(&event(ev)).len()
}

/// Asserts that `yes` matches once and `no` does not.
#[track_caller]
fn check(detection: &str, yes: Value, no: Value) {
    assert_eq!(
        hits(detection, yes.clone()),
        1,
        "should match: {yes}\n{detection}"
    );
    assert_eq!(
        hits(detection, no.clone()),
        0,
        "should not match: {no}\n{detection}"
    );
}

fn b64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
}

fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}

#[test]
fn base64_helper_is_right() {
    assert_eq!(b64(b"cmd"), "Y21k");
    assert_eq!(b64(&utf16le("cmd")), "YwBtAGQA");
    assert_eq!(b64(b"ab"), "YWI=");
}

#[test]
fn exists_true_and_false() {
    let present = "  sel:\n    Foo|exists: true\n  condition: sel\n";
    check(present, json!({"Foo": "", "Bar": 1}), json!({"Bar": 1}));
    // The spec says presence only, "be it empty or null"; rsigma (like the SQL oracle's
    // IS NOT NULL) treats a JSON null as absent. Documented in docs/sigma-differences.md.
    assert_eq!(hits(present, json!({"Foo": null})), 0);
    let absent = "  sel:\n    Foo|exists: false\n    Bar: 1\n  condition: sel\n";
    check(absent, json!({"Bar": 1}), json!({"Foo": "x", "Bar": 1}));
}

#[test]
fn cased_is_case_sensitive_and_default_is_not() {
    check(
        "  sel:\n    Name|cased: 'Admin'\n  condition: sel\n",
        json!({"Name": "Admin"}),
        json!({"Name": "admin"}),
    );
    check(
        "  sel:\n    Name|cased|contains: 'Min'\n  condition: sel\n",
        json!({"Name": "AdMinistrator"}),
        json!({"Name": "administrator"}),
    );
    // Without `cased`, plain values are case-insensitive.
    assert_eq!(
        hits(
            "  sel:\n    Name: 'Admin'\n  condition: sel\n",
            json!({"Name": "aDMIN"})
        ),
        1
    );
}

#[test]
fn numeric_comparisons() {
    let lt = "  sel:\n    Count|lt: 10\n  condition: sel\n";
    check(lt, json!({"Count": 9}), json!({"Count": 10}));
    let lte = "  sel:\n    Count|lte: 10\n  condition: sel\n";
    check(lte, json!({"Count": 10}), json!({"Count": 11}));
    let gt = "  sel:\n    Count|gt: 10\n  condition: sel\n";
    check(gt, json!({"Count": 10.5}), json!({"Count": 10}));
    let gte = "  sel:\n    Count|gte: 10\n  condition: sel\n";
    check(gte, json!({"Count": 10}), json!({"Count": 9}));
    // Numbers kept as strings by a parser still compare numerically.
    assert_eq!(hits(gte, json!({"Count": "12"})), 1);
    // A range: both bounds in one selection.
    let range = "  sel:\n    Port|gte: 1024\n    Port|lt: 2048\n  condition: sel\n";
    check(range, json!({"Port": 1500}), json!({"Port": 2048}));
}

#[test]
fn neq() {
    let d = "  sel:\n    Status|neq: 'ok'\n    Kind: login\n  condition: sel\n";
    check(
        d,
        json!({"Status": "failed", "Kind": "login"}),
        json!({"Status": "ok", "Kind": "login"}),
    );
    let n = "  sel:\n    Code|neq: 0\n  condition: sel\n";
    check(n, json!({"Code": 5}), json!({"Code": 0}));
}

#[test]
fn utf16_and_base64_encodings() {
    // base64 of the UTF-16LE text, exact.
    check(
        "  sel:\n    Payload|utf16le|base64: 'cmd'\n  condition: sel\n",
        json!({"Payload": b64(&utf16le("cmd"))}),
        json!({"Payload": b64(b"cmd")}),
    );
    // `wide` is an alias of utf16le.
    check(
        "  sel:\n    Payload|wide|base64: 'cmd'\n  condition: sel\n",
        json!({"Payload": "YwBtAGQA"}),
        json!({"Payload": "AGMAbQBk"}),
    );
    check(
        "  sel:\n    Payload|utf16be|base64: 'cmd'\n  condition: sel\n",
        json!({"Payload": b64(&utf16be("cmd"))}),
        json!({"Payload": b64(&utf16le("cmd"))}),
    );
    // utf16: byte order mark FF FE, then UTF-16LE.
    let mut bom = vec![0xFF, 0xFE];
    bom.extend(utf16le("cmd"));
    check(
        "  sel:\n    Payload|utf16|base64: 'cmd'\n  condition: sel\n",
        json!({"Payload": b64(&bom)}),
        json!({"Payload": b64(&utf16le("cmd"))}),
    );
    // base64offset|contains finds the value at any of the three byte offsets inside a
    // longer encoded string (the PowerShell -EncodedCommand case).
    let d =
        "  sel:\n    CommandLine|wide|base64offset|contains: 'Invoke-Mimikatz'\n  condition: sel\n";
    for prefix in ["", "x", "xy", "IEX (New-Object Net.WebClient); "] {
        let encoded = b64(&utf16le(&format!("{prefix}Invoke-Mimikatz -DumpCreds")));
        assert_eq!(
            hits(
                d,
                json!({"CommandLine": format!("powershell -enc {encoded}")})
            ),
            1,
            "prefix {prefix:?}"
        );
    }
    let other = b64(&utf16le("Invoke-WebRequest http://x"));
    assert_eq!(
        hits(
            d,
            json!({"CommandLine": format!("powershell -enc {other}")})
        ),
        0
    );
    // Plain base64offset without wide.
    let d = "  sel:\n    Data|base64offset|contains: 'http://'\n  condition: sel\n";
    for prefix in ["", "a", "ab"] {
        let encoded = b64(format!("{prefix}http://evil").as_bytes());
        assert_eq!(hits(d, json!({"Data": encoded})), 1, "prefix {prefix:?}");
    }
    assert_eq!(hits(d, json!({"Data": b64(b"ftp://evil")})), 0);
}

#[test]
fn windash() {
    let d = "  sel:\n    CommandLine|windash|contains: ' -enc '\n  condition: sel\n";
    for yes in [
        "powershell -enc AAAA",
        "powershell /enc AAAA",
        "powershell \u{2013}enc AAAA", // en dash
        "powershell \u{2014}enc AAAA", // em dash
        "powershell \u{2015}enc AAAA", // horizontal bar
    ] {
        assert_eq!(hits(d, json!({ "CommandLine": yes })), 1, "{yes}");
    }
    assert_eq!(hits(d, json!({"CommandLine": "powershell +enc AAAA"})), 0);
    // Written with a slash, the value still matches the dash forms (spec: all
    // permutations; SigmaHQ's procdump rule writes ' /accepteula').
    let slash = "  sel:\n    CommandLine|contains|windash: ' /accepteula'\n  condition: sel\n";
    for yes in [
        "procdump -accepteula -ma",
        "procdump /accepteula",
        "procdump \u{2013}accepteula",
    ] {
        assert_eq!(hits(slash, json!({ "CommandLine": yes })), 1, "{yes}");
    }
    assert_eq!(
        hits(slash, json!({"CommandLine": "procdump accepteula"})),
        0
    );
    // A slash inside a path is not a flag and stays a slash.
    let path = "  sel:\n    CommandLine|contains|windash: 'a/b -x'\n  condition: sel\n";
    check(
        path,
        json!({"CommandLine": "a/b /x"}),
        json!({"CommandLine": "a-b -x"}),
    );
    assert_eq!(hits(d, json!({"CommandLine": "powershell enc AAAA"})), 0);
}

#[test]
fn time_modifiers_extract_parts_of_a_date() {
    // 2024-03-15 is a Friday in ISO week 11.
    let ev = json!({"Created": "2024-03-15T03:20:45Z"});
    for (modifier, yes, no) in [
        ("minute", 20, 21),
        ("hour", 3, 4),
        ("day", 15, 14),
        ("week", 11, 12),
        ("month", 3, 4),
        ("year", 2024, 2023),
    ] {
        let d_yes = format!("  sel:\n    Created|{modifier}: {yes}\n  condition: sel\n");
        let d_no = format!("  sel:\n    Created|{modifier}: {no}\n  condition: sel\n");
        assert_eq!(hits(&d_yes, ev.clone()), 1, "{modifier} = {yes}");
        assert_eq!(hits(&d_no, ev.clone()), 0, "{modifier} = {no}");
    }
    // A list is OR: outside business hours as a list of hours.
    let d = "  sel:\n    Created|hour: [0, 1, 2, 3, 4, 5]\n  condition: sel\n";
    check(
        d,
        json!({"Created": "2024-03-15T03:20:45Z"}),
        json!({"Created": "2024-03-15T13:20:45Z"}),
    );
    // rsigma rejects a time modifier combined with a numeric comparison (`|hour|lt`); the
    // spec does not define the combination (docs/sigma-differences.md).
    let set = rules_from_text(
        Path::new("t.yml"),
        &rule("  sel:\n    Created|hour|lt: 6\n  condition: sel\n"),
    );
    let (_, errors) = Detector::new(&set, &single_threaded()).unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
}

#[test]
fn regex_and_its_flags() {
    // Case-sensitive by default.
    check(
        "  sel:\n    Name|re: '^adm[0-9]+$'\n  condition: sel\n",
        json!({"Name": "adm42"}),
        json!({"Name": "ADM42"}),
    );
    check(
        "  sel:\n    Name|re|i: '^adm[0-9]+$'\n  condition: sel\n",
        json!({"Name": "ADM42"}),
        json!({"Name": "xADM42"}),
    );
    // m: ^ and $ at line boundaries.
    check(
        "  sel:\n    Text|re|m: '^second$'\n  condition: sel\n",
        json!({"Text": "first\nsecond\nthird"}),
        json!({"Text": "first\nsecond third"}),
    );
    assert_eq!(
        hits(
            "  sel:\n    Text|re: '^second$'\n  condition: sel\n",
            json!({"Text": "first\nsecond\nthird"})
        ),
        0
    );
    // s: dot matches newline.
    check(
        "  sel:\n    Text|re|s: 'begin.+end'\n  condition: sel\n",
        json!({"Text": "begin\nmiddle\nend"}),
        json!({"Text": "end\nbegin"}),
    );
    assert_eq!(
        hits(
            "  sel:\n    Text|re: 'begin.+end'\n  condition: sel\n",
            json!({"Text": "begin\nmiddle\nend"})
        ),
        0
    );
    // Flags combine.
    assert_eq!(
        hits(
            "  sel:\n    Text|re|i|m: '^SECOND$'\n  condition: sel\n",
            json!({"Text": "first\nsecond"})
        ),
        1
    );
}

#[test]
fn fieldref_compares_two_fields() {
    let d = "  sel:\n    TargetUserName|fieldref: SubjectUserName\n  condition: sel\n";
    check(
        d,
        json!({"TargetUserName": "alice", "SubjectUserName": "alice"}),
        json!({"TargetUserName": "alice", "SubjectUserName": "bob"}),
    );
    // The referenced field missing is no match.
    assert_eq!(hits(d, json!({"TargetUserName": "alice"})), 0);
}

#[test]
fn expand_uses_configured_placeholders() {
    let mut placeholders = BTreeMap::new();
    placeholders.insert(
        "Administrators".to_string(),
        vec!["root".to_string(), "admin".to_string(), "op*".to_string()],
    );
    let config = DetectConfig {
        placeholders,
        threads: 1,
        ..DetectConfig::default()
    };
    let d = "  sel:\n    User|expand: '%Administrators%'\n  condition: sel\n";
    assert_eq!(hits_cfg(d, json!({"User": "root"}), &config), 1);
    assert_eq!(hits_cfg(d, json!({"User": "ADMIN"}), &config), 1);
    assert_eq!(hits_cfg(d, json!({"User": "administrator"}), &config), 0);
    assert_eq!(
        hits_cfg(d, json!({"User": "operator"}), &config),
        1,
        "op* is a wildcard"
    );
    assert_eq!(hits_cfg(d, json!({"User": "guest"}), &config), 0);
    // A placeholder inside a longer value.
    // (Not after a backslash: `\%` is the spec's escaped percent sign.)
    let inner = "  sel:\n    Path|expand: '/home/%Administrators%/x'\n  condition: sel\n";
    assert_eq!(hits_cfg(inner, json!({"Path": "/home/root/x"}), &config), 1);
    assert_eq!(hits_cfg(inner, json!({"Path": "/home/bob/x"}), &config), 0);
    // Two placeholders: every combination.
    let mut two = config.clone();
    two.placeholders.insert(
        "Domains".to_string(),
        vec!["corp".to_string(), "lab".to_string()],
    );
    let both = "  sel:\n    Account|expand: '%Administrators%@%Domains%'\n  condition: sel\n";
    assert_eq!(hits_cfg(both, json!({"Account": "admin@LAB"}), &two), 1);
    assert_eq!(hits_cfg(both, json!({"Account": "root@corp"}), &two), 1);
    assert_eq!(hits_cfg(both, json!({"Account": "root@home"}), &two), 0);
    // `\%` is a plain percent sign.
    let escaped = "  sel:\n    Text|expand: '\\%plain%Administrators%'\n  condition: sel\n";
    assert_eq!(hits_cfg(escaped, json!({"Text": "%plainroot"}), &config), 1);
    // Without `expand`, `%name%` is literal even when a placeholder of that name exists
    // (spec "Placeholders").
    let literal = "  sel:\n    User: '%Administrators%'\n  condition: sel\n";
    assert_eq!(hits_cfg(literal, json!({"User": "root"}), &config), 0);
    assert_eq!(
        hits_cfg(literal, json!({"User": "%administrators%"}), &config),
        1
    );
    let unknown = "  sel:\n    User: '%temp%'\n  condition: sel\n";
    assert_eq!(hits_cfg(unknown, json!({"User": "%TEMP%"}), &config), 1);
}

#[test]
fn cidr_v4_and_v6() {
    check(
        "  sel:\n    SourceIp|cidr: '10.0.0.0/8'\n  condition: sel\n",
        json!({"SourceIp": "10.20.30.40"}),
        json!({"SourceIp": "11.0.0.1"}),
    );
    check(
        "  sel:\n    SourceIp|cidr:\n      - '192.168.0.0/16'\n      - '172.16.0.0/12'\n  condition: sel\n",
        json!({"SourceIp": "172.31.255.255"}),
        json!({"SourceIp": "172.32.0.1"}),
    );
    check(
        "  sel:\n    SourceIp|cidr: 'fe80::/10'\n  condition: sel\n",
        json!({"SourceIp": "fe80::1c2d:3e4f"}),
        json!({"SourceIp": "2001:db8::1"}),
    );
    // Not an address at all: no match (and no error).
    assert_eq!(
        hits(
            "  sel:\n    SourceIp|cidr: '10.0.0.0/8'\n  condition: sel\n",
            json!({"SourceIp": "localhost"})
        ),
        0
    );
}

#[test]
fn all_links_list_values_with_and() {
    let d = "  sel:\n    CommandLine|contains|all:\n      - 'net'\n      - 'user'\n      - '/add'\n  condition: sel\n";
    check(
        d,
        json!({"CommandLine": "net user bob pw /add"}),
        json!({"CommandLine": "net user bob"}),
    );
    // Without `all` a list is OR.
    let or = "  sel:\n    CommandLine|contains:\n      - 'net'\n      - 'zzz'\n  condition: sel\n";
    assert_eq!(hits(or, json!({"CommandLine": "net view"})), 1);
}

#[test]
fn startswith_endswith_contains_and_wildcards() {
    check(
        "  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n",
        json!({"Image": "C:\\Windows\\System32\\CMD.EXE"}),
        json!({"Image": "C:\\Windows\\System32\\xcmd.exe"}),
    );
    check(
        "  sel:\n    Image|startswith: 'C:\\Users\\'\n  condition: sel\n",
        json!({"Image": "c:\\users\\bob\\a.exe"}),
        json!({"Image": "D:\\C:\\Users\\a.exe"}),
    );
    // Wildcards inside a modified value.
    check(
        // `\\*`: a backslash, then the wildcard (a single `\*` would be a literal star).
        "  sel:\n    Image|startswith: 'C:\\Windows\\\\*\\cmd'\n  condition: sel\n",
        json!({"Image": "C:\\Windows\\SysWOW64\\cmd.exe"}),
        json!({"Image": "C:\\Temp\\Windows\\x\\cmd.exe"}),
    );
    check(
        "  sel:\n    Name: 'prog?.exe'\n  condition: sel\n",
        json!({"Name": "progA.exe"}),
        json!({"Name": "progAB.exe"}),
    );
    check(
        "  sel:\n    Name|contains: 'ab*ef'\n  condition: sel\n",
        json!({"Name": "xxabcdefyy"}),
        json!({"Name": "xxabcdeyy"}),
    );
    check(
        "  sel:\n    Image|endswith: '\\Sys*\\cmd.exe'\n  condition: sel\n",
        json!({"Image": "C:\\Windows\\SysWOW64\\cmd.exe"}),
        json!({"Image": "C:\\Windows\\SysWOW64\\cmd.exe.bak"}),
    );
    check(
        "  sel:\n    Image|startswith: 'C:\\Win?ows\\'\n  condition: sel\n",
        json!({"Image": "C:\\Windows\\x.exe"}),
        json!({"Image": "D:\\C:\\Windows\\x.exe"}),
    );
    // Plain values are whole-string matches.
    assert_eq!(
        hits(
            "  sel:\n    Name: 'cmd.exe'\n  condition: sel\n",
            json!({"Name": "xcmd.exe"})
        ),
        0
    );
}

#[test]
fn escaped_wildcards_and_backslashes() {
    // `\*` is a literal star, `\?` a literal question mark.
    check(
        "  sel:\n    Name: 'a\\*b'\n  condition: sel\n",
        json!({"Name": "a*b"}),
        json!({"Name": "axxb"}),
    );
    check(
        "  sel:\n    Name: 'what\\?'\n  condition: sel\n",
        json!({"Name": "what?"}),
        json!({"Name": "whatx"}),
    );
    // A single backslash not followed by a wildcard is literal; `\\` before a wildcard is
    // one backslash followed by the wildcard (spec "Escape Character").
    check(
        "  sel:\n    Path: 'C:\\Temp\\\\*'\n  condition: sel\n",
        json!({"Path": "C:\\Temp\\anything"}),
        json!({"Path": "C:\\Tempanything"}),
    );
    // `\\\*`: a backslash followed by a literal star.
    check(
        "  sel:\n    Path: 'C:\\\\\\*'\n  condition: sel\n",
        json!({"Path": "C:\\*"}),
        json!({"Path": "C:\\x"}),
    );
    // `\\\\` is the plain value `\\` (two backslashes): a UNC prefix.
    let unc = "  sel:\n    Path|contains: '\\\\\\\\'\n  condition: sel\n";
    check(
        unc,
        json!({"Path": "\\\\server\\share\\a.msi"}),
        json!({"Path": "C:\\Program Files\\a.msi"}),
    );
    // A plain `\\` (not before a wildcard) is a single backslash.
    check(
        "  sel:\n    Path|endswith: 'dir\\\\file'\n  condition: sel\n",
        json!({"Path": "C:\\dir\\file"}),
        json!({"Path": "C:\\dir\\\\xfile"}),
    );
}

#[test]
fn keyword_lists() {
    let any = "  keywords:\n    - 'Failed password'\n    - 'Invalid user'\n  condition: keywords\n";
    check(
        any,
        json!({"message": "sshd: Invalid user bob from 1.2.3.4"}),
        json!({"message": "Accepted password for bob"}),
    );
    // Keywords search every string value, not one field.
    assert_eq!(hits(any, json!({"a": {"b": "x failed PASSWORD y"}})), 1);
    let all = "  keywords:\n    '|all':\n      - 'error'\n      - 'disk'\n  condition: keywords\n";
    check(
        all,
        json!({"message": "error: disk full"}),
        json!({"message": "error: memory"}),
    );
}

#[test]
fn null_and_empty_values() {
    // `field: null`: absent or null (as the SQL oracle's IS NULL).
    let null = "  sel:\n    Kind: x\n    Parent: null\n  condition: sel\n";
    assert_eq!(hits(null, json!({"Kind": "x"})), 1);
    assert_eq!(hits(null, json!({"Kind": "x", "Parent": null})), 1);
    assert_eq!(hits(null, json!({"Kind": "x", "Parent": "p"})), 0);
    // Empty string matches an empty value only.
    let empty = "  sel:\n    Description: ''\n  condition: sel\n";
    check(
        empty,
        json!({"Description": ""}),
        json!({"Description": "x"}),
    );
    assert_eq!(hits(empty, json!({"Other": 1})), 0);
}

#[test]
fn one_of_all_of_and_them() {
    let one = "  selection_a:\n    A: 1\n  selection_b:\n    B: 2\n  filter:\n    C: 3\n  condition: 1 of selection_* and not filter\n";
    check(one, json!({"B": 2}), json!({"A": 1, "C": 3}));
    assert_eq!(hits(one, json!({"D": 4})), 0);
    let all =
        "  selection_a:\n    A: 1\n  selection_b:\n    B: 2\n  condition: all of selection_*\n";
    check(all, json!({"A": 1, "B": 2}), json!({"A": 1}));
    let all_them = "  sel1:\n    A: 1\n  sel2:\n    B: 2\n  condition: all of them\n";
    check(all_them, json!({"A": 1, "B": 2}), json!({"B": 2}));
    let one_them = "  sel1:\n    A: 1\n  sel2:\n    B: 2\n  condition: 1 of them\n";
    check(one_them, json!({"B": 2}), json!({"C": 2}));
    // Lists of maps in a selection are OR.
    let maps = "  sel:\n    - A: 1\n      B: 1\n    - C: 1\n  condition: sel\n";
    check(maps, json!({"C": 1}), json!({"A": 1}));
}

const FILTERED_RULE: &str = "title: Whoami
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\whoami.exe'
    condition: selection
";

const OTHER_RULE: &str = "title: Hostname
id: df0841c0-9846-4e9f-ad8a-7df91571771b
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\hostname.exe'
    condition: selection
";

const FILTER: &str = "title: Filter admin accounts
id: 2c6fd4e4-0d3c-4d3f-8d5e-91b9c0b4a0f1
logsource:
    category: process_creation
    product: windows
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095
    selection:
        User|startswith: 'adm_'
    condition: not selection
";

#[test]
fn meta_filter_applies_to_the_rules_it_names_only() {
    let text = format!("{FILTERED_RULE}---\n{OTHER_RULE}---\n{FILTER}");
    let mut det = detector_with(&text, &single_threaded());
    let whoami = |user: &str| {
        event(
            json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
            "Image": "C:\\Windows\\System32\\whoami.exe", "User": user}),
        )
    };
    let hostname = |user: &str| {
        event(
            json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
            "Image": "C:\\Windows\\System32\\hostname.exe", "User": user}),
        )
    };
    assert_eq!(det.process(&whoami("bob")).len(), 1);
    assert_eq!(det.process(&whoami("adm_bob")).len(), 0, "filtered");
    // The filter names only the first rule.
    assert_eq!(det.process(&hostname("adm_bob")).len(), 1);
    // The filter itself is no detection.
    assert_eq!(det.process(&hostname("bob")).len(), 1);
}

#[test]
fn meta_filter_condition_is_and_linked_to_the_rule() {
    // pySigma (the reference implementation) and rsigma both rewrite the rule's condition
    // to `(rule) and (filter condition)`, so the spec's example filter (`condition:
    // selection`) keeps only the matches of the selection. docs/sigma-differences.md.
    let filter = FILTER.replace("condition: not selection", "condition: selection");
    let text = format!("{FILTERED_RULE}---\n{filter}");
    let mut det = detector_with(&text, &single_threaded());
    let whoami = |user: &str| {
        event(
            json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
            "Image": "C:\\Windows\\System32\\whoami.exe", "User": user}),
        )
    };
    assert_eq!(det.process(&whoami("adm_bob")).len(), 1);
    assert_eq!(det.process(&whoami("bob")).len(), 0);
}

#[test]
fn logsource_routing_keeps_windows_rules_on_their_events() {
    // A process_creation rule does not see a Sysmon network event with the same field.
    let mut det = detector_with(FILTERED_RULE, &single_threaded());
    let ev = |id: i64| {
        event(
            json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": id,
            "Image": "C:\\Windows\\System32\\whoami.exe"}),
        )
    };
    assert_eq!(det.process(&ev(1)).len(), 1);
    assert_eq!(det.process(&ev(3)).len(), 0);
}

/// A placeholder with no configured value is a load error naming it, not a rule that
/// matches the literal `%name%` (under `not`, that would match everything).
#[test]
fn unconfigured_placeholder_is_rejected_with_its_name() {
    let yaml = rule(
        "    selection:\n        event.action: certificate-issued\n    approved:\n        x509.issuer.common_name|expand: '%approved_cas%'\n    condition: selection and not approved",
    );
    let set = rules_from_text(Path::new("unapproved_ca.yml"), &yaml);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let (mut detector, errors) =
        Detector::new(&set, &single_threaded()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].reason.contains("%approved_cas%"), "{}", errors[0]);
    assert!(errors[0].file.ends_with("unapproved_ca.yml"));
    let findings = detector.process(&event(json!({"event": {"action": "certificate-issued"}, "x509": {"issuer": {"common_name": "Evil CA"}}})));
    assert!(
        findings.is_empty(),
        "a rule that was not loaded raised {findings:?}"
    );
    // Configured: it loads and judges.
    let mut config = single_threaded();
    config.placeholders =
        BTreeMap::from([("approved_cas".to_string(), vec!["Corp Root CA".to_string()])]);
    let (mut detector, errors) = Detector::new(&set, &config).unwrap_or_else(|e| panic!("{e}"));
    assert!(errors.is_empty(), "{errors:?}");
    let issued = |issuer: &str| json!({"event": {"action": "certificate-issued"}, "x509": {"issuer": {"common_name": issuer}}});
    assert_eq!(detector.process(&event(issued("Evil CA"))).len(), 1);
    assert_eq!(detector.process(&event(issued("Corp Root CA"))).len(), 0);
}
