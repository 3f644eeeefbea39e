//! The lexer. Positions are character offsets into the query.
//!
//! Before the first `|` (filter mode), the special characters are whitespace and
//! `( ) [ ] { } " |`; everything else forms words (`user.name:adm*` is one word, split
//! on its first unescaped `:` by the parser). A backslash escapes the next character.
//! A `-` at the start of a token that is followed by a non-space is a [`Tok::Minus`].
//! After a `|` (pipe mode) `,` and `=` are special too.

use crate::error::SearchError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A run of ordinary characters, kept raw (escapes not yet removed).
    Word(String),
    /// A double-quoted string, escapes removed.
    Quoted(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Pipe,
    Comma,
    Eq,
    Minus,
    Plus,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    /// Char offset of the first character.
    pub start: usize,
    /// Char offset just past the last character.
    pub end: usize,
}

impl Tok {
    pub fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("'{w}'"),
            Tok::Quoted(q) => format!("\"{q}\""),
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::LBrace => "'{'".into(),
            Tok::RBrace => "'}'".into(),
            Tok::Pipe => "'|'".into(),
            Tok::Comma => "','".into(),
            Tok::Eq => "'='".into(),
            Tok::Minus => "'-'".into(),
            Tok::Plus => "'+'".into(),
        }
    }
}

fn special(c: char, pipe_mode: bool) -> bool {
    c.is_whitespace()
        || matches!(c, '(' | ')' | '[' | ']' | '{' | '}' | '"' | '|')
        || (pipe_mode && matches!(c, ',' | '='))
}

