//! Never panic, never drop: truncations and random mutations of real lines (loghub, and
//! every line of the CEF, iptables, Apache and nginx samples under `parsers/`, plus LEEF,
//! logfmt and UFW lines), and random byte strings from a syslog-flavoured alphabet, all
//! come back as an event that keeps the (lossily decoded, line-end stripped) input in
//! `event.original` and has a `message`.

mod common;

use common::{ctx, data_dir, lines, read_data};
use vigil_parse::{parse_line, parse_syslog, ParseContext};

/// xorshift64: deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn check(input: &[u8], ctx: &ParseContext) {
    let expected = String::from_utf8_lossy(vigil_parse::trim_line_end(input)).into_owned();
    for event in [parse_line(input, ctx), parse_syslog(input, ctx)] {
        // A JSON object is the event as sent: it may carry its own original, or no message.
        let json =
            expected.trim_start().starts_with('{') && !event.has_tag(vigil_core::TAG_PARSE_FAILURE);
        if !json {
            assert_eq!(
                event.get_str("event.original"),
                Some(expected.as_str()),
                "{input:?}"
            );
            assert!(event.get_str("message").is_some(), "{input:?}");
        }
        assert!(event.get_str("event.original").is_some(), "{input:?}");
        // Whatever was produced serialises and reads back.
        let bytes = event.to_canonical_bytes();
        assert!(
            vigil_core::Event::from_canonical_bytes(&bytes).is_ok(),
            "{input:?}"
        );
    }
}

fn sample_lines() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for file in [
        "loghub/Linux/Linux_2k.log",
        "loghub/OpenSSH/OpenSSH_2k.log",
        "loghub/Apache/Apache_2k.log",
    ] {
        let data = read_data(file);
        out.extend(lines(&data).into_iter().map(<[u8]>::to_vec));
    }
    out.extend(parser_sample_lines());
    out.extend(
        [
            &br#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] msg"#[..],
            br#"<13>1 - - - - - [origin@123 software="a \"q\" \\ n" x="]"] msg"#,
            b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            b"Mar  1 10:00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls",
            br#"{"@timestamp":"2026-01-02T03:04:05Z","a":{"b":[1,2,{"c":null}]},"d.e":"f"}"#,
            b"2026-02-28T23:59:59.123456+02:00 web1 sshd[1]: Accepted publickey for x from ::1 port 1 ssh2",
            b"LEEF:2.0|Lancope|StealthWatch|1.0|41|x5E|src=10.0.1.8^dst=10.0.0.5^devTime=22-11-2026 10:00:00 +0100^devTimeFormat=dd-MM-yyyy HH:mm:ss Z^usrName=bob",
            b"LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tsev=5\tdevTime=Nov 22 2026 10:00:00.250 UTC",
            br#"level=info msg="hello \"big\" world" user=alice src=10.0.0.1 time=2026-11-22T10:00:00Z"#,
            b"Nov 22 10:00:00 gw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=1.2.3.4 DST=10.0.0.5 LEN=60 PROTO=TCP SPT=44321 DPT=22 SYN [SRC=1.1.1.1 ]",
            br#"<190>Nov 22 10:00:00 web1 nginx: 203.0.113.9 - alice [22/Nov/2026:10:00:00 +0100] "GET /a?b HTTP/2.0" 302 0 "-" "curl/8.0""#,
            b"[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 1234:tid 5678] [client [::1]:5678] AH00037: x",
            br#"type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 success=no exit=-13 a0=7fffd19c5592 ppid=2686 pid=3538 auid=1000 uid=1000 comm="cat" exe="/usr/bin/cat" key=(null)"#,
            b"type=PROCTITLE msg=audit(1364481363.243:24287): proctitle=636174002F6574632F736861646F77",
            br#"type=EXECVE msg=audit(1364481363.243:24287): argc=3 a0="ls" a1=2D6C61 a2="/tmp/a b""#,
            b"type=USER_LOGIN msg=audit(1700000000.5:77): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=login acct=\"alice\" exe=\"/usr/sbin/sshd\" hostname=? addr=203.0.113.7 terminal=ssh res=failed'",
            br#"type=USER_CMD msg=audit(1700000000.123:78): pid=5 uid=1000 auid=1000 ses=2 msg='cwd="/home/a" cmd=6C73 terminal=pts/0 res=success'"#,
            b"type=CWD msg=audit(1700000000.123:79): cwd=\"/root\"",
            b"type=PATH msg=audit(1700000000.123:79): item=0 name=\"/etc/shadow\" inode=1 nametype=NORMAL",
            b"type=SOCKADDR msg=audit(1700000000.123:80): saddr=02000016C0A80001000000000000000",
            b"type=SYSCALL msg=audit(",
            b"type=X msg=audit(1.2:3",
            b"node=h type=USER_AUTH msg=audit(99999999999999999999.1:1): msg='",
            b"<14>Nov 22 10:00:00 host1 audispd: node=host1 type=USER_AUTH msg=audit(1700000000.1:5): pid=1 uid=0 res=success",
            b"<4>Nov 22 10:00:00 host1 kernel: audit: type=1400 audit(1364481363.243:24288): apparmor=\"DENIED\" pid=12 comm=\"cat\"",
            br#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/bob","userName":"bob"},"eventTime":"2024-01-02T03:04:05Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.4","userAgent":"aws-cli/2.0","errorCode":"AccessDenied","errorMessage":"denied"}"#,
            br#"{"Records":[{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin"},{"eventSource":"s3.amazonaws.com","eventName":7,"errorCode":null}]}"#,
            br#"{"Records":[{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole","eventTime":"bad"}]}"#,
            br#"{"@timestamp":1741611463961,"action":"org.add_member","actor":"octo","org":"acme","actor_location":{"country_code":"DE"}}"#,
            br#"{"action":"protected_branch.destroy","org":"acme","repo":"acme/x","actor_id":5}"#,
        ]
        .map(<[u8]>::to_vec),
    );
    out
}

