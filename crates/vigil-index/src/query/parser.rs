//! Recursive-descent parser from tokens to the AST.
//!
//! ```text
//! query     := [filter] ('|' command)*
//! filter    := or
//! or        := and (('OR' | '||') and)*
//! and       := unary ((('AND' | '&&') unary) | unary)*      -- juxtaposition = AND
//! unary     := ('NOT' | '-') unary | primary
//! primary   := '(' or ')' | '*' | PHRASE | WORD | FIELD ':' value
//!            | '_exists_:' FIELD
//! value     := WORD | PHRASE | '*' | ('>' | '>=' | '<' | '<=') WORD
//!            | ('[' | '{') bound 'TO' bound (']' | '}') | '(' or ')'   -- group: bare terms get FIELD
//! command   := 'stats' aggs ['by' fields]
//!            | 'timechart' ['span=' DUR] ['limit=' N] [aggs] ['by' FIELD]
//!            | 'sort' ['-'|'+'] key (',' ['-'|'+'] key)*
//!            | ('head' | 'limit') [N]
//!            | ('fields' | 'table') fields
//! aggs      := agg ([','] agg)*
//! agg       := FUNC '(' [FIELD] ')' ['as' NAME]     -- FUNC: count count_distinct dc min max avg sum
//! ```

use super::lexer::{lex, RawText, Tok, Token};
use super::{AggFunc, AggSpec, CmpOp, Command, Filter, Pred, Query, SortKey, Val};
use crate::error::SearchError;

/// Maximum nesting of parentheses / NOT (keeps recursion bounded on hostile input).
const MAX_DEPTH: usize = 64;

/// Parses a query string.
pub(crate) fn parse(input: &str) -> Result<Query, SearchError> {
    let toks = lex(input)?;
    let mut p = Parser {
        toks,
        i: 0,
        end: input.chars().count(),
        default_field: Vec::new(),
        depth: 0,
    };
    p.query()
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    end: usize,
    default_field: Vec<String>,
    depth: usize,
}

type R<T> = Result<T, SearchError>;

