//! Syslog stream framing for TCP (and TLS) listeners: splits a byte stream into syslog
//! messages. Pure state machine, no I/O: feed it what the socket returns, in any chunking.
//!
//! Each frame is framed independently (RFC 6587 allows senders to mix, and relays do):
//! - **octet counting**: a frame starting with a non-zero ASCII digit, more digits and a
//!   space is `MSG-LEN SP SYSLOG-MSG`, exactly `MSG-LEN` bytes of message;
//! - **non-transparent framing**: anything else runs to the next LF; a CR or NUL also ends
//!   a frame (so `CRLF` works and stray NUL terminators from old senders are tolerated).
//!
//! Empty frames (blank lines, the LF after a CR, a newline some senders add after an
//! octet-counted frame) are skipped. A frame longer than `max_frame` is returned cut at
//! `max_frame` bytes with `truncated: true` as soon as the limit is passed; the rest up to
//! its end (delimiter or octet count) is discarded and counted in
//! [`SyslogFramer::discarded_bytes`]. Memory per connection is thus bounded by `max_frame`.

/// Default largest frame: 4 MiB.
pub const DEFAULT_MAX_FRAME: usize = 4 * 1024 * 1024;

/// Longest MSG-LEN accepted (more digits means it is not an octet count).
const MAX_LEN_DIGITS: usize = 10;

/// One syslog message taken from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The message bytes, without the octet count or the delimiter.
    pub bytes: Vec<u8>,
    /// Whether the message was longer than the frame limit and was cut.
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At a frame boundary.
    Start,
    /// Reading leading digits that may be an octet count (kept in `buf`).
    Count { len: usize },
    /// Reading an octet-counted message with `remaining` bytes still to come.
    Octets { remaining: usize },
    /// Reading a delimited line.
    Line,
    /// Skipping the rest of an oversize octet-counted message.
    SkipOctets { remaining: usize },
    /// Skipping the rest of an oversize line up to its delimiter.
    SkipLine,
}

/// Splits a syslog byte stream into frames (octet counting or newline, per frame).
#[derive(Debug, Clone)]
pub struct SyslogFramer {
    max_frame: usize,
    state: State,
    buf: Vec<u8>,
    discarded: u64,
    truncated_frames: u64,
}

impl Default for SyslogFramer {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME)
    }
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b'\n' | b'\r' | b'\0')
}

impl SyslogFramer {
    /// A framer that cuts frames longer than `max_frame` bytes (at least 1).
    pub fn new(max_frame: usize) -> Self {
        Self {
            max_frame: max_frame.max(1),
            state: State::Start,
            buf: Vec::new(),
            discarded: 0,
            truncated_frames: 0,
        }
    }

    /// The frame size limit.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Bytes thrown away so far from oversize frames.
    pub fn discarded_bytes(&self) -> u64 {
        self.discarded
    }

    /// Frames returned truncated so far.
    pub fn truncated_frames(&self) -> u64 {
        self.truncated_frames
    }

    fn emit(&mut self, out: &mut Vec<Frame>, truncated: bool) {
        let bytes = std::mem::take(&mut self.buf);
        if truncated {
            self.truncated_frames += 1;
        }
        if !bytes.is_empty() || truncated {
            out.push(Frame { bytes, truncated });
        }
    }