/// Every line of the format samples under `parsers/` (read in place) and the CEF vectors
/// of the Graylog fixtures.
fn parser_sample_lines() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for dir in [
        "elastic-beats/apache-access",
        "elastic-beats/apache-error",
        "elastic-beats/nginx-access",
        "elastic-beats/nginx-error",
        "elastic-beats-xpack/cef",
        "elastic-beats-xpack/iptables",
        "elastic-beats/auditd",
        "elastic-integrations/aws-cloudtrail",
        "elastic-integrations/github-audit",
    ] {
        let path = data_dir().join("parsers").join(dir);
        let mut files: Vec<String> = std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (set VIGIL_TEST_DATA)", path.display()))
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".log"))
            .collect();
        files.sort();
        for file in files {
            let data = read_data(&format!("parsers/{dir}/{file}"));
            out.extend(lines(&data).into_iter().map(<[u8]>::to_vec));
        }
    }
    let dir = data_dir().join("parsers/graylog-cef/cef");
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    fixtures.sort();
    for path in fixtures {
        // The testString line of each fixture, decoded as a JSON string.
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let Some(line) = text
            .lines()
            .find(|l| l.trim_start().starts_with("\"testString\""))
        else {
            continue;
        };
        let value = line.trim().trim_end_matches(',');
        let value = value.split_once(':').map_or("", |(_, v)| v.trim());
        if let Ok(serde_json::Value::String(s)) = serde_json::from_str(value) {
            out.push(s.into_bytes());
        }
    }
    assert!(out.len() > 30, "{}", out.len());
    out
}

#[test]
fn truncations_of_real_lines() {
    let ctx = ctx("2017-01-05T00:00:00Z");
    for (n, line) in sample_lines().iter().enumerate() {
        // Every prefix of a sample of lines, a few prefixes of all of them.
        if n % 13 == 0 || n >= 6000 {
            for end in 0..=line.len() {
                check(&line[..end], &ctx);
            }
        } else {
            for end in [
                0,
                1,
                3,
                4,
                15,
                16,
                20,
                line.len() / 2,
                line.len().saturating_sub(2),
            ] {
                check(&line[..end.min(line.len())], &ctx);
            }
        }
    }
}

#[test]
fn random_mutations_of_real_lines() {
    let ctx = ctx("2017-01-05T00:00:00Z");
    let lines = sample_lines();
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let interesting = b" :[]<>=\"\\-{}\r\n\0\xff\xc3\xa9\xef\xbb\xbf0123456789.TZ+";
    for _ in 0..20_000 {
        let mut line = lines[rng.below(lines.len())].clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(line.len() + 1);
            match rng.below(3) {
                0 if at < line.len() => line[at] = interesting[rng.below(interesting.len())],
                1 => line.insert(at, interesting[rng.below(interesting.len())]),
                _ if at < line.len() => {
                    line.remove(at);
                }
                _ => line.push(rng.next() as u8),
            }
        }
        check(&line, &ctx);
    }
}

#[test]
fn random_bytes() {
    let ctx = ctx("2026-01-01T00:00:00Z");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let alphabet = b"<>1234567890 -:[]=\"\\TZ+.JanFebDecsshd{}\xff\x80\xe2\n\r";
    for _ in 0..20_000 {
        let len = rng.below(80);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.below(8) == 0 {
                    rng.next() as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        check(&bytes, &ctx);
    }
    // Prefix shapes that steer into each parser.
    let mut rng = Rng(7);
    for prefix in [
        &b"<13>1 "[..],
        b"<13>",
        b"Jan  1 00:00:00 ",
        b"2026-01-01T00:00:00Z ",
        b"{",
        b"<13>1 - - - - - [",
        b"CEF:0|",
        b"<13>Jan  1 00:00:00 h CEF:0|a|b|c|d|e|",
        b"LEEF:2.0|a|b|c|d|",
        b"[Sun Dec 04 04:47:44 2005] [error] ",
        b"2026/01/01 00:00:00 [error] 1#0: ",
        b"1.2.3.4 - - [22/Nov/2026:10:00:00 +0000] \"",
        b"Jan  1 00:00:00 h kernel: IN=eth0 OUT= ",
        b"a=1 b=",
    ] {
        for _ in 0..5_000 {
            let mut bytes = prefix.to_vec();
            bytes.extend((0..rng.below(40)).map(|_| alphabet[rng.below(alphabet.len())]));
            check(&bytes, &ctx);
        }
    }
}

#[test]
fn extreme_contexts_do_not_panic() {
    use chrono::{DateTime, FixedOffset, Utc};
    let line = b"<13>Feb 29 23:59:59 host app: x";
    for received in [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        DateTime::<Utc>::UNIX_EPOCH,
    ] {
        for offset in [-86_399, 0, 86_399] {
            let Some(offset) = FixedOffset::east_opt(offset) else {
                continue;
            };
            let ctx = ParseContext {
                received,
                default_offset: offset,
            };
            check(line, &ctx);
            check(b"2026-02-28T23:59:59 host app: x", &ctx);
        }
    }
}