fn word_is(t: Option<&Token>, w: &str) -> bool {
    matches!(t, Some(Token { tok: Tok::Word(x), .. }) if x == w)
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    fn peek_at(&self, n: usize) -> Option<&Token> {
        self.toks.get(self.i + n)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        if t.is_some() {
            self.i += 1;
        }
        t
    }

    fn pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.start)
    }

    fn err<T>(&self, expected: &str) -> R<T> {
        let found = match self.peek() {
            Some(t) => t.tok.describe(),
            None => "end of query".into(),
        };
        Err(SearchError::invalid(
            self.pos(),
            expected,
            format!("expected {expected}, found {found}"),
        ))
    }

    fn query(&mut self) -> R<Query> {
        let filter = match self.peek() {
            None | Some(Token { tok: Tok::Pipe, .. }) => Filter::All,
            _ => self.or()?,
        };
        let mut commands = Vec::new();
        loop {
            match self.peek().map(|t| &t.tok) {
                None => break,
                Some(Tok::Pipe) => {
                    self.i += 1;
                    commands.push(self.command()?);
                }
                Some(_) => {
                    return if self.in_pipe() {
                        self.err("',' or '|'")
                    } else {
                        self.err("an operator, a search term or '|'")
                    }
                }
            }
        }
        Ok(Query { filter, commands })
    }

    fn in_pipe(&self) -> bool {
        self.toks[..self.i.min(self.toks.len())]
            .iter()
            .any(|t| t.tok == Tok::Pipe)
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SearchError::invalid(
                self.pos(),
                "less nesting",
                format!("query nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> R<Filter> {
        self.enter()?;
        let mut items = vec![self.and()?];
        while word_is(self.peek(), "OR") || word_is(self.peek(), "||") {
            self.i += 1;
            items.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Filter::All)
        } else {
            Filter::Or(items)
        })
    }

    fn starts_term(&self) -> bool {
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => w != "OR" && w != "||",
            Some(Tok::Quoted(_)) | Some(Tok::LParen) | Some(Tok::Minus) => true,
            _ => false,
        }
    }

    fn and(&mut self) -> R<Filter> {
        let mut items = vec![self.unary()?];
        loop {
            if word_is(self.peek(), "AND") || word_is(self.peek(), "&&") {
                self.i += 1;
                items.push(self.unary()?);
            } else if self.starts_term() {
                items.push(self.unary()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Filter::All)
        } else {
            Filter::And(items)
        })
    }

    fn unary(&mut self) -> R<Filter> {
        if word_is(self.peek(), "NOT") || matches!(self.peek().map(|t| &t.tok), Some(Tok::Minus)) {
            self.i += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> R<Filter> {
        let Some(tok) = self.peek().cloned() else {
            return self.err("a search term");
        };
        match tok.tok {
            Tok::LParen => {
                self.i += 1;
                let inner = self.or()?;
                self.expect_rparen(tok.start)?;
                Ok(inner)
            }
            Tok::Quoted(s) => {
                self.i += 1;
                let val = Val {
                    raw: RawText::from_literal(&s),
                    quoted: true,
                    pos: tok.start,
                };
                Ok(match self.default_field.last() {
                    Some(f) => Filter::Field {
                        field: f.clone(),
                        pred: Pred::Eq(val),
                        pos: tok.start,
                    },
                    None => Filter::Text(val),
                })
            }
            Tok::Word(ref w) => {
                if matches!(w.as_str(), "AND" | "OR" | "&&" | "||") {
                    return self.err("a search term");
                }
                self.i += 1;
                self.word(w, &tok)
            }
            _ => self.err("a search term"),
        }
    }

    fn expect_rparen(&mut self, open: usize) -> R<()> {
        match self.peek().map(|t| &t.tok) {
            Some(Tok::RParen) => {
                self.i += 1;
                Ok(())
            }
            _ => self.err(&format!("')' to close the '(' at {open}")),
        }
    }

    fn word(&mut self, w: &str, tok: &Token) -> R<Filter> {
        let raw = RawText::from_raw(w);
        let Some(ci) = raw.find(':') else {
            if raw.is_unescaped('*') {
                return Ok(match self.default_field.last() {
                    Some(f) => Filter::Exists { field: f.clone() },
                    None => Filter::All,
                });
            }
            let val = Val {
                raw,
                quoted: false,
                pos: tok.start,
            };
            return Ok(match self.default_field.last() {
                Some(f) => Filter::Field {
                    field: f.clone(),
                    pred: Pred::Eq(val),
                    pos: tok.start,
                },
                None => Filter::Text(val),
            });
        };
        let field = raw.slice(0, ci).text();
        if field.is_empty() {
            return Err(SearchError::expected(tok.start, "a field name before ':'"));
        }
        let value = raw.slice(ci + 1, raw.len());
        let vpos = tok.start + raw.offset(ci) + 1;
        if field == "_exists_" {
            if value.is_empty() {
                return Err(SearchError::expected(
                    vpos,
                    "a field name after '_exists_:'",
                ));
            }
            return Ok(Filter::Exists {
                field: value.text(),
            });
        }
        if value.is_empty() {
            let next = self.peek().cloned();
            let adjacent = next.as_ref().is_some_and(|n| n.start == tok.end);
            return match next {
                Some(n) if adjacent => match n.tok {
                    Tok::Quoted(s) => {
                        self.i += 1;
                        Ok(Filter::Field {
                            field,
                            pred: Pred::Eq(Val {
                                raw: RawText::from_literal(&s),
                                quoted: true,
                                pos: n.start,
                            }),
                            pos: n.start,
                        })
                    }
                    Tok::LParen => {
                        self.i += 1;
                        self.default_field.push(field);
                        let inner = self.or();
                        self.default_field.pop();
                        let inner = inner?;
                        self.expect_rparen(n.start)?;
                        Ok(inner)
                    }
                    Tok::LBracket | Tok::LBrace => {
                        self.i += 1;
                        self.range(field, n.tok == Tok::LBracket, n.start)
                    }
                    _ => Err(SearchError::expected(tok.end, "a value after ':'")),
                },
                _ => Err(SearchError::expected(tok.end, "a value after ':'")),
            };
        }
        for (op, s) in [
            (CmpOp::Ge, ">="),
            (CmpOp::Le, "<="),
            (CmpOp::Gt, ">"),
            (CmpOp::Lt, "<"),
        ] {
            if value.starts_with_unescaped(s) {
                let n = s.len();
                let rest = value.slice(n, value.len());
                let rpos = tok.start + value.offset(n);
                if rest.is_empty() {
                    if let Some(Token {
                        tok: Tok::Quoted(q),
                        start,
                        ..
                    }) = self.peek().cloned().filter(|t| t.start == tok.end)
                    {
                        self.i += 1;
                        return Ok(Filter::Field {
                            field,
                            pred: Pred::Cmp(
                                op,
                                Val {
                                    raw: RawText::from_literal(&q),
                                    quoted: true,
                                    pos: start,
                                },
                            ),
                            pos: start,
                        });
                    }
                    return Err(SearchError::expected(rpos, format!("a value after '{s}'")));
                }
                return Ok(Filter::Field {
                    field,
                    pred: Pred::Cmp(
                        op,
                        Val {
                            raw: rest,
                            quoted: false,
                            pos: rpos,
                        },
                    ),
                    pos: rpos,
                });
            }
        }
        if value.is_unescaped('*') {
            return Ok(Filter::Exists { field });
        }
        Ok(Filter::Field {
            field,
            pred: Pred::Eq(Val {
                raw: value,
                quoted: false,
                pos: vpos,
            }),
            pos: vpos,
        })
    }

    fn range_bound(&mut self) -> R<Option<Val>> {
        match self.peek().cloned() {
            Some(Token {
                tok: Tok::Quoted(s),
                start,
                ..
            }) => {
                self.i += 1;
                Ok(Some(Val {
                    raw: RawText::from_literal(&s),
                    quoted: true,
                    pos: start,
                }))
            }
            Some(Token {
                tok: Tok::Word(w),
                start,
                ..
            }) if w != "TO" => {
                self.i += 1;
                let raw = RawText::from_raw(&w);
                if raw.is_unescaped('*') {
                    Ok(None)
                } else {
                    Ok(Some(Val {
                        raw,
                        quoted: true,
                        pos: start,
                    }))
                }
            }
            _ => self.err("a range bound (a value or '*')"),
        }
    }

    fn range(&mut self, field: String, lo_incl: bool, pos: usize) -> R<Filter> {
        let lo = self.range_bound()?;
        if !word_is(self.peek(), "TO") {
            return self.err("'TO'");
        }
        self.i += 1;
        let hi = self.range_bound()?;
        let hi_incl = match self.peek().map(|t| &t.tok) {
            Some(Tok::RBracket) => true,
            Some(Tok::RBrace) => false,
            _ => return self.err("']' or '}' to close the range"),
        };
        self.i += 1;
        Ok(Filter::Field {
            field,
            pred: Pred::Range {
                lo,
                lo_incl,
                hi,
                hi_incl,
            },
            pos,
        })
    }

    // ---- pipe commands ----

    fn name(&mut self, what: &str) -> R<(String, usize)> {
        match self.peek().cloned() {
            Some(Token {
                tok: Tok::Word(w),
                start,
                ..
            }) => {
                self.i += 1;
                Ok((RawText::from_raw(&w).text(), start))
            }
            Some(Token {
                tok: Tok::Quoted(q),
                start,
                ..
            }) => {
                self.i += 1;
                Ok((q, start))
            }
            _ => self.err(what),
        }
    }

    fn command(&mut self) -> R<Command> {
        const WHAT: &str = "a command (stats, timechart, sort, head, fields)";
        let Some(Token {
            tok: Tok::Word(w), ..
        }) = self.peek().cloned()
        else {
            return self.err(WHAT);
        };
        let cmd = w.to_ascii_lowercase();
        match cmd.as_str() {
            "stats" => {
                self.i += 1;
                let aggs = self.aggs(false)?;
                let by = if word_is(self.peek(), "by") || word_is(self.peek(), "BY") {
                    self.i += 1;
                    self.field_list()?
                } else {
                    Vec::new()
                };
                Ok(Command::Stats { aggs, by })
            }
            "timechart" => {
                self.i += 1;
                let mut span = None;
                let mut limit = 10;
                while let (
                    Some(Token {
                        tok: Tok::Word(opt),
                        ..
                    }),
                    Some(Token { tok: Tok::Eq, .. }),
                ) = (self.peek().cloned(), self.peek_at(1).cloned())
                {
                    self.i += 2;
                    let (v, vpos) = self.name("an option value")?;
                    match opt.to_ascii_lowercase().as_str() {
                        "span" => {
                            span = Some(parse_span(&v).ok_or_else(|| {
                                SearchError::invalid(
                                    vpos,
                                    "a span like 30s, 5m, 1h or 1d",
                                    format!("expected a span like 30s, 5m, 1h or 1d, found '{v}'"),
                                )
                            })?)
                        }
                        "limit" => {
                            limit = v.parse().map_err(|_| {
                                SearchError::expected(vpos, "a number of series after 'limit='")
                            })?
                        }
                        _ => {
                            return Err(SearchError::invalid(
                                vpos.saturating_sub(opt.chars().count() + 1),
                                "'span' or 'limit'",
                                format!("expected 'span' or 'limit', found '{opt}'"),
                            ))
                        }
                    }
                }
                let aggs = self.aggs(true)?;
                let by = if word_is(self.peek(), "by") || word_is(self.peek(), "BY") {
                    self.i += 1;
                    Some(self.name("a field name after 'by'")?.0)
                } else {
                    None
                };
                Ok(Command::Timechart {
                    span,
                    limit,
                    aggs,
                    by,
                })
            }
            "sort" => {
                self.i += 1;
                let mut keys = Vec::new();
                loop {
                    let desc = match self.peek().map(|t| &t.tok) {
                        Some(Tok::Minus) => {
                            self.i += 1;
                            true
                        }
                        Some(Tok::Plus) => {
                            self.i += 1;
                            false
                        }
                        _ => false,
                    };
                    let name = self.column_name("a field or column to sort on")?;
                    keys.push(SortKey { name, desc });
                    if matches!(self.peek().map(|t| &t.tok), Some(Tok::Comma)) {
                        self.i += 1;
                    } else {
                        break;
                    }
                }
                Ok(Command::Sort(keys))
            }
            "head" | "limit" => {
                self.i += 1;
                match self.peek().cloned() {
                    Some(Token {
                        tok: Tok::Word(n),
                        start,
                        ..
                    }) => {
                        self.i += 1;
                        n.parse::<usize>().map(Command::Head).map_err(|_| {
                            SearchError::expected(start, "a number of results after 'head'")
                        })
                    }
                    None | Some(Token { tok: Tok::Pipe, .. }) => Ok(Command::Head(10)),
                    _ => self.err("a number of results after 'head'"),
                }
            }
            "fields" | "table" => {
                self.i += 1;
                Ok(Command::Fields(self.field_list()?))
            }
            _ => self.err(WHAT),
        }
    }

    /// A field or column name; a call form like `count()` or `avg(bytes)` is kept as written.
    fn column_name(&mut self, what: &str) -> R<String> {
        let (mut name, _) = self.name(what)?;
        if matches!(self.peek().map(|t| &t.tok), Some(Tok::LParen)) {
            self.i += 1;
            let inner = match self.peek().map(|t| &t.tok) {
                Some(Tok::RParen) => String::new(),
                _ => self.name("a field name or ')'")?.0,
            };
            if !matches!(self.peek().map(|t| &t.tok), Some(Tok::RParen)) {
                return self.err("')'");
            }
            self.i += 1;
            name = format!("{name}({inner})");
        }
        Ok(name)
    }

    fn field_list(&mut self) -> R<Vec<String>> {
        let mut out = vec![self.column_name("a field name")?];
        while matches!(self.peek().map(|t| &t.tok), Some(Tok::Comma)) {
            self.i += 1;
            out.push(self.column_name("a field name")?);
        }
        Ok(out)
    }

    fn agg_func(name: &str) -> Option<AggFunc> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" => AggFunc::Count,
            "count_distinct" | "dc" | "distinct_count" => AggFunc::CountDistinct,
            "min" => AggFunc::Min,
            "max" => AggFunc::Max,
            "avg" | "mean" => AggFunc::Avg,
            "sum" => AggFunc::Sum,
            _ => return None,
        })
    }

    fn starts_agg(&self) -> bool {
        matches!(self.peek().map(|t| &t.tok), Some(Tok::Word(w)) if Self::agg_func(w).is_some())
    }

    fn aggs(&mut self, optional: bool) -> R<Vec<AggSpec>> {
        const WHAT: &str =
            "an aggregation (count(), count_distinct(f), min(f), max(f), avg(f), sum(f))";
        let mut out = Vec::new();
        if !self.starts_agg() {
            if optional {
                return Ok(vec![AggSpec {
                    func: AggFunc::Count,
                    field: None,
                    name: "count()".into(),
                }]);
            }
            return self.err(WHAT);
        }
        loop {
            out.push(self.agg()?);
            if matches!(self.peek().map(|t| &t.tok), Some(Tok::Comma)) {
                self.i += 1;
                if !self.starts_agg() {
                    return self.err(WHAT);
                }
            } else if !self.starts_agg() {
                break;
            }
        }
        Ok(out)
    }

    fn agg(&mut self) -> R<AggSpec> {
        let Some(Token {
            tok: Tok::Word(w),
            start,
            ..
        }) = self.next()
        else {
            return self.err("an aggregation");
        };
        let Some(func) = Self::agg_func(&w) else {
            return Err(SearchError::expected(start, "an aggregation"));
        };
        let fname = w.to_ascii_lowercase();
        let mut field = None;
        if matches!(self.peek().map(|t| &t.tok), Some(Tok::LParen)) {
            self.i += 1;
            if !matches!(self.peek().map(|t| &t.tok), Some(Tok::RParen)) {
                field = Some(self.column_name("a field name or ')'")?);
            }
            if !matches!(self.peek().map(|t| &t.tok), Some(Tok::RParen)) {
                return self.err("')'");
            }
            self.i += 1;
        } else if func != AggFunc::Count {
            return self.err(&format!("'(' after '{fname}'"));
        }
        if func != AggFunc::Count && field.is_none() {
            return Err(SearchError::expected(
                start,
                format!("a field name in {fname}()"),
            ));
        }
        let mut name = format!("{fname}({})", field.as_deref().unwrap_or(""));
        if word_is(self.peek(), "as") || word_is(self.peek(), "AS") {
            self.i += 1;
            name = self.name("a column name after 'as'")?.0;
        }
        Ok(AggSpec { func, field, name })
    }
}

