//! The query language: [`lexer`] → [`parser`] (recursive descent, to the AST defined
//! here) → [`compile`] (AST → tantivy queries). See the crate documentation for the
//! grammar.

pub(crate) mod column;
pub(crate) mod compile;
pub(crate) mod lexer;
pub(crate) mod parser;
pub(crate) mod safe;

use lexer::RawText;

/// A parsed query: a filter and the pipe commands after it.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub filter: Filter,
    pub commands: Vec<Command>,
}

/// A value as written: unquoted values may carry wildcards, quoted ones are literal.
#[derive(Debug, Clone)]
pub(crate) struct Val {
    pub raw: RawText,
    pub quoted: bool,
    /// Char offset of the value in the query.
    pub pos: usize,
}

impl Val {
    pub fn text(&self) -> String {
        self.raw.text()
    }

    pub fn is_wildcard(&self) -> bool {
        !self.quoted && self.raw.has_wildcard()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone)]
pub(crate) enum Pred {
    /// `field:value`, `field:"value"`, `field:val*`.
    Eq(Val),
    /// `field:>=value` etc.
    Cmp(CmpOp, Val),
    /// `field:[a TO b]`, `field:{a TO b}` (`*` = open bound).
    Range {
        lo: Option<Val>,
        lo_incl: bool,
        hi: Option<Val>,
        hi_incl: bool,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum Filter {
    /// `*` or an empty filter.
    All,
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    /// A bare word or phrase: full text over `message` and `event.original`.
    Text(Val),
    /// A predicate on a field.
    Field {
        field: String,
        pred: Pred,
        pos: usize,
    },
    /// `_exists_:field` or `field:*`.
    Exists {
        field: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFunc {
    Count,
    CountDistinct,
    Min,
    Max,
    Avg,
    Sum,
}

/// One aggregation of `stats` / `timechart`.
#[derive(Debug, Clone)]
pub(crate) struct AggSpec {
    pub func: AggFunc,
    pub field: Option<String>,
    /// Output column name: the alias, or the call as written (`count()`, `avg(bytes)`).
    pub name: String,
}

#[derive(Debug, Clone)]
pub(crate) struct SortKey {
    pub name: String,
    pub desc: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Command {
    Stats {
        aggs: Vec<AggSpec>,
        by: Vec<String>,
    },
    Timechart {
        /// Bucket width in seconds; `None` = automatic.
        span: Option<i64>,
        /// Maximum number of series (`limit=N`, default 10, 0 = all); the rest go to `OTHER`.
        limit: usize,
        aggs: Vec<AggSpec>,
        by: Option<String>,
    },
    Sort(Vec<SortKey>),
    Head(usize),
    Fields(Vec<String>),
}

pub(crate) use parser::parse;