/// Splits the query into tokens.
pub(crate) fn lex(input: &str) -> Result<Vec<Token>, SearchError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut pipe_mode = false;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        let single = match c {
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            '[' => Some(Tok::LBracket),
            ']' => Some(Tok::RBracket),
            '{' => Some(Tok::LBrace),
            '}' => Some(Tok::RBrace),
            '|' => Some(Tok::Pipe),
            ',' if pipe_mode => Some(Tok::Comma),
            '=' if pipe_mode => Some(Tok::Eq),
            '-' | '+'
                if chars.get(i + 1).is_some_and(|n| !n.is_whitespace())
                    && (c == '-' || pipe_mode) =>
            {
                Some(if c == '-' { Tok::Minus } else { Tok::Plus })
            }
            _ => None,
        };
        if let Some(tok) = single {
            if tok == Tok::Pipe {
                pipe_mode = true;
            }
            out.push(Token {
                tok,
                start,
                end: i + 1,
            });
            i += 1;
            continue;
        }
        if c == '"' {
            let mut s = String::new();
            i += 1;
            let mut closed = false;
            while i < chars.len() {
                match chars[i] {
                    '\\' if i + 1 < chars.len() => {
                        s.push(chars[i + 1]);
                        i += 2;
                    }
                    '"' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    ch => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            if !closed {
                return Err(SearchError::invalid(
                    chars.len(),
                    "'\"'",
                    format!("expected '\"' to close the quote opened at {start}"),
                ));
            }
            out.push(Token {
                tok: Tok::Quoted(s),
                start,
                end: i,
            });
            continue;
        }
        let mut w = String::new();
        while i < chars.len() {
            let ch = chars[i];
            if ch == '\\' {
                w.push(ch);
                if let Some(n) = chars.get(i + 1) {
                    w.push(*n);
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            if special(ch, pipe_mode) {
                break;
            }
            w.push(ch);
            i += 1;
        }
        out.push(Token {
            tok: Tok::Word(w),
            start,
            end: i,
        });
    }
    Ok(out)
}

/// A word split into characters with their escape flag and char offset in the word.
#[derive(Debug, Clone)]
pub(crate) struct RawText {
    pub chars: Vec<(char, bool, usize)>,
}

impl RawText {
    pub fn from_raw(raw: &str) -> RawText {
        let mut chars = Vec::new();
        let mut it = raw.chars().enumerate();
        while let Some((i, c)) = it.next() {
            if c == '\\' {
                match it.next() {
                    Some((_, n)) => chars.push((n, true, i)),
                    None => chars.push(('\\', true, i)),
                }
            } else {
                chars.push((c, false, i));
            }
        }
        RawText { chars }
    }

    pub fn from_literal(s: &str) -> RawText {
        RawText {
            chars: s.chars().enumerate().map(|(i, c)| (c, true, i)).collect(),
        }
    }

    /// Index (in `chars`) of the first unescaped `c`.
    pub fn find(&self, c: char) -> Option<usize> {
        self.chars.iter().position(|&(ch, esc, _)| ch == c && !esc)
    }

    /// Char offset in the original word of `chars[i]` (or of the end).
    pub fn offset(&self, i: usize) -> usize {
        match self.chars.get(i) {
            Some(&(_, _, o)) => o,
            None => self
                .chars
                .last()
                .map_or(0, |&(_, esc, o)| o + if esc { 2 } else { 1 }),
        }
    }

    pub fn slice(&self, from: usize, to: usize) -> RawText {
        let to = to.min(self.chars.len());
        RawText {
            chars: self.chars[from.min(to)..to].to_vec(),
        }
    }

    /// The text without escapes.
    pub fn text(&self) -> String {
        self.chars.iter().map(|&(c, _, _)| c).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether the text is exactly one unescaped `c`.
    pub fn is_unescaped(&self, c: char) -> bool {
        self.chars.len() == 1 && self.chars[0].0 == c && !self.chars[0].1
    }

    /// Whether the text starts with `s`, unescaped.
    pub fn starts_with_unescaped(&self, s: &str) -> bool {
        let n = s.chars().count();
        self.chars.len() >= n
            && s.chars()
                .zip(&self.chars)
                .all(|(a, &(b, esc, _))| a == b && !esc)
    }

    /// Whether an unescaped `*` or `?` occurs.
    pub fn has_wildcard(&self) -> bool {
        self.chars
            .iter()
            .any(|&(c, esc, _)| !esc && (c == '*' || c == '?'))
    }

    /// Regex for the wildcard pattern (unescaped `*` → `.*`, `?` → `.`), optionally lowercased.
    pub fn wildcard_regex(&self, lowercase: bool) -> String {
        let mut out = String::new();
        for &(c, esc, _) in &self.chars {
            match (c, esc) {
                ('*', false) => out.push_str(".*"),
                ('?', false) => out.push('.'),
                _ => {
                    if lowercase {
                        for l in c.to_lowercase() {
                            push_regex_literal(&mut out, l);
                        }
                    } else {
                        push_regex_literal(&mut out, c);
                    }
                }
            }
        }
        out
    }
}

/// Appends `c` to a regex, escaped.
pub(crate) fn push_regex_literal(out: &mut String, c: char) {
    if matches!(
        c,
        '\\' | '.'
            | '+'
            | '*'
            | '?'
            | '('
            | ')'
            | '|'
            | '['
            | ']'
            | '{'
            | '}'
            | '^'
            | '$'
            | '#'
            | '&'
            | '-'
            | '~'
    ) {
        out.push('\\');
        out.push(c);
    } else if c.is_control() || c.is_whitespace() {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    } else {
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(q: &str) -> Vec<Tok> {
        lex(q)
            .map(|v| v.into_iter().map(|t| t.tok).collect())
            .unwrap_or_default()
    }

    #[test]
    fn words_and_specials() {
        assert_eq!(
            toks(r#"user.name:adm* -(a OR "b c") f:[1 TO 2}"#),
            vec![
                Tok::Word("user.name:adm*".into()),
                Tok::Minus,
                Tok::LParen,
                Tok::Word("a".into()),
                Tok::Word("OR".into()),
                Tok::Quoted("b c".into()),
                Tok::RParen,
                Tok::Word("f:".into()),
                Tok::LBracket,
                Tok::Word("1".into()),
                Tok::Word("TO".into()),
                Tok::Word("2".into()),
                Tok::RBrace,
            ]
        );
        assert_eq!(
            toks("a | stats count() by x, y"),
            vec![
                Tok::Word("a".into()),
                Tok::Pipe,
                Tok::Word("stats".into()),
                Tok::Word("count".into()),
                Tok::LParen,
                Tok::RParen,
                Tok::Word("by".into()),
                Tok::Word("x".into()),
                Tok::Comma,
                Tok::Word("y".into()),
            ]
        );
        assert!(lex("\"open").is_err());
        let r = RawText::from_raw(r"a\*b*");
        assert!(r.has_wildcard());
        assert_eq!(r.wildcard_regex(false), r"a\*b.*");
    }
}
