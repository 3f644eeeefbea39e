//! Never panic, never drop: truncations and random mutations of real lines, and random
//! byte strings from a syslog-flavoured alphabet, all come back as an event that keeps
//! the (lossily decoded, line-end stripped) input in `event.original` and has a `message`.

mod common;

use common::{ctx, lines, read_data};
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
    out.extend(
        [
            &br#"<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] msg"#[..],
            br#"<13>1 - - - - - [origin@123 software="a \"q\" \\ n" x="]"] msg"#,
            b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
            b"Mar  1 10:00:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls",
            br#"{"@timestamp":"2026-01-02T03:04:05Z","a":{"b":[1,2,{"c":null}]},"d.e":"f"}"#,
            b"2026-02-28T23:59:59.123456+02:00 web1 sshd[1]: Accepted publickey for x from ::1 port 1 ssh2",
        ]
        .map(<[u8]>::to_vec),
    );
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