    /// Feeds bytes read from the stream; returns the frames completed by them.
    pub fn push(&mut self, data: &[u8]) -> Vec<Frame> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < data.len() {
            match self.state {
                State::Start => {
                    let b = data[i];
                    if is_delimiter(b) {
                        i += 1;
                    } else if (b'1'..=b'9').contains(&b) {
                        self.buf.push(b);
                        self.state = State::Count {
                            len: usize::from(b - b'0'),
                        };
                        i += 1;
                    } else {
                        self.state = State::Line;
                    }
                }
                State::Count { len } => {
                    let b = data[i];
                    if b.is_ascii_digit() && self.buf.len() < MAX_LEN_DIGITS {
                        self.buf.push(b);
                        self.state = State::Count {
                            len: len.saturating_mul(10).saturating_add(usize::from(b - b'0')),
                        };
                        i += 1;
                    } else if b == b' ' {
                        self.buf.clear();
                        self.state = State::Octets { remaining: len };
                        i += 1;
                    } else {
                        // Not an octet count: the digits start a line.
                        self.state = State::Line;
                    }
                }
                State::Octets { remaining } => {
                    let room = self.max_frame - self.buf.len();
                    let take = remaining.min(data.len() - i).min(room);
                    self.buf.extend_from_slice(&data[i..i + take]);
                    i += take;
                    let remaining = remaining - take;
                    if remaining == 0 {
                        self.emit(&mut out, false);
                        self.state = State::Start;
                    } else if self.buf.len() == self.max_frame {
                        self.emit(&mut out, true);
                        self.state = State::SkipOctets { remaining };
                    } else {
                        self.state = State::Octets { remaining };
                    }
                }
                State::SkipOctets { remaining } => {
                    let take = remaining.min(data.len() - i);
                    self.discarded += take as u64;
                    i += take;
                    self.state = if remaining == take {
                        State::Start
                    } else {
                        State::SkipOctets {
                            remaining: remaining - take,
                        }
                    };
                }
                State::Line => {
                    let rest = &data[i..];
                    let end = rest.iter().position(|b| is_delimiter(*b));
                    let chunk = &rest[..end.unwrap_or(rest.len())];
                    if self.buf.len() + chunk.len() > self.max_frame {
                        // (Leading digits alone can exceed a tiny limit.)
                        let kept = self.buf.len().min(self.max_frame);
                        self.discarded += (self.buf.len() - kept) as u64;
                        self.buf.truncate(kept);
                        let room = self.max_frame - kept;
                        self.buf.extend_from_slice(&chunk[..room]);
                        self.emit(&mut out, true);
                        self.discarded += (chunk.len() - room) as u64;
                        match end {
                            Some(end) => {
                                i += end + 1;
                                self.state = State::Start;
                            }
                            None => {
                                i = data.len();
                                self.state = State::SkipLine;
                            }
                        }
                    } else {
                        self.buf.extend_from_slice(chunk);
                        match end {
                            Some(end) => {
                                i += end + 1;
                                self.emit(&mut out, false);
                                self.state = State::Start;
                            }
                            None => i = data.len(),
                        }
                    }
                }
                State::SkipLine => {
                    let rest = &data[i..];
                    match rest.iter().position(|b| is_delimiter(*b)) {
                        Some(end) => {
                            self.discarded += end as u64;
                            i += end + 1;
                            self.state = State::Start;
                        }
                        None => {
                            self.discarded += rest.len() as u64;
                            i = data.len();
                        }
                    }
                }
            }
        }
        out
    }

    /// End of stream: the partial frame left, if any (a last line without delimiter, or
    /// an octet-counted message cut short by the peer, returned with `truncated: true`).
    pub fn finish(&mut self) -> Option<Frame> {
        let state = std::mem::replace(&mut self.state, State::Start);
        let mut bytes = std::mem::take(&mut self.buf);
        match state {
            State::Count { .. } | State::Line if !bytes.is_empty() => {
                // Leading digits alone can exceed a tiny limit.
                let truncated = bytes.len() > self.max_frame;
                if truncated {
                    self.discarded += (bytes.len() - self.max_frame) as u64;
                    self.truncated_frames += 1;
                    bytes.truncate(self.max_frame);
                }
                Some(Frame { bytes, truncated })
            }
            State::Octets { .. } => {
                self.truncated_frames += 1;
                Some(Frame {
                    bytes,
                    truncated: true,
                })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(framer: &mut SyslogFramer, chunks: &[&[u8]]) -> Vec<Frame> {
        let mut out: Vec<Frame> = chunks.iter().flat_map(|c| framer.push(c)).collect();
        out.extend(framer.finish());
        out
    }

    fn f(bytes: &[u8]) -> Frame {
        Frame {
            bytes: bytes.to_vec(),
            truncated: false,
        }
    }

    fn cut(bytes: &[u8]) -> Frame {
        Frame {
            bytes: bytes.to_vec(),
            truncated: true,
        }
    }

    #[test]
    fn newline_framing_with_crlf_nul_and_empty_lines() {
        let mut framer = SyslogFramer::default();
        let out = frames(
            &mut framer,
            &[b"<13>one\n\n<13>two\r\n<13>three\0\r\n\n<13>four"],
        );
        assert_eq!(
            out,
            vec![
                f(b"<13>one"),
                f(b"<13>two"),
                f(b"<13>three"),
                f(b"<13>four")
            ]
        );
    }

    #[test]
    fn octet_counting_keeps_embedded_newlines() {
        let mut framer = SyslogFramer::default();
        let out = frames(&mut framer, &[b"10 <13>a\nb\r\nc5 <13>x"]);
        assert_eq!(out, vec![f(b"<13>a\nb\r\nc"), f(b"<13>x")]);
    }

    #[test]
    fn mixed_framing_per_frame() {
        let mut framer = SyslogFramer::default();
        let stream: &[u8] =
            b"<13>line one\n8 <13>oct\n2024-01-01T00:00:00Z host app: iso line\n42\n7 <13>abc";
        let out = frames(&mut framer, &[stream]);
        assert_eq!(
            out,
            vec![
                f(b"<13>line one"),
                f(b"<13>oct\n"),
                f(b"2024-01-01T00:00:00Z host app: iso line"),
                f(b"42"),
                f(b"<13>abc"),
            ]
        );
    }

    #[test]
    fn split_at_every_offset_matches_whole() {
        let stream: &[u8] =
            b"<13>first line\r\n12 <14>counted\n\n0 zero starts a line\n<15>last \xff bytes\n3 abc99999999999 not a count\n";
        let whole = frames(&mut SyslogFramer::default(), &[stream]);
        assert_eq!(whole.len(), 6);
        for at in 0..=stream.len() {
            let (a, b) = stream.split_at(at);
            assert_eq!(
                frames(&mut SyslogFramer::default(), &[a, b]),
                whole,
                "split at {at}"
            );
        }
        // And one byte at a time.
        let bytes: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(frames(&mut SyslogFramer::default(), &bytes), whole);
    }

    #[test]
    fn oversize_line_is_cut_and_counted() {
        let mut framer = SyslogFramer::new(4);
        let out = frames(&mut framer, &[b"abcd\nabcdefgh\nxy", b"z\n"]);
        assert_eq!(out, vec![f(b"abcd"), cut(b"abcd"), f(b"xyz")]);
        assert_eq!(framer.discarded_bytes(), 4);
        assert_eq!(framer.truncated_frames(), 1);
        // Split across pushes, limit reached in the middle of a later chunk.
        let mut framer = SyslogFramer::new(4);
        let out = frames(&mut framer, &[b"ab", b"cdef", b"gh", b"ij\nok\n"]);
        assert_eq!(out, vec![cut(b"abcd"), f(b"ok")]);
        assert_eq!(framer.discarded_bytes(), 6);
    }

    #[test]
    fn oversize_octet_frame_is_cut_and_counted() {
        let mut framer = SyslogFramer::new(4);
        let out = frames(&mut framer, &[b"10 0123456789", b"3 abc"]);
        assert_eq!(out, vec![cut(b"0123"), f(b"abc")]);
        assert_eq!(framer.discarded_bytes(), 6);
        let stream: &[u8] = b"10 0123456789\n4 abcd";
        for at in 0..=stream.len() {
            let (a, b) = stream.split_at(at);
            let mut framer = SyslogFramer::new(4);
            assert_eq!(
                frames(&mut framer, &[a, b]),
                vec![cut(b"0123"), f(b"abcd")],
                "split at {at}"
            );
            assert_eq!(framer.discarded_bytes(), 6);
        }
    }

    #[test]
    fn finish_reports_partial_frames() {
        let mut framer = SyslogFramer::default();
        assert_eq!(framer.push(b"20 <13>short"), vec![]);
        assert_eq!(framer.finish(), Some(cut(b"<13>short")));
        assert_eq!(framer.finish(), None);
        assert_eq!(framer.push(b"123"), vec![]);
        assert_eq!(framer.finish(), Some(f(b"123")));
        assert_eq!(framer.push(b"\n\r\n"), vec![]);
        assert_eq!(framer.finish(), None);
    }

    #[test]
    fn huge_count_does_not_allocate_up_front() {
        let mut framer = SyslogFramer::new(8);
        assert_eq!(
            framer.push(b"9999999999 abcdefghij"),
            vec![cut(b"abcdefgh")]
        );
        assert_eq!(framer.finish(), None);
        assert_eq!(framer.discarded_bytes(), 2);
    }

    #[test]
    fn random_streams_never_panic_and_keep_bytes_bounded() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..500 {
            let len = (next() % 200) as usize;
            let alphabet = b"0123456789 \n\r\0<>ab";
            let stream: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let mut framer = SyslogFramer::new(1 + (next() % 16) as usize);
            let mut out = Vec::new();
            for chunk in stream.chunks(1 + (next() % 7) as usize) {
                out.extend(framer.push(chunk));
            }
            out.extend(framer.finish());
            assert!(out.iter().all(|fr| fr.bytes.len() <= framer.max_frame()));
            let kept: usize = out.iter().map(|fr| fr.bytes.len()).sum();
            assert!(kept as u64 + framer.discarded_bytes() <= len as u64);
        }
    }
}