/// `30s`, `5m`, `1h`, `1d`, `1w` → seconds.
pub(crate) fn parse_span(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit_at = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(unit_at);
    let n: i64 = if n.is_empty() { 1 } else { n.parse().ok()? };
    let mult = match unit {
        "s" | "sec" | "secs" => 1,
        "m" | "min" | "mins" => 60,
        "h" | "hr" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 604_800,
        _ => return None,
    };
    n.checked_mul(mult).filter(|v| *v > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_pos(q: &str) -> (usize, String) {
        match parse(q) {
            Err(SearchError::Syntax {
                position, message, ..
            }) => (position, message),
            other => panic!("expected syntax error for {q:?}, got {other:?}"),
        }
    }

    #[test]
    fn precedence_and_forms() {
        let q = parse("a OR b c")
            .map(|q| format!("{:?}", q.filter))
            .unwrap_or_default();
        assert!(q.starts_with("Or("), "{q}");
        let q = parse("NOT a -b")
            .map(|q| format!("{:?}", q.filter))
            .unwrap_or_default();
        assert!(q.starts_with("And([Not("), "{q}");
        assert!(parse("user.name:(root OR admin)").is_ok());
        assert!(parse("status:[400 TO 499}").is_ok());
        assert!(parse("| stats count() by host.name | sort -count() | head 5").is_ok());
        assert!(parse("* | timechart span=1m count() by event.outcome").is_ok());
        assert!(parse("").is_ok());
    }

    #[test]
    fn syntax_errors_have_positions() {
        assert_eq!(err_pos("user.name: root").0, 10);
        assert_eq!(err_pos("user.name: root").1, "expected a value after ':'");
        assert_eq!(err_pos("(a OR b").0, 7);
        assert_eq!(err_pos("a OR").0, 4);
        assert_eq!(err_pos("x:[1 TO").0, 7);
        assert_eq!(err_pos("a | stats").0, 9);
        assert_eq!(err_pos("a | frobnicate").0, 4);
        assert_eq!(err_pos("a | head x").0, 9);
        assert_eq!(err_pos("status:>=").0, 9);
        assert_eq!(err_pos("a )").0, 2);
        assert_eq!(parse_span("5m"), Some(300));
        assert_eq!(parse_span("m"), Some(60));
        assert_eq!(parse_span("5x"), None);
    }
}
