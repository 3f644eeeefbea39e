//! Compiled templates: the per-record fast path.
//!
//! Each cached definition compiles into a flat program of literal ranges and
//! value operations. The executors accept checked byte spans from the CLI or
//! retained, validated substitutions from the record iterator.
//!
//! Raw input needs descriptor preflight. Retained values only need program
//! compatibility checks: their types, bounds, nested templates and fragments
//! were validated before the record was yielded. Both sources share the same
//! executors and value formatters.
//!
//! Unsupported shapes use the materialized walker. The record API builds that
//! tree from retained values and fragments without parsing the record again;
//! the CLI materializes its raw input. Failed execution rolls output back
//! before falling back.

use crate::ChunkOffset;
use crate::ParserSettings;
use crate::binxml::ir::{
    IrTemplateCache, MAX_ELEMENT_DEPTH, TEMPLATE_DEFINITION_HEADER_SIZE, TemplateContent,
    ValidatedValue, binxml_slice_offset_in, build_fragment_from_binxml_bytes,
    read_template_definition_header_at, template_body_at,
};
use crate::binxml::name::read_name_link;
use crate::binxml::tokens::{Stream, TokenSink, ends_stream, single_instance_offset, walk_tokens};
use crate::binxml::value_render::{StringEscapeMode, ValueRenderer};
use crate::binxml::value_variant::{BinXmlValue, BinXmlValueType, decode_ansi_value, value_ty};
use crate::err::{EvtxError, Result};
use crate::evtx_chunk::EvtxChunk;
use crate::model::ir::{Attr, Element, ElementId, IrArena, IrTree, Node, Placeholder, Text};
use crate::mta::{self, RenderingInfo, SystemFields};
use crate::utils::{ByteCursor, Utf16LeSlice, heap_size};
use ahash::AHashMap;
use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

const INDENT_WIDTH: u16 = 2;
const XML_DECL: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// Output past which rendering fails its record. Real records render to a few KiB, but a
/// crafted one can repeat a value or a name many times over, at every level of nesting, and
/// so render to a size exponential in its own. Every lane checks the size as it goes, so that
/// it stops close to the limit (the tree walkers where `XmlCompiler::check_size` says, the
/// compiled lanes before each instance and array item), and once the record is rendered. The
/// compiled lanes render each value once (see `each_slot_once`) from programs of at most
/// `MAX_PROGRAM_SIZE`.
const MAX_RECORD_OUTPUT: usize = 16 << 20;

/// Nodes one record may build and visit, which bounds its tree to about 30 MB. The samples'
/// records cost at most 198. Each instance of a template copies its elements, so a crafted
/// record can build a tree far larger than itself, and a tree can place a value's elements in
/// several places, which the walkers then visit once for each. Building charges the nodes it
/// creates: a template's nodes for each instance (an element the template shares once for
/// each copy), a value's top-level elements where they are placed, and an element's nodes for
/// each copy an array makes. Nodes parsed from the record's own bytes cost nothing: its size
/// bounds them. On a tree that shares elements (see `IrArena::shared`), the walkers also charge
/// their visits: an element costs one, plus one for each of its attributes, their value nodes
/// (charged as the walkers read them) and its children. A crafted record could otherwise make
/// them visit an element far more often than its output shows: an attribute with an empty
/// value renders nothing. On any other tree they visit each node once, and building paid for
/// it. The compiled lanes count only the templates and fragments they build: they render each
/// value once, from programs of bounded size, so their output bounds the rest of their work.
pub(crate) const MAX_RENDER_NODES: usize = 1 << 18;

/// Output one pass over a chunk's records may render, failed records' included. Records share
/// their chunk's templates, so a crafted chunk can hold hundreds of small records that each
/// render close to `MAX_RECORD_OUTPUT`, and both chunk renderers hold a chunk's output until
/// its last record. The samples' chunks render at most 234 KB and cost at most 16,545 nodes.
const MAX_CHUNK_OUTPUT: usize = 4 * MAX_RECORD_OUTPUT;

/// Nodes one pass over a chunk's records may build and visit (see `MAX_CHUNK_OUTPUT`).
const MAX_CHUNK_NODES: usize = 4 * MAX_RENDER_NODES;

/// Most literal bytes a compiled program may hold. Real templates compile to a few KiB, but a
/// crafted one can give thousands of elements one long name.
const MAX_PROGRAM_SIZE: usize = 1 << 20;

/// Most bytes the programs compiled for one chunk may write, failed compilations included.
/// Real chunks compile a few KiB, but each place a crafted record nests an instance in can
/// compile its template again, for that place's indentation.
const MAX_CHUNK_PROGRAMS: usize = 16 << 20;

/// Most bytes the cross-chunk program store keeps (see `ProgramStore`).
const MAX_STORED_PROGRAMS: usize = 64 << 20;

/// Deepest element nesting the tree walkers render, recursing once per level: the cap on
/// one BinXML stream. Values nest streams, so a crafted record could otherwise be tens of
/// thousands of elements deep and overflow the stack. The compiled lanes don't recurse per
/// element, so they still render records nested deeper through up to
/// `MAX_FAST_LANE_NESTING` instances in instances.
const MAX_RENDER_DEPTH: u16 = MAX_ELEMENT_DEPTH as u16;

/// What rendering one record, or compiling one program, may still spend.
#[derive(Clone)]
pub(crate) struct Budget {
    /// How long the output may grow (see [`MAX_RECORD_OUTPUT`] and [`MAX_PROGRAM_SIZE`]).
    out_limit: usize,
    /// Nodes the record may still build and visit (see [`MAX_RENDER_NODES`]), shared by all
    /// it builds and walks: its content at parse time, the fragments a compiled lane builds
    /// and walks, and the record's tree.
    nodes: Cell<usize>,
}

impl Budget {
    /// The budget of a record whose output starts at `start`.
    pub(crate) fn new(start: usize) -> Self {
        Budget {
            out_limit: start + MAX_RECORD_OUTPUT,
            nodes: Cell::new(MAX_RENDER_NODES),
        }
    }

    /// The budget of compiling a program (see [`MAX_PROGRAM_SIZE`]).
    fn program() -> Self {
        Budget {
            out_limit: MAX_PROGRAM_SIZE,
            ..Budget::new(0)
        }
    }

    /// Fails once the output has grown past the limit, to `len` bytes.
    #[inline(always)]
    fn check(&self, len: usize) -> Result<()> {
        if len > self.out_limit {
            return Err(output_too_large());
        }
        Ok(())
    }

    /// Charges a visit of `element` (see [`MAX_RENDER_NODES`]).
    fn visit(&mut self, element: &Element<'_>) -> Result<()> {
        let nodes = self.nodes.get_mut();
        *nodes = nodes
            .checked_sub(visit_cost(element))
            .ok_or_else(too_many_nodes)?;
        Ok(())
    }

    /// Charges reading `nodes` nodes. The next visit fails once the budget is spent.
    fn charge(&mut self, nodes: usize) {
        let left = self.nodes.get_mut();
        *left = left.saturating_sub(nodes);
    }

    /// Charges building `nodes` nodes, before they are built (see [`MAX_RENDER_NODES`]).
    pub(crate) fn build(&self, nodes: usize) -> Result<()> {
        let left = self.nodes.get().checked_sub(nodes);
        self.nodes.set(left.ok_or_else(too_many_nodes)?);
        Ok(())
    }
}

/// What one pass over a chunk's records may still spend (see [`MAX_CHUNK_OUTPUT`]).
#[derive(Debug)]
pub(crate) struct ChunkBudget {
    out: Cell<usize>,
    nodes: Cell<usize>,
}

impl Default for ChunkBudget {
    fn default() -> Self {
        ChunkBudget {
            out: Cell::new(MAX_CHUNK_OUTPUT),
            nodes: Cell::new(MAX_CHUNK_NODES),
        }
    }
}

impl ChunkBudget {
    /// Builds a record's content with `build` before it is rendered, given a whole record's
    /// budget while the chunk has that much left, and charges the chunk the nodes it built.
    /// Returns the content with the nodes the record has left, for `render`.
    pub(crate) fn build<T>(&self, build: impl FnOnce(&Budget) -> Result<T>) -> Result<(T, usize)> {
        self.admit(MAX_RENDER_NODES)?;
        let budget = Budget::new(0);
        let built = build(&budget);
        let left = budget.nodes.get();
        self.nodes
            .set(self.nodes.get().saturating_sub(MAX_RENDER_NODES - left));
        Ok((built?, left))
    }

    /// Renders a record into `out` with `render`, given a whole record's output and the `nodes`
    /// it has left (all of [`MAX_RENDER_NODES`] unless `build` built it) while the chunk has
    /// that much left, and charges the chunk what it took: the bytes it left in `out`, a failed
    /// record's partial output included, and the nodes it built and visited. Callers discard a
    /// failed record's output.
    pub(crate) fn render(
        &self,
        nodes: usize,
        out: &mut Vec<u8>,
        render: impl FnOnce(&Budget, &mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        self.admit(nodes)?;
        let start = out.len();
        let budget = Budget {
            nodes: Cell::new(nodes),
            ..Budget::new(start)
        };
        let rendered = render(&budget, out);
        let written = out.len().saturating_sub(start);
        self.out.set(self.out.get().saturating_sub(written));
        let spent = nodes - budget.nodes.get();
        self.nodes.set(self.nodes.get().saturating_sub(spent));
        rendered
    }

    /// Fails unless the chunk has a whole record's output and `nodes` nodes left, so that a
    /// record's errors are its own.
    fn admit(&self, nodes: usize) -> Result<()> {
        if self.out.get() < MAX_RECORD_OUTPUT || self.nodes.get() < nodes {
            return Err(chunk_spent());
        }
        Ok(())
    }
}

/// What a tree walker charges for visiting `element`, before it reads the values of its
/// attributes: see [`MAX_RENDER_NODES`].
fn visit_cost(element: &Element<'_>) -> usize {
    1 + element.attrs.len() + element.children.len()
}

/// A `lits` byte range, or a range of a program's `deps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LitRange(u32, u32);

impl LitRange {
    /// The literal bytes (or dependencies) this range denotes.
    fn of<T>(self, items: &[T]) -> &[T] {
        &items[self.0 as usize..self.1 as usize]
    }
}

/// Moves `ops` past its next `len` ops: what a guard op (`XOp::Depends`, `JOp::Depends` and
/// the like) skips when it leaves an element out.
fn skip<T>(ops: &mut std::slice::Iter<'_, T>, len: u32) {
    if let Some(last) = (len as usize).checked_sub(1) {
        ops.nth(last);
    }
}
/// A `Preflight::slots` index range (one instance's slots).
type SlotRange = (u32, u32);

/// Duplicate-key `_N` suffix counter. Shared by the JSON compiler (compile
/// time) and the materialized layer (per record) so the rule cannot drift.
/// The first names go in a list, as many as real elements have, the rest in a
/// map: a crafted element can have thousands of children of as many names.
struct NameCounts<K> {
    list: Vec<(K, u32)>,
    map: Option<AHashMap<K, u32>>,
}

impl<K: Copy + Eq + std::hash::Hash> NameCounts<K> {
    /// Names the list holds.
    const LIST_LEN: usize = 16;

    fn new() -> Self {
        NameCounts {
            list: Vec::new(),
            map: None,
        }
    }

    /// 0 the first time `name` is seen (no suffix), then 1, 2, … for repeats.
    fn next_suffix(&mut self, name: K) -> u32 {
        let count = if let Some(at) = self.list.iter().position(|(seen, _)| *seen == name) {
            &mut self.list[at].1
        } else if self.list.len() < Self::LIST_LEN {
            if self.list.is_empty() {
                // One allocation: growing the list as it fills takes three.
                self.list.reserve_exact(Self::LIST_LEN);
            }
            self.list.push((name, 0));
            &mut self.list.last_mut().expect("just pushed").1
        } else {
            self.map.get_or_insert_default().entry(name).or_insert(0)
        };
        *count += 1;
        *count - 1
    }

    /// Each name seen, with how many times.
    fn iter(&self) -> impl Iterator<Item = (K, u32)> + '_ {
        let map = self.map.iter().flatten();
        self.list
            .iter()
            .copied()
            .chain(map.map(|(&name, &count)| (name, count)))
    }
}

/// A `Data` element's name, the nodes of its `Name` attribute, for numbering the names that
/// repeat in a container. Names compare by their nodes: a template's literal names, and the
/// copies of one element an array substitution makes, are equal when their text is.
#[derive(Clone, Copy)]
struct DataName<'t, 'a> {
    nodes: &'t [Node<'a>],
    /// Of the nodes' kinds and text, which equal nodes share, so that most names compare by it.
    hash: u64,
}

impl<'t, 'a> DataName<'t, 'a> {
    fn new(nodes: &'t [Node<'a>]) -> Self {
        let mut hash = 0_u64;
        for node in nodes {
            let (kind, text): (u64, &[u8]) = match node {
                Node::Text(Text::Utf16(text)) => (1, text.as_bytes()),
                Node::Value(BinXmlValue::StringType(text)) => (2, text.as_bytes()),
                Node::Text(Text::Utf8(text)) => (3, text.as_bytes()),
                Node::Value(BinXmlValue::AnsiStringType(text)) => (4, text.as_bytes()),
                _ => (0, &[]),
            };
            // The length and the first and last 8 bytes, which few names share.
            let ends = match text.len() {
                len @ 8.. => {
                    let word = |at: usize| {
                        u64::from_le_bytes(text[at..at + 8].try_into().expect("8 bytes"))
                    };
                    word(0) ^ word(len - 8).rotate_left(29)
                }
                _ => text
                    .iter()
                    .fold(0, |word, &byte| word << 8 | u64::from(byte)),
            };
            let word = ends ^ kind ^ (text.len() as u64) << 48;
            // FxHash's step.
            hash = (hash.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        DataName { nodes, hash }
    }
}

impl PartialEq for DataName<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && self.nodes == other.nodes
    }
}

impl Eq for DataName<'_, '_> {}

impl std::hash::Hash for DataName<'_, '_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Whether `element` is a data container whose `Data` children may share a name: its template
/// repeats one, a substitution names one, or a substitution is a child, which can be `Data`.
/// Records whose arena doesn't say so render without numbering names (see
/// [`IrArena::repeated_names`]), since most never repeat one.
pub(crate) fn data_names_may_repeat(arena: &IrArena<'_>, element: &Element<'_>) -> bool {
    if !is_data_container_name(element.name.as_str()) {
        return false;
    }
    let mut names = NameCounts::new();
    for node in &element.children {
        let child = match node {
            Node::Placeholder(_) => return true,
            Node::Element(id) => arena.get(*id),
            _ => None,
        };
        let Some(name) = child
            .filter(|child| is_data_element_name(child.name.as_str()))
            .and_then(data_name)
        else {
            continue;
        };
        if name.iter().any(|n| matches!(n, Node::Placeholder(_)))
            || names.next_suffix(DataName::new(name)) > 0
        {
            return true;
        }
    }
    false
}

/// A `Data` element's `Name` attribute: the nodes of its value.
fn data_name<'t, 'a>(element: &'t Element<'a>) -> Option<&'t [Node<'a>]> {
    element
        .attrs
        .iter()
        .find(|a| a.name.as_str() == "Name")
        .map(|a| &a.value[..])
}

/// The object `JsonCompiler::element_body_plain` is writing.
struct BodyPlain<'t, 'a> {
    in_data_container: bool,
    /// One non-empty `Data[@Name]` selects the named form for the container's `Data`.
    should_flatten_named_data: bool,
    /// The container's `Data` children in the positional form, written with the first.
    positional_data_count: usize,
    positional_data_emitted: bool,
    wrote_any: bool,
    /// The names of the named `Data` members so far, to number repeats.
    data_names: NameCounts<DataName<'t, 'a>>,
    /// The `Data` children left in the run the last named one began, written with it.
    skip: usize,
}

/// What `JsonCompiler::member_value_plain` writes after the key `member_key_plain` wrote.
enum MemberPlain {
    /// Nothing: the child isn't a member, or it holds only its attributes' member.
    None,
    /// A named `Data` element's value, or with the next `run - 1`, which share its name, theirs
    /// in an array.
    Data { run: usize },
    /// The container's `Data` children in the positional form, this many.
    PositionalData(usize),
    /// An element's value.
    Element { container: bool },
    /// An element's value without its attributes, which went to their own member.
    ElementNoAttrs { container: bool },
}

/// One compiled op. `slot` indexes the instance's substitution array.
#[derive(Debug, Clone)]
enum XOp {
    /// Emit `lits[range]`.
    Lit(LitRange),
    /// `open` and the next `len` ops write an element that depends on `slot` (its
    /// DependencyId): skip them when that value is NULL, which leaves the element out (MS-EVEN6
    /// 2.2.12).
    Depends { slot: u16, len: u32, open: LitRange },
    /// `open` and the next `len` ops write an element whose children are elements that each
    /// depend on a value, `deps` (a range of the program's `deps`): when every one is NULL, all
    /// of them are left out, so write `empty`, the element as `<Tag ...></Tag>`, instead.
    LeftOut {
        deps: LitRange,
        len: u32,
        empty: LitRange,
        open: LitRange,
    },
    /// Escaped value text in an always-emitted context (attribute value with
    /// static non-empty parts). No emptiness branch.
    Val { slot: u16, in_attr: bool },
    /// ` name="` + escaped value + `"`, all omitted when the value is
    /// empty-ish (mirrors `attribute_value_is_empty`: optionality ignored).
    AttrVal { slot: u16, pre: LitRange },
    /// `prefix`, literal text that ends with `<Tag ...attrs>` (fused with this op to save a
    /// dispatch), then the single placeholder content, branching on the runtime slot class:
    /// Skip -> `tail_text`, so the element is `<Tag></Tag>`; text-ish -> text + `tail_text`;
    /// element -> newline + nested/frag at `indent + 2` + `tail_elem`.
    Body {
        slot: u16,
        optional: bool,
        /// The element depends on its own value: left out, `prefix` and all, when that value
        /// is NULL. `prefix` is then the element's own.
        dependent: bool,
        indent: u16,
        prefix: LitRange,
        tail_text: LitRange,
        tail_elem: LitRange,
    },
    /// Placeholder in element-child position under a statically line-formed
    /// parent. Skip -> nothing; element -> nested/frag at `indent`;
    /// text-ish -> `ind` + text + newline.
    ChildSlot {
        slot: u16,
        optional: bool,
        indent: u16,
        ind: LitRange,
    },
    /// An attribute-less `<Data>` element whose entire content is one hole
    /// (MS-EVEN6 array expansion site). Scalar values follow `Body`
    /// semantics with `open` spliced first; a string array repeats the
    /// element per item, an empty item as `<Data></Data>`. Mirrors
    /// `array_expand` over the materialized tree.
    Expand {
        slot: u16,
        optional: bool,
        /// The element depends on its own value: left out when that value is NULL.
        dependent: bool,
        indent: u16,
        open: LitRange,
        tail_text: LitRange,
        tail_elem: LitRange,
    },
}

impl XOp {
    /// The slot this op renders.
    fn slot(&self) -> Option<u16> {
        match self {
            // These test values without rendering them.
            XOp::Lit(_) | XOp::Depends { .. } | XOp::LeftOut { .. } => None,
            XOp::Val { slot, .. }
            | XOp::AttrVal { slot, .. }
            | XOp::Body { slot, .. }
            | XOp::ChildSlot { slot, .. }
            | XOp::Expand { slot, .. } => Some(*slot),
        }
    }

    /// Makes this op leave itself out when the value at `dependency` is NULL, if it can: an
    /// element that holds that value. Whether it did.
    fn depend_on(&mut self, dependency: u16) -> bool {
        match self {
            XOp::Body {
                slot, dependent, ..
            }
            | XOp::Expand {
                slot, dependent, ..
            } if *slot == dependency => {
                *dependent = true;
                true
            }
            _ => false,
        }
    }
}

/// A compiled template program for one (def offset, base indent, root?) key.
pub(crate) struct XmlProgram {
    lits: Vec<u8>,
    ops: Vec<XOp>,
    /// The values that `XOp::LeftOut` ops test.
    deps: Vec<u16>,
    indent_on: bool,
    /// `(slot, child_indent)` for every slot rendered in element position;
    /// the pre-flight uses this to resolve nested-instance programs up front.
    elem_slots: Vec<(u16, u16)>,
    /// Slots compiled as `XOp::Expand` (string arrays allowed).
    expand_slots: Vec<u16>,
    root_name: Vec<u8>,
    system_fields: Option<SystemFields>,
}

/// Per-chunk programs have stable indices, so records borrow them without
/// cloning the cross-chunk Arc. `None` caches failed compilations.
pub(crate) struct ProgramCache<P> {
    by_key: AHashMap<(u32, u16, bool), Option<usize>>,
    programs: Vec<Arc<P>>,
    /// Bytes this chunk's compilations may still write (see [`MAX_CHUNK_PROGRAMS`]).
    budget: usize,
}

impl<P> Default for ProgramCache<P> {
    fn default() -> Self {
        Self {
            by_key: AHashMap::default(),
            programs: Vec::new(),
            budget: MAX_CHUNK_PROGRAMS,
        }
    }
}

impl<P> ProgramCache<P> {
    fn insert(&mut self, key: (u32, u16, bool), program: Option<Arc<P>>) -> Option<usize> {
        let index = program.map(|program| {
            let index = self.programs.len();
            self.programs.push(program);
            index
        });
        self.by_key.insert(key, index);
        index
    }
}

/// Cross-chunk program store: templates are identical across chunks (same
/// GUID + size + definition bytes), so programs compile once per file/parser
/// instead of once per chunk. Shared across worker threads.
#[derive(Default)]
pub(crate) struct ProgramStore {
    /// Name references per template body (`None`: never shared).
    names: std::sync::RwLock<AHashMap<TemplateKey, Option<Arc<NameRefs>>>>,
    xml: Shard<XmlProgram>,
    json: Shard<JsonProgram>,
    hasher: ahash::RandomState,
    /// Bytes the maps hold, counted as entries go in (see [`MAX_STORED_PROGRAMS`]).
    stored: std::sync::atomic::AtomicUsize,
}

/// Template identity: GUID, data size, body-bytes hash.
type TemplateKey = ([u8; 16], u32, u64);

/// The names a body resolves in one chunk: hash of the name entries the body
/// does not hold, and the definition offset when its parse depends on it.
type NamesKey = (u64, Option<u32>);

/// Content identity of a compiled program: template identity and the names
/// it resolves, plus the compile parameters.
type StoreKey = (TemplateKey, NamesKey, u16, bool);

type Shard<P> = std::sync::RwLock<AHashMap<StoreKey, Option<Arc<P>>>>;

impl ProgramStore {
    /// Content identity of the template at `def_offset` in `chunk`.
    fn key(&self, chunk: &EvtxChunk<'_>, def_offset: u32) -> Option<(TemplateKey, NamesKey)> {
        let data = chunk.data;
        let header = read_template_definition_header_at(data, def_offset).ok()?;
        let body = template_body_at(data, def_offset, &header).ok()?;
        let template = (header.guid, header.data_size, self.hasher.hash_one(body));
        // Read guard dropped before the write below; hashing runs unlocked.
        let known = self
            .names
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&template)
            .cloned();
        let refs = match known {
            Some(refs) => refs,
            None => {
                let refs = NameRefs::of(chunk, def_offset, body.len()).map(Arc::new);
                let size = refs.as_ref().map_or(0, |refs| refs.size());
                self.insert(&self.names, template, refs.clone(), size);
                refs
            }
        }?;
        Some((template, refs.key(data, def_offset, &self.hasher)?))
    }

    /// Stores `value`, which holds `size` bytes besides its entry, under `key` in `map`, unless
    /// the store is full. Once it is, each chunk compiles the templates it uses itself.
    fn insert<K: Eq + std::hash::Hash, V>(
        &self,
        map: &std::sync::RwLock<AHashMap<K, V>>,
        key: K,
        value: V,
        size: usize,
    ) {
        let size = std::mem::size_of::<(K, V)>() + size;
        let mut map = map
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Another chunk may have stored it since the read: count it once.
        if let Entry::Vacant(entry) = map.entry(key)
            && self.reserve(size)
        {
            entry.insert(value);
        }
    }

    /// Whether the store may take `size` more bytes, counting them if so.
    // `fetch_update` is deprecated for `try_update`, which is newer than the toolchain the
    // release builds use.
    #[allow(deprecated)]
    fn reserve(&self, size: usize) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        (self.stored)
            .fetch_update(Relaxed, Relaxed, |stored| {
                stored
                    .checked_add(size)
                    .filter(|&total| total <= MAX_STORED_PROGRAMS)
            })
            .is_ok()
    }
}

/// The names a template body references. Bodies name elements by chunk
/// offset, often outside the body, so equal bodies in two chunks can resolve
/// different names.
struct NameRefs {
    /// Where the body was walked. Name offsets are absolute and a name at
    /// a body position is parsed inline, so the same bytes elsewhere parse
    /// the same only if no referenced name moves into or out of the body.
    body: std::ops::Range<usize>,
    /// Some name starts inside `body`.
    inside: bool,
    /// Names whose entries the body does not wholly hold.
    outside: Vec<ChunkOffset>,
}

impl NameRefs {
    /// `None` when the body does not parse within its bounds, or embeds
    /// BinXML (whose names and templates are not tracked).
    fn of(chunk: &EvtxChunk<'_>, def_offset: u32, len: usize) -> Option<Self> {
        let start = def_offset as usize + TEMPLATE_DEFINITION_HEADER_SIZE;
        let mut refs = NameRefs {
            body: start..start + len,
            inside: false,
            outside: Vec::new(),
        };
        let bump = bumpalo::Bump::new();
        // Cut at the body end: a token read past it uses bytes the key misses.
        let src = Stream {
            data: chunk.data.get(..start + len)?,
            ..Stream::chunk(chunk, &bump)
        };
        walk_tokens(src, start, len, true, &mut refs).ok()?;
        // Entries wholly inside the body are covered by the body hash.
        let body = &refs.body;
        refs.outside.retain(|&offset| {
            name_entry(chunk.data, offset)
                .is_none_or(|e| (offset as usize) < body.start || e.end > body.end)
        });
        Some(refs)
    }

    /// The names the body at `def_offset` resolves in `data`.
    fn key(&self, data: &[u8], def_offset: u32, hasher: &ahash::RandomState) -> Option<NamesKey> {
        let start = def_offset as usize + TEMPLATE_DEFINITION_HEADER_SIZE;
        let body = start..start + self.body.len();
        if body != self.body
            && (self.inside || self.outside.iter().any(|&o| body.contains(&(o as usize))))
        {
            return None;
        }
        let mut state = hasher.build_hasher();
        for &offset in &self.outside {
            state.write(&data[name_entry(data, offset)?]);
        }
        Some((state.finish(), self.inside.then_some(def_offset)))
    }

    /// About how many bytes it holds, for `ProgramStore::reserve`.
    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + heap_size(&self.outside)
    }

    fn name(&mut self, offset: ChunkOffset) -> Result<()> {
        self.inside |= self.body.contains(&(offset as usize));
        if !self.outside.contains(&offset) {
            self.outside.push(offset);
        }
        Ok(())
    }
}

/// The rendered part (length + UTF-16 chars) of the string-table entry at
/// `offset`, after its link.
fn name_entry(data: &[u8], offset: ChunkOffset) -> Option<std::ops::Range<usize>> {
    let mut cursor = ByteCursor::with_pos(data, offset as usize).ok()?;
    read_name_link(&mut cursor).ok()?;
    let start = cursor.pos();
    let len = cursor.u16_named("name_len").ok()?;
    cursor.take_bytes(2 * usize::from(len), "name").ok()?;
    Some(start..cursor.pos())
}

impl<'a> TokenSink<'a> for NameRefs {
    fn open_start(&mut self, name: ChunkOffset, _dependency: Option<u16>) -> Result<()> {
        self.name(name)
    }
    fn attribute(&mut self, name: ChunkOffset) -> Result<()> {
        self.name(name)
    }
    fn entity_ref(&mut self, name: ChunkOffset) -> Result<()> {
        self.name(name)
    }
    fn pi_target(&mut self, name: ChunkOffset) -> Result<()> {
        self.name(name)
    }
    fn value(&mut self, value: BinXmlValue<'a>) -> Result<()> {
        match value {
            BinXmlValue::BinXmlType(_) => Err(EvtxError::FailedToCreateRecordModel(
                "embedded BinXML in template body",
            )),
            _ => Ok(()),
        }
    }
}

impl std::fmt::Debug for ProgramStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProgramStore").finish_non_exhaustive()
    }
}

/// Per-format shard access used by `get_or_compile`.
pub(crate) trait StoredProgram: TemplateProgram {
    fn shard(store: &ProgramStore) -> &Shard<Self>;
    /// Tag the record rendered at `out[start..]` as carved (CLI output).
    fn mark_recovered(out: &mut Vec<u8>, start: usize);
    /// Render `fragment` as the last child of the `Event` element rendered at `out[start..]`,
    /// as `render_tree` renders it in the tree. `false` when `out` does not end with that
    /// element or the fragment fails to render, and the caller discards `out[start..]`.
    fn append_to_event(
        fragment: &IrTree<'_>,
        settings: &ParserSettings,
        start: usize,
        out: &mut Vec<u8>,
    ) -> bool;
}

impl StoredProgram for XmlProgram {
    fn shard(store: &ProgramStore) -> &Shard<Self> {
        &store.xml
    }
    fn mark_recovered(out: &mut Vec<u8>, start: usize) {
        if out[start..].starts_with(XML_DECL) {
            let at = start + XML_DECL.len();
            out.splice(at..at, b"<!-- recovered -->\n".iter().copied());
        }
    }
    fn append_to_event(
        fragment: &IrTree<'_>,
        settings: &ParserSettings,
        start: usize,
        out: &mut Vec<u8>,
    ) -> bool {
        let indent = settings.should_indent();
        let close: &[u8] = if indent { b"</Event>\n" } else { b"</Event>" };
        if !out[start..].ends_with(close) {
            return false;
        }
        // The fragment goes before the closing tag.
        out.truncate(out.len() - close.len());
        let rendered = render_fragment_xml(
            fragment.arena(),
            &[fragment.root()],
            INDENT_WIDTH,
            indent,
            &Budget::new(start),
            out,
        );
        out.extend_from_slice(close);
        rendered.is_ok()
    }
}

impl StoredProgram for JsonProgram {
    fn mark_recovered(out: &mut Vec<u8>, start: usize) {
        if out.get(start) == Some(&b'{') {
            let mark: &[u8] = if out.get(start + 1) == Some(&b'\n') {
                b"\n  \"recovered\": true,"
            } else {
                b"\"recovered\":true,"
            };
            out.splice(start + 1..start + 1, mark.iter().copied());
        }
    }
    fn append_to_event(
        fragment: &IrTree<'_>,
        _settings: &ParserSettings,
        start: usize,
        out: &mut Vec<u8>,
    ) -> bool {
        // `{"Event":{...}}`: the fragment becomes the last member of `Event`.
        if !out[start..].ends_with(b"}}") {
            return false;
        }
        out.truncate(out.len() - 2);
        let mut c = JsonCompiler::new(
            Some(fragment),
            std::mem::take(out),
            false,
            Budget::new(start),
        );
        let rendered = c.render_member_plain();
        *out = c.lits;
        out.extend_from_slice(b"}}");
        rendered.is_ok()
    }
    fn shard(store: &ProgramStore) -> &Shard<Self> {
        &store.json
    }
}

/// Per-chunk render state for the per-record APIs (`EvtxRecord::into_*`).
/// Fully owned (programs carry their own bytes), so `EvtxChunk` can hold it
/// behind a `RefCell` without self-referential lifetimes.
#[derive(Default)]
pub(crate) struct RenderCaches {
    pub(crate) xml: XmlProgramCache,
    pub(crate) json: JsonProgramCache,
    // Reusable plan contains only indices; records retain their own values.
    nested: Vec<Option<Instance<usize>>>,
}

impl std::fmt::Debug for RenderCaches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenderCaches")
            .field("xml_programs", &self.xml.by_key.len())
            .field("json_programs", &self.json.by_key.len())
            .finish()
    }
}
pub(crate) type XmlProgramCache = ProgramCache<XmlProgram>;
pub(crate) type JsonProgramCache = ProgramCache<JsonProgram>;

/// Per-slot validity constraint checked by the pre-flight (record falls back
/// when violated), so executors stay infallible.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SlotConstraint {
    /// Slot must not be a non-empty embedded BinXml value (0x21).
    ForbidElem(u16),
    /// Slot must be a (single-instance) embedded BinXml value or empty.
    ElemOrEmpty(u16),
}

impl SlotConstraint {
    fn slot(self) -> u16 {
        match self {
            Self::ForbidElem(slot) | Self::ElemOrEmpty(slot) => slot,
        }
    }

    fn violated(self, is_elem: bool, empty: bool) -> bool {
        match self {
            Self::ForbidElem(_) => is_elem,
            Self::ElemOrEmpty(_) => !is_elem && !empty,
        }
    }
}

/// What the generic pre-flight needs from a compiled program.
pub(crate) trait TemplateProgram: Sized {
    /// Whether the executor can render non-instance BinXml fragments in
    /// element position (via a materialized fallback).
    const ALLOW_GENERIC_FRAGS: bool;
    /// `(slot, child_indent)` pairs rendered in element position.
    fn elem_slots(&self) -> &[(u16, u16)];
    fn constraints(&self) -> &[SlotConstraint] {
        &[]
    }
    /// Slots whose ops handle string-array values (element repetition /
    /// positional-Data aggregation). Arrays anywhere else bail.
    fn expand_slots(&self) -> &[u16] {
        &[]
    }
    /// The template's root element name.
    fn root_name(&self) -> &[u8];
    /// Where the program's records keep their `System` fields, when an `.MTA` file is set.
    /// `None` otherwise, and for templates whose records need their tree built for them.
    fn system_fields(&self) -> Option<&SystemFields>;
    /// Compile `tree`, taking the bytes written, whether it compiles or not, from `budget`.
    fn compile(
        tree: &IrTree<'_>,
        has_literal_array: bool,
        base_indent: u16,
        is_root: bool,
        settings: &ParserSettings,
        budget: &mut usize,
    ) -> Option<Self>;
    /// About how many bytes the program holds, for `ProgramStore::reserve` and the chunk's
    /// `ProgramCache::budget`.
    fn size(&self) -> usize;
    /// Run a prepared instance. Errors may leave partial output.
    fn exec<'a, V: ValueSource<'a>>(
        instance: Instance<V::Scope>,
        progs: &ProgramCache<Self>,
        values: &V,
        chunk: &'a EvtxChunk<'a>,
        cache: Option<&mut IrTemplateCache<'a>>,
        vr: &mut ValueRenderer,
        out: &mut Vec<u8>,
    ) -> Result<()>;
    /// The materialized walker for this format (the slow lane), within the record's `budget`.
    fn render_tree(
        tree: &IrTree<'_>,
        settings: &ParserSettings,
        budget: &Budget,
        out: &mut Vec<u8>,
    ) -> Result<()>;
}

impl TemplateProgram for XmlProgram {
    const ALLOW_GENERIC_FRAGS: bool = true;
    fn elem_slots(&self) -> &[(u16, u16)] {
        &self.elem_slots
    }
    fn expand_slots(&self) -> &[u16] {
        &self.expand_slots
    }
    fn root_name(&self) -> &[u8] {
        &self.root_name
    }
    fn system_fields(&self) -> Option<&SystemFields> {
        self.system_fields.as_ref()
    }
    fn compile(
        tree: &IrTree<'_>,
        has_literal_array: bool,
        base_indent: u16,
        is_root: bool,
        settings: &ParserSettings,
        budget: &mut usize,
    ) -> Option<Self> {
        compile_xml_template(
            tree,
            has_literal_array,
            base_indent,
            is_root,
            settings,
            budget,
        )
    }
    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + heap_size(&self.lits)
            + heap_size(&self.ops)
            + heap_size(&self.deps)
            + heap_size(&self.elem_slots)
            + heap_size(&self.expand_slots)
            + heap_size(&self.root_name)
            + (self.system_fields.as_ref()).map_or(0, SystemFields::heap_size)
    }
    fn exec<'a, V: ValueSource<'a>>(
        instance: Instance<V::Scope>,
        progs: &ProgramCache<Self>,
        values: &V,
        chunk: &'a EvtxChunk<'a>,
        cache: Option<&mut IrTemplateCache<'a>>,
        vr: &mut ValueRenderer,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        exec(instance, progs, values, chunk, cache, vr, out)
    }
    /// The single-walker slow lane (irregular records, after
    /// materialization), writing straight into `out`. Byte-compatible with
    /// the cached-program lane by construction: it IS the same walk, with
    /// zero placeholder sites.
    fn render_tree(
        tree: &IrTree<'_>,
        settings: &ParserSettings,
        budget: &Budget,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        out.extend_from_slice(XML_DECL);
        render_fragment_xml(
            tree.arena(),
            &[tree.root()],
            0,
            settings.should_indent(),
            budget,
            out,
        )
    }
}

// ---------------------------------------------------------------------------
// Compilation (template definition IR -> program)
// ---------------------------------------------------------------------------

/// `flush_lit_run`/`side_range` for a compiler with `lits`, `ops: Vec<$op>`
/// and `run_start` fields.
macro_rules! lit_run_methods {
    ($op:ident) => {
        fn flush_lit_run(&mut self) {
            let end = self.lits.len();
            if end > self.run_start {
                self.ops
                    .push($op::Lit(LitRange(self.run_start as u32, end as u32)));
            }
            self.run_start = end;
        }

        /// Emit bytes via `f` as a side range (not part of any literal run).
        /// The current run must be flushed first.
        fn side_range(&mut self, f: impl FnOnce(&mut Self)) -> LitRange {
            debug_assert_eq!(self.run_start, self.lits.len(), "unflushed lit run");
            let start = self.lits.len() as u32;
            f(self);
            self.run_start = self.lits.len();
            LitRange(start, self.lits.len() as u32)
        }

        /// Start ops that a guard op will skip: flush the literal run, so that they start an
        /// op of their own, and hold the guard's place, which this returns.
        fn open_guard(&mut self) -> usize {
            self.flush_lit_run();
            // Skips nothing until `close_guard` replaces it.
            self.ops.push($op::Depends {
                slot: 0,
                len: 0,
                open: LitRange(0, 0),
            });
            self.ops.len() - 1
        }

        /// End the ops that the guard at `at` skips, and put it there: `guard` makes it from
        /// their number and the literal they start with, which the guard writes itself to save
        /// a dispatch.
        fn close_guard(&mut self, at: usize, guard: impl FnOnce(u32, LitRange) -> $op) {
            self.flush_lit_run();
            let open = match self.ops.get(at + 1) {
                Some($op::Lit(open)) => {
                    let open = *open;
                    self.ops.remove(at + 1);
                    open
                }
                _ => LitRange(0, 0),
            };
            let len = (self.ops.len() - at - 1) as u32;
            self.ops[at] = guard(len, open);
        }

        /// End the ops that the guard at `at` leaves out when the value at `slot` is NULL. A
        /// lone op that can leave itself out takes the guard's place instead.
        fn close_depends(&mut self, at: usize, slot: u16) {
            self.flush_lit_run();
            if let [op] = &mut self.ops[at + 1..]
                && op.depend_on(slot)
            {
                self.ops.remove(at);
            } else {
                self.close_guard(at, |len, open| $op::Depends { slot, len, open });
            }
        }

        /// Push the dependencies of `element`'s children to `deps`, and return their range.
        fn children_deps(&mut self, element: &Element<'_>) -> LitRange {
            let start = self.deps.len() as u32;
            for node in &element.children {
                if let Node::Element(id) = node
                    && let Some(dependency) = self.element_ref(*id).dependency
                {
                    self.deps.push(dependency);
                }
            }
            LitRange(start, self.deps.len() as u32)
        }
    };
}

/// Whether every element child of `element` depends on a value (and it has one), so that an
/// instance can leave them all out. `Err` when it also has other children, which could leave a
/// layout the compiled lanes don't follow: those templates take the tree walkers.
fn children_all_depend(
    arena: &IrArena<'_>,
    element: &Element<'_>,
) -> std::result::Result<bool, Bail> {
    let (mut elements, mut dependent) = (0, 0);
    for node in &element.children {
        if let Node::Element(id) = node {
            elements += 1;
            dependent += usize::from(arena.get(*id).is_some_and(|e| e.dependency.is_some()));
        }
    }
    let all = elements > 0 && dependent == elements;
    if all && elements < element.children.len() {
        return Err(Bail);
    }
    Ok(all)
}

struct Bail;

/// An element that `XmlCompiler::compile_start` left open for its children on lines of their
/// own: where its open tag ends in `lits`, and, when those children can all be left out, the
/// index of its `XOp::LeftOut` placeholder in `ops` and where its open tag starts in `lits`.
struct OpenElement {
    open_end: usize,
    left_out: Option<(usize, usize)>,
}

struct XmlCompiler<'t, 'a> {
    arena: &'t IrArena<'a>,
    lits: Vec<u8>,
    ops: Vec<XOp>,
    deps: Vec<u16>,
    /// Start of the not-yet-flushed literal run (`lits[run_start..]`).
    run_start: usize,
    elem_slots: Vec<(u16, u16)>,
    expand_slots: Vec<u16>,
    indent_on: bool,
    vr: ValueRenderer,
    /// Walking a fully materialized tree (slow lane / fragments): placeholder
    /// sites are errors instead of ops, and any error is a real record error.
    /// When false (template compilation), any error just means "not cacheable".
    materialized: bool,
    /// What the walk may still spend: how long `lits` may grow, and the nodes it may visit.
    budget: Budget,
    /// Whether the tree shares elements, so that the walk counts the nodes it visits (see
    /// [`MAX_RENDER_NODES`]).
    shared: bool,
}

impl<'t, 'a> XmlCompiler<'t, 'a> {
    fn new(
        arena: &'t IrArena<'a>,
        lits: Vec<u8>,
        indent_on: bool,
        materialized: bool,
        budget: Budget,
    ) -> Self {
        XmlCompiler {
            arena,
            budget,
            shared: arena.shared(),
            lits,
            ops: Vec::new(),
            deps: Vec::new(),
            run_start: 0,
            elem_slots: Vec::new(),
            expand_slots: Vec::new(),
            indent_on,
            vr: ValueRenderer::new(),
            materialized,
        }
    }
}

/// Compile-lane bail sentinel (mapped to `None` by `compile_xml_template`).
fn bail_err() -> EvtxError {
    model_err("compiled-template bail")
}

fn unresolved_placeholder() -> EvtxError {
    model_err("unresolved placeholder in tree")
}

fn element_in_attr() -> EvtxError {
    model_err("element node inside attribute value")
}

fn element_in_text() -> EvtxError {
    model_err("unexpected element node in text context")
}

fn unresolved_nested_json() -> EvtxError {
    model_err("unresolved nested instance in compiled JSON")
}

#[cold]
fn output_too_large() -> EvtxError {
    const _: () = assert!(MAX_RECORD_OUTPUT == 16 << 20, "update the message");
    model_err("record renders to more than 16 MiB")
}

#[cold]
fn nested_too_deeply() -> EvtxError {
    model_err("rendered elements nested too deeply")
}

#[cold]
fn too_many_nodes() -> EvtxError {
    const _: () = assert!(MAX_RENDER_NODES == 1 << 18, "update the message");
    model_err("record renders more than 2^18 nodes")
}

#[cold]
fn chunk_spent() -> EvtxError {
    model_err("earlier records of the chunk spent its render budget")
}

fn model_err(msg: &'static str) -> EvtxError {
    EvtxError::FailedToCreateRecordModel(msg)
}

/// Compile a cached template definition into an XML program. Returns `None`
/// for shapes the op set doesn't model.
fn compile_xml_template(
    tree: &IrTree<'_>,
    has_literal_array: bool,
    base_indent: u16,
    is_root: bool,
    settings: &ParserSettings,
    budget: &mut usize,
) -> Option<XmlProgram> {
    if has_literal_array {
        return None;
    }
    let mut c = XmlCompiler::new(
        tree.arena(),
        Vec::with_capacity(512),
        settings.should_indent(),
        false,
        Budget::program(),
    );
    c.ops.reserve(32);
    if is_root {
        c.lits.extend_from_slice(XML_DECL);
    }
    let compiled = c.compile_element(tree.root(), base_indent);
    let written = c.lits.len() + std::mem::size_of_val(c.ops.as_slice());
    let program = match compiled {
        Ok(())
            if c.check_size().is_ok()
                && each_slot_once(c.ops.iter().filter_map(XOp::slot).collect()) =>
        {
            c.flush_lit_run();
            // Programs live as long as their chunk or the parse: no spare capacity.
            c.lits.shrink_to_fit();
            c.ops.shrink_to_fit();
            c.deps.shrink_to_fit();
            c.elem_slots.shrink_to_fit();
            c.expand_slots.shrink_to_fit();
            Some(XmlProgram {
                lits: c.lits,
                ops: c.ops,
                deps: c.deps,
                indent_on: c.indent_on,
                elem_slots: c.elem_slots,
                expand_slots: c.expand_slots,
                root_name: tree.root_element().name.as_str().as_bytes().to_vec(),
                system_fields: settings.get_mta().and_then(|_| SystemFields::of(tree)),
            })
        }
        _ => None,
    };
    *budget = budget.saturating_sub(program.as_ref().map_or(written, XmlProgram::size));
    program
}

/// Whether no slot repeats. The compiled lanes render each value in one place: a nested
/// instance's program is compiled for that place (its indentation), and a value used in
/// several places at every level of nesting renders a number of times exponential in the
/// record's size. Templates that use a value twice (none in the samples) render through the
/// tree walkers, which share the value's elements and check the output's size as they go.
fn each_slot_once(mut slots: Vec<u16>) -> bool {
    let uses = slots.len();
    slots.sort_unstable();
    slots.dedup();
    slots.len() == uses
}

/// `render_fragment_xml` behind one pointer, keeping the executor's call at six arguments.
#[inline(never)]
fn render_fragment_roots_xml(
    arena: &IrArena<'_>,
    roots: &&[ElementId],
    indent: u16,
    indent_on: bool,
    budget: &Budget,
    out: &mut Vec<u8>,
) -> Result<()> {
    render_fragment_xml(arena, roots, indent, indent_on, budget, out)
}

/// Render a materialized fragment's top-level elements at `indent` (executor cold path),
/// within the record's `budget`.
fn render_fragment_xml(
    arena: &IrArena<'_>,
    roots: &[ElementId],
    indent: u16,
    indent_on: bool,
    budget: &Budget,
    out: &mut Vec<u8>,
) -> Result<()> {
    let mut c = XmlCompiler::new(arena, std::mem::take(out), indent_on, true, budget.clone());
    let res = roots
        .iter()
        .try_for_each(|&root| c.compile_element(root, indent))
        .and_then(|()| c.check_size());
    debug_assert!(c.ops.is_empty(), "materialized walk produced ops");
    budget.nodes.set(c.budget.nodes.get());
    *out = c.lits;
    res
}

impl<'t, 'a> XmlCompiler<'t, 'a> {
    fn element_ref(&self, id: ElementId) -> &'t Element<'a> {
        self.arena.get(id).expect("invalid element id")
    }

    lit_run_methods!(XOp);

    /// End the literal run and return it, for an op that writes it itself.
    fn take_lit_run(&mut self) -> LitRange {
        let run = LitRange(self.run_start as u32, self.lits.len() as u32);
        self.run_start = self.lits.len();
        run
    }

    #[inline(always)]
    fn indent_str(&mut self, level: u16) {
        if self.indent_on {
            self.lits.extend(std::iter::repeat_n(b' ', level as usize));
        }
    }

    fn newline(&mut self) {
        if self.indent_on {
            self.lits.push(b'\n');
        }
    }

    /// Fails once `lits` has grown past the budget. Checked before each element, after each one
    /// with element children (their closing tags would add up), before each attribute and each
    /// node of a value or of content, and once the walk is done: one name or node renders to a
    /// few hundred KiB at most, but a materialized tree shares a value's elements among the
    /// places it is used in, and a template can give one element thousands of attributes that
    /// share a long name, or use a long value thousands of times.
    fn check_size(&self) -> Result<()> {
        self.budget.check(self.lits.len())
    }

    /// Charges a visit of `element` on a tree that shares elements, then checks the size.
    fn visit(&mut self, element: &Element<'_>) -> Result<()> {
        if self.shared {
            self.budget.visit(element)?;
        }
        self.check_size()
    }

    /// Compiles an element. Each level of a deep tree keeps this frame on the stack, and a debug
    /// build's 2 MiB thread holds 512 levels only while it stays small, so the walk of children
    /// on lines of their own, the only part that recurses, is all that compiles here.
    fn compile_element(&mut self, id: ElementId, indent: u16) -> Result<()> {
        let element = self.element_ref(id);
        let Some(open) = self.compile_start(element, indent)? else {
            return Ok(());
        };
        for node in &element.children {
            match node {
                Node::Element(child) => self.compile_child(*child, indent + INDENT_WIDTH)?,
                node => self.compile_line(node, indent + INDENT_WIDTH)?,
            }
        }
        self.compile_end(element, indent, open)
    }

    /// Compiles an element up to its children on lines of their own and returns where it stands,
    /// for `compile_element` to walk them, or compiles all of it and returns `None`.
    fn compile_start(
        &mut self,
        element: &'t Element<'a>,
        indent: u16,
    ) -> Result<Option<OpenElement>> {
        self.visit(element)?;

        // Attribute-less single-hole `<Data>` elements are the array
        // expansion sites: compile them as self-contained `Expand` ops (the
        // open tag must be able to repeat per array item).
        if !self.materialized
            && element.attrs.is_empty()
            && is_data_element_name(element.name.as_str())
            && let ChildrenKind::SinglePlaceholder(ph) = classify_children(element)
        {
            self.compile_expand(element, ph, indent)?;
            return Ok(None);
        }

        // Children that each depend on a value can all be left out, which leaves the element
        // empty: `XOp::LeftOut` then writes it so, as the tree walker does. It copies the open
        // tag for that, which therefore can't hold values.
        let left_out = if !self.materialized
            && children_all_depend(self.arena, element).map_err(|Bail| bail_err())?
        {
            if element
                .attrs
                .iter()
                .any(|attr| attr.value.iter().any(is_placeholder))
            {
                return Err(bail_err());
            }
            Some((self.open_guard(), self.lits.len()))
        } else {
            None
        };

        // Note: even placeholder-free subtrees are walked here (not delegated
        // to the materialized emitter): template-scope layout classification
        // (scan rule) differs from the materialized rule for present-but-empty
        // literal children, and this walk is the template-lane source of truth.
        self.indent_str(indent);
        self.lits.push(b'<');
        self.lits
            .extend_from_slice(element.name.as_str().as_bytes());

        for attr in &element.attrs {
            self.check_size()?;
            self.compile_attr(attr)?;
        }

        match classify_children(element) {
            ChildrenKind::SinglePlaceholder(ph) => {
                if self.materialized {
                    return Err(unresolved_placeholder());
                }
                let name = element.name.as_str().as_bytes();
                self.lits.push(b'>');
                let prefix = self.take_lit_run();
                let tail_text = self.side_range(|c| {
                    c.lits.extend_from_slice(b"</");
                    c.lits.extend_from_slice(name);
                    c.lits.push(b'>');
                    c.newline();
                });
                let tail_elem = self.side_range(|c| {
                    c.indent_str(indent);
                    c.lits.extend_from_slice(b"</");
                    c.lits.extend_from_slice(name);
                    c.lits.push(b'>');
                    c.newline();
                });
                self.elem_slots.push((ph.id, indent + INDENT_WIDTH));
                self.ops.push(XOp::Body {
                    slot: ph.id,
                    optional: ph.optional,
                    dependent: false,
                    indent,
                    prefix,
                    tail_text,
                    tail_elem,
                });
            }
            // Windows writes `<X/>` for an element the BinXML closed as empty, and `<X></X>` for
            // one whose content is empty. Neither gets whitespace inside when indenting.
            ChildrenKind::Empty if element.self_closing => {
                self.lits.extend_from_slice(b"/>");
                self.newline();
            }
            ChildrenKind::Empty => {
                self.lits.push(b'>');
                self.close_tag_inline(element);
            }
            ChildrenKind::StaticInline => {
                self.lits.push(b'>');
                let nodes = &element.children;
                let mut idx = 0;
                while idx < nodes.len() {
                    self.check_size()?;
                    match &nodes[idx] {
                        // Mirror `render_nodes`' processing-instruction
                        // pairing: `<?target data?>` / `<?target?>`.
                        Node::PITarget(name) => {
                            self.lits.extend_from_slice(b"<?");
                            self.lits.extend_from_slice(name.as_str().as_bytes());
                            if let Some(Node::PIData(data)) = nodes.get(idx + 1) {
                                self.lits.push(b' ');
                                self.compile_raw_text(data);
                                self.lits.extend_from_slice(b"?>");
                                idx += 2;
                                continue;
                            }
                            self.lits.extend_from_slice(b"?>");
                        }
                        Node::PIData(_) => {
                            return Err(model_err("PIData without PITarget"));
                        }
                        node => self.compile_literal_content_node(node, false)?,
                    }
                    idx += 1;
                }
                self.close_tag_inline(element);
            }
            ChildrenKind::StaticLines => {
                // A materialized tree nests values' elements where they are used.
                if self.materialized && indent / INDENT_WIDTH >= MAX_RENDER_DEPTH {
                    return Err(nested_too_deeply());
                }
                self.lits.push(b'>');
                let open_end = self.lits.len();
                self.newline();
                return Ok(Some(OpenElement { open_end, left_out }));
            }
            ChildrenKind::Bail => {
                // Only placeholder-bearing shapes classify as Bail; on a
                // materialized tree that means an unresolved placeholder.
                return Err(if self.materialized {
                    unresolved_placeholder()
                } else {
                    bail_err()
                });
            }
        }
        Ok(None)
    }

    /// A child other than an element, on a line of its own.
    fn compile_line(&mut self, node: &Node<'a>, indent: u16) -> Result<()> {
        if let Node::Placeholder(ph) = node {
            if self.materialized {
                return Err(unresolved_placeholder());
            }
            self.check_size()?;
            self.flush_lit_run();
            let ind = self.side_range(|c| c.indent_str(indent));
            self.elem_slots.push((ph.id, indent));
            self.ops.push(XOp::ChildSlot {
                slot: ph.id,
                optional: ph.optional,
                indent,
                ind,
            });
        } else {
            self.check_size()?;
            self.indent_str(indent);
            self.compile_literal_content_node(node, false)?;
            self.newline();
        }
        Ok(())
    }

    /// Closes an element that `compile_start` left open.
    fn compile_end(&mut self, element: &Element<'_>, indent: u16, open: OpenElement) -> Result<()> {
        self.indent_str(indent);
        self.close_tag_inline(element);
        self.check_size()?;
        if let Some((at, start)) = open.left_out {
            self.flush_lit_run();
            let empty = self.side_range(|c| {
                c.lits.extend_from_within(start..open.open_end);
                c.close_tag_inline(element);
            });
            let deps = self.children_deps(element);
            self.close_guard(at, |len, open| XOp::LeftOut {
                deps,
                len,
                empty,
                open,
            });
        }
        Ok(())
    }

    /// A child element. One that depends on a value (its DependencyId) compiles behind an
    /// `XOp::Depends`, which leaves it out when that value is NULL, as the tree walker does, or
    /// as a dependent `XOp::Body` or `XOp::Expand` when it holds that value.
    fn compile_child(&mut self, id: ElementId, indent: u16) -> Result<()> {
        match self.element_ref(id).dependency {
            Some(slot) if !self.materialized => {
                let at = self.open_guard();
                self.compile_element(id, indent)?;
                self.close_depends(at, slot);
                Ok(())
            }
            _ => self.compile_element(id, indent),
        }
    }

    fn close_tag_inline(&mut self, element: &Element<'_>) {
        self.lits.extend_from_slice(b"</");
        self.lits
            .extend_from_slice(element.name.as_str().as_bytes());
        self.lits.push(b'>');
        self.newline();
    }

    fn compile_attr(&mut self, attr: &Attr<'a>) -> Result<()> {
        if self.shared {
            self.budget.charge(attr.value.len());
        }
        // Placeholders are dynamic; everything else is compile-time constant.
        // Mirrors `attribute_value_is_empty` + `render_nodes`.
        let mut has_nonempty_const = false;
        let mut n_placeholders = 0usize;
        for node in attr.value.iter() {
            match node {
                Node::Placeholder(_) => {
                    if self.materialized {
                        return Err(model_err("unresolved placeholder in attribute value"));
                    }
                    n_placeholders += 1;
                }
                Node::Element(_) => {
                    return Err(element_in_attr());
                }
                Node::PITarget(_) | Node::PIData(_) => {
                    return Err(EvtxError::Unimplemented {
                        name: "processing instruction in attribute value".to_string(),
                    });
                }
                Node::Text(t) => {
                    if !t.is_empty() {
                        has_nonempty_const = true;
                    }
                }
                // `attribute_value_is_empty` treats CData (even zero-length)
                // as non-empty.
                Node::CData(_) | Node::EntityRef(_) | Node::CharRef(_) => has_nonempty_const = true,
                Node::Value(v) => {
                    if !crate::model::ir::is_optional_empty(v) {
                        has_nonempty_const = true;
                    }
                }
            }
        }

        if n_placeholders == 0 {
            if !has_nonempty_const {
                return Ok(()); // statically empty attribute: omitted
            }
            self.lits.push(b' ');
            self.lits.extend_from_slice(attr.name.as_str().as_bytes());
            self.lits.extend_from_slice(b"=\"");
            for node in attr.value.iter() {
                self.check_size()?;
                self.compile_literal_content_node(node, true)?;
            }
            self.lits.push(b'"');
            return Ok(());
        }

        if has_nonempty_const {
            // Attribute is always emitted; placeholders write inline.
            self.lits.push(b' ');
            self.lits.extend_from_slice(attr.name.as_str().as_bytes());
            self.lits.extend_from_slice(b"=\"");
            for node in attr.value.iter() {
                self.check_size()?;
                match node {
                    Node::Placeholder(ph) => {
                        self.flush_lit_run();
                        self.ops.push(XOp::Val {
                            slot: ph.id,
                            in_attr: true,
                        });
                    }
                    other => self.compile_literal_content_node(other, true)?,
                }
            }
            self.lits.push(b'"');
            return Ok(());
        }

        if n_placeholders > 1 {
            // Joint emptiness across several placeholders: not modeled.
            return Err(bail_err());
        }

        // Exactly one placeholder, no non-empty constants: conditional attr.
        // (Constant empty nodes contribute nothing in either branch.)
        let ph = attr
            .value
            .iter()
            .find_map(|n| match n {
                Node::Placeholder(ph) => Some(ph),
                _ => None,
            })
            .expect("counted placeholder");
        let name = attr.name.as_str().as_bytes();
        self.flush_lit_run();
        let pre = self.side_range(|c| {
            c.lits.push(b' ');
            c.lits.extend_from_slice(name);
            c.lits.extend_from_slice(b"=\"");
        });
        self.ops.push(XOp::AttrVal { slot: ph.id, pre });
        Ok(())
    }

    /// Compile an array-expansion site (`<Data>%n</Data>`, no attributes)
    /// into a self-contained `XOp::Expand`: the open tag lives in the op so
    /// the executor can repeat the whole element per array item.
    fn compile_expand(
        &mut self,
        element: &'t Element<'a>,
        ph: &Placeholder,
        indent: u16,
    ) -> Result<()> {
        let name = element.name.as_str().as_bytes();
        self.flush_lit_run();
        let open = self.side_range(|c| {
            c.indent_str(indent);
            c.lits.push(b'<');
            c.lits.extend_from_slice(name);
            c.lits.push(b'>');
        });
        let tail_text = self.side_range(|c| {
            c.lits.extend_from_slice(b"</");
            c.lits.extend_from_slice(name);
            c.lits.push(b'>');
            c.newline();
        });
        let tail_elem = self.side_range(|c| {
            c.indent_str(indent);
            c.lits.extend_from_slice(b"</");
            c.lits.extend_from_slice(name);
            c.lits.push(b'>');
            c.newline();
        });
        self.elem_slots.push((ph.id, indent + INDENT_WIDTH));
        self.expand_slots.push(ph.id);
        self.ops.push(XOp::Expand {
            slot: ph.id,
            optional: ph.optional,
            dependent: false,
            indent,
            open,
            tail_text,
            tail_elem,
        });
        Ok(())
    }

    /// Render one literal (placeholder-free) node into `lits`, mirroring
    /// `XmlEmitter::render_single_node`.
    fn compile_literal_content_node(&mut self, node: &Node<'a>, in_attribute: bool) -> Result<()> {
        match node {
            Node::Text(text) => self.compile_literal_text(text, in_attribute),
            Node::Value(value) => {
                let mut sink = std::mem::take(&mut self.lits);
                let res = self.vr.write_xml_value_text(&mut sink, value, in_attribute);
                self.lits = sink;
                res
            }
            Node::EntityRef(name) => {
                self.lits.push(b'&');
                self.lits.extend_from_slice(name.as_str().as_bytes());
                self.lits.push(b';');
                Ok(())
            }
            Node::CharRef(ch) => {
                self.lits.extend_from_slice(format!("&#{};", ch).as_bytes());
                Ok(())
            }
            Node::CData(text) => {
                if in_attribute {
                    self.compile_literal_text(text, true)
                } else {
                    let start = self.lits.len();
                    self.compile_raw_text(text);
                    let body = self.lits.split_off(start);
                    self.lits.extend_from_slice(b"<![CDATA[");
                    // A `]]>` in the text would end the section early: split it across two.
                    let mut rest = &body[..];
                    while let Some(at) = rest.windows(3).position(|w| w == b"]]>") {
                        self.lits.extend_from_slice(&rest[..at + 2]);
                        self.lits.extend_from_slice(b"]]><![CDATA[");
                        rest = &rest[at + 2..];
                    }
                    self.lits.extend_from_slice(rest);
                    self.lits.extend_from_slice(b"]]>");
                    Ok(())
                }
            }
            // PIs contribute nothing in content position (`render_single_node`).
            Node::PITarget(_) | Node::PIData(_) => Ok(()),
            Node::Element(_) => Err(element_in_text()),
            Node::Placeholder(_) => Err(unresolved_placeholder()),
        }
    }

    fn compile_literal_text(&mut self, text: &Text<'a>, in_attribute: bool) -> Result<()> {
        let mode = StringEscapeMode::Xml { in_attribute };
        match text {
            Text::Utf16(value) => self.vr.write_utf16_escaped(&mut self.lits, *value, mode),
            Text::Utf8(value) => self.vr.write_str_escaped(&mut self.lits, value, mode),
        }
    }

    fn compile_raw_text(&mut self, text: &Text<'a>) {
        match text {
            Text::Utf16(value) => {
                let bytes = value.as_bytes();
                let units = bytes.len() / 2;
                if units > 0 {
                    let mut sink = std::mem::take(&mut self.lits);
                    let _ = utf16_simd::write_utf16le_raw(&mut sink, bytes, units);
                    self.lits = sink;
                }
            }
            Text::Utf8(value) => self.lits.extend_from_slice(value.as_bytes()),
        }
    }
}

enum ChildrenKind<'n> {
    /// No children (or only statically-empty literals): logically empty.
    Empty,
    /// Exactly one placeholder child (the `<Data>%1</Data>` shape).
    SinglePlaceholder(&'n Placeholder),
    /// All literal, no element children, at least one non-empty content node.
    StaticInline,
    /// Statically line-formed: literal elements (>=1 when placeholders are
    /// present), placeholders, and literal nodes each on their own line.
    StaticLines,
    Bail,
}

fn classify_children<'n>(element: &'n Element<'_>) -> ChildrenKind<'n> {
    if element.children.is_empty() {
        return ChildrenKind::Empty;
    }
    if element.children.len() == 1
        && let Node::Placeholder(ph) = &element.children[0]
    {
        return ChildrenKind::SinglePlaceholder(ph);
    }
    let mut has_placeholder = false;
    let mut has_literal_element = false;
    let mut has_literal_content = false;
    for node in &element.children {
        match node {
            Node::Placeholder(_) => has_placeholder = true,
            Node::Element(_) => has_literal_element = true,
            // PIs are neither content nor element (scan_class: Empty); they
            // render inline (paired) or as bare lines depending on layout.
            Node::PITarget(_) | Node::PIData(_) => {}
            Node::Text(t) | Node::CData(t) => {
                if !t.is_empty() {
                    has_literal_content = true;
                }
            }
            Node::EntityRef(_) | Node::CharRef(_) => has_literal_content = true,
            Node::Value(v) => {
                if !crate::model::ir::is_optional_empty(v) {
                    has_literal_content = true;
                }
            }
        }
    }
    if !has_placeholder {
        if has_literal_element {
            return ChildrenKind::StaticLines;
        }
        // Present-but-empty literal children are NOT logically empty
        // (`child_layout` counts Empty-class nodes as `any`): inline form.
        return ChildrenKind::StaticInline;
    }
    // Placeholders mixed with other children: the layout must be statically
    // line-formed, which requires a literal element child. Literal content
    // would render inline if no element materializes -> runtime layout fork.
    if has_literal_element && !has_literal_content {
        return ChildrenKind::StaticLines;
    }
    ChildrenKind::Bail
}

fn is_placeholder(node: &Node<'_>) -> bool {
    matches!(node, Node::Placeholder(_))
}

/// Whether what `element` renders to varies by instance: it holds a placeholder, or an element
/// below it depends on a value.
fn subtree_varies(tree: &IrTree<'_>, element: &Element<'_>) -> bool {
    for attr in &element.attrs {
        if attr.value.iter().any(is_placeholder) {
            return true;
        }
    }
    for node in &element.children {
        match node {
            Node::Placeholder(_) => return true,
            Node::Element(id) => {
                let child = tree.arena().get(*id).expect("element id");
                if child.dependency.is_some() || subtree_varies(tree, child) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

// ---------------------------------------------------------------------------
// Per-record pre-flight (raw instance scan)
// ---------------------------------------------------------------------------

/// One raw substitution slot: a typed window into the chunk data.
#[derive(Clone, Copy)]
struct RawSlot {
    off: u32,
    len: u16,
    ty: u8,
    /// Index into `Preflight::nested` for single-instance BinXml slots;
    /// `u16::MAX` otherwise.
    nested: u16,
    /// Type-discriminated side-table index: `Preflight::ansi` for ANSI
    /// strings, `Preflight::arrays` for string arrays.
    aux: u32,
}

const NO_NESTED: u16 = u16::MAX;
const NO_AUX: u32 = u32::MAX;

impl RawSlot {
    /// The value's byte window in the chunk data.
    fn bytes<'d>(&self, data: &'d [u8]) -> &'d [u8] {
        &data[self.off as usize..self.off as usize + usize::from(self.len)]
    }

    /// Index into `Preflight::nested` for resolved nested instances.
    fn nested_idx(&self) -> Option<usize> {
        (self.nested != NO_NESTED).then_some(usize::from(self.nested))
    }

    /// Index into `Preflight::ansi` for pre-decoded ANSI payloads.
    fn ansi_idx(&self) -> Option<usize> {
        (self.ty == value_ty::ANSI_STRING && self.aux != NO_AUX).then_some(self.aux as usize)
    }

    /// A non-empty embedded BinXML value (renders as an element).
    fn is_binxml_payload(&self) -> bool {
        self.ty == value_ty::BIN_XML && self.len > 0
    }
}

/// A cached program and the substitution slots for one validated instance.
#[derive(Clone, Copy)]
pub(crate) struct Instance<S = SlotRange> {
    prog: usize,
    slots: S,
}

/// Reusable per-chunk pre-flight scratch.
#[derive(Default)]
pub(crate) struct Preflight {
    slots: Vec<RawSlot>,
    nested: Vec<Instance>,
    /// Decoded ANSI values, concatenated; `ansi_spans[i]` is value `i`.
    ansi: String,
    ansi_spans: Vec<(u32, u32)>,
    /// NUL-filter scratch for ANSI decoding, reset before every value.
    ansi_scratch: bumpalo::Bump,
    /// Per string-array slot: `(start, count)` into `array_items`.
    arrays: Vec<(u32, u32)>,
    /// Flat `(offset, byte len)` spans of string-array items (NUL-free).
    array_items: Vec<(u32, u16)>,
}

/// How the pre-flight validates a descriptor of a given type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TyClass {
    /// Arrays, exotics, unknowns: materialize lane.
    Reject,
    /// Exact wire width.
    Fixed(u8),
    /// Even-length UTF-16LE payload.
    Utf16,
    /// Any-length payload (NULL skips it, BINARY/BIN_XML slice it).
    Sized,
    /// ANSI string: any length, pre-decoded at pre-flight.
    Ansi,
    /// Pointer-width integer: 4 (32-bit) or 8 (64-bit) bytes.
    SizeT,
    /// `8 + 4 * sub_authority_count` bytes.
    Sid,
    /// UTF-16 string array: even-length payload of NUL-terminated strings;
    /// admitted only on slots the program compiled as expandable.
    StrArray,
}

/// The declarative wire-facts table the descriptor scan runs on.
const TY_CLASS: [TyClass; 256] = {
    use TyClass::*;
    use value_ty::*;
    let mut t = [Reject; 256];
    t[NULL as usize] = Sized;
    t[UTF16_STRING as usize] = Utf16;
    t[ANSI_STRING as usize] = Ansi;
    t[INT8 as usize] = Fixed(1);
    t[UINT8 as usize] = Fixed(1);
    t[INT16 as usize] = Fixed(2);
    t[UINT16 as usize] = Fixed(2);
    t[INT32 as usize] = Fixed(4);
    t[UINT32 as usize] = Fixed(4);
    t[INT64 as usize] = Fixed(8);
    t[UINT64 as usize] = Fixed(8);
    t[REAL32 as usize] = Fixed(4);
    t[REAL64 as usize] = Fixed(8);
    t[BOOL as usize] = Fixed(4); // a 4-byte i32 on the wire
    t[BINARY as usize] = Sized;
    t[GUID as usize] = Fixed(16);
    t[SIZE_T as usize] = SizeT;
    t[FILETIME as usize] = Fixed(8);
    t[SYSTIME as usize] = Fixed(16);
    t[SID as usize] = Sid;
    t[HEX_INT32 as usize] = Fixed(4);
    t[HEX_INT64 as usize] = Fixed(8);
    t[BIN_XML as usize] = Sized;
    t[STR_ARRAY as usize] = StrArray;
    t
};

/// Fast-lane bail depth for nested instances (deeper chains use the slow
/// lane, which is itself capped — see `ir::MAX_BINXML_NESTING`).
const MAX_FAST_LANE_NESTING: usize = 8;

/// Sanity cap on a template instance's substitution count (the wire could
/// claim up to `u32::MAX`; nothing legitimate comes close).
pub(crate) const MAX_SUBSTITUTIONS: usize = 4096;

struct PreflightBail;

impl From<crate::err::DeserializationError> for PreflightBail {
    fn from(_: crate::err::DeserializationError) -> Self {
        PreflightBail
    }
}

impl From<EvtxError> for PreflightBail {
    fn from(_: EvtxError) -> Self {
        PreflightBail
    }
}

impl Preflight {
    fn ansi(&self, i: usize) -> &str {
        let (start, end) = self.ansi_spans[i];
        &self.ansi[start as usize..end as usize]
    }

    fn clear(&mut self) {
        self.slots.clear();
        self.nested.clear();
        self.ansi.clear();
        self.ansi_spans.clear();
        self.arrays.clear();
        self.array_items.clear();
    }

    /// Item spans of a string-array slot (validated by the pre-flight).
    fn str_array_items(&self, s: &RawSlot) -> &[(u32, u16)] {
        debug_assert_eq!(s.ty, value_ty::STR_ARRAY);
        let (start, count) = self.arrays[s.aux as usize];
        &self.array_items[start as usize..(start + count) as usize]
    }

    /// Emptiness of a slot, mirroring `is_optional_empty` over the value the
    /// regular path would have decoded (string NUL-truncation included).
    #[inline(always)]
    fn slot_empty(&self, s: &RawSlot, data: &[u8]) -> bool {
        match s.ty {
            value_ty::NULL => true,
            // The decoded string is empty when sized 0 or NUL-led (mirrors
            // `utf16_by_char_count` truncation).
            value_ty::UTF16_STRING => s.len == 0 || s.bytes(data).starts_with(&[0, 0]),
            value_ty::ANSI_STRING => s.ansi_idx().is_none_or(|i| self.ansi(i).is_empty()),
            value_ty::BINARY | value_ty::BIN_XML => s.len == 0,
            _ => false,
        }
    }

    /// Scan a `TemplateInstance` whose header starts at absolute `pos` (the
    /// byte after the 0x0c token). Appends slots/nested entries and returns
    /// `(instance, end_pos)`. Templates it parses charge the record's `budget`.
    #[allow(clippy::too_many_arguments)]
    fn scan_instance<'a, P: StoredProgram>(
        &mut self,
        chunk: &'a EvtxChunk<'a>,
        pos: usize,
        depth: usize,
        cache: &mut IrTemplateCache<'a>,
        budget: &Budget,
        progs: &mut ProgramCache<P>,
        base_indent: u16,
        is_root: bool,
    ) -> std::result::Result<(Instance, usize), PreflightBail> {
        if depth > MAX_FAST_LANE_NESTING {
            return Err(PreflightBail);
        }
        let data = chunk.data;

        // Instance header (mirrors `read_template_values_cursor`).
        let mut cur = ByteCursor::with_pos(data, pos)?;
        cur.u8()?; // unknown byte
        let _template_id = cur.u32()?;
        let def_offset = cur.u32()?;
        if cur.position() as u32 == def_offset {
            // Inline definition: skip its header + payload.
            let header = read_template_definition_header_at(data, def_offset)?;
            cur.set_pos_u64(
                cur.position()
                    + (TEMPLATE_DEFINITION_HEADER_SIZE as u64)
                    + u64::from(header.data_size),
                "skip inline template definition",
            )?;
        }
        let n = cur.u32()? as usize;
        if n > MAX_SUBSTITUTIONS {
            return Err(PreflightBail);
        }

        let prog = get_or_compile(
            chunk,
            (def_offset, base_indent, is_root),
            progs,
            TemplateSource::Bytes(cache, budget),
        )
        .ok_or(PreflightBail)?;

        // Descriptor table: n x (u16 size, u8 type, u8 pad), then the values.
        let descriptors = cur.take_bytes(n * 4, "descriptor table")?;
        let mut off = cur.pos();
        let slot_start = self.slots.len() as u32;
        for (i, desc) in descriptors.chunks_exact(4).enumerate() {
            let &[len_lo, len_hi, ty, _pad] = desc else {
                unreachable!("chunks_exact(4)");
            };
            let len = u16::from_le_bytes([len_lo, len_hi]);
            let end = off + usize::from(len);
            if end > data.len() {
                return Err(PreflightBail);
            }
            match TY_CLASS[usize::from(ty)] {
                TyClass::Reject => return Err(PreflightBail),
                TyClass::Fixed(width) => {
                    if len != u16::from(width) {
                        return Err(PreflightBail);
                    }
                }
                TyClass::Utf16 => {
                    if len % 2 != 0 {
                        return Err(PreflightBail);
                    }
                }
                TyClass::SizeT => {
                    if !(len == 4 || len == 8) {
                        return Err(PreflightBail);
                    }
                }
                TyClass::Sid => {
                    // SID payload: revision, sub-authority count, 48-bit
                    // authority, then 4-byte sub-authorities.
                    let &[_revision, sub_count, ..] = &data[off..end] else {
                        return Err(PreflightBail);
                    };
                    if usize::from(len) != 8 + 4 * usize::from(sub_count) {
                        return Err(PreflightBail);
                    }
                }
                TyClass::StrArray => {
                    // Admitted only on slots the program compiled as
                    // expandable; everything else keeps the slow lane.
                    if len % 2 != 0 || !progs.programs[prog].expand_slots().contains(&(i as u16)) {
                        return Err(PreflightBail);
                    }
                }
                TyClass::Sized | TyClass::Ansi => {}
            }
            let mut slot = RawSlot {
                off: off as u32,
                len,
                ty,
                nested: NO_NESTED,
                aux: NO_AUX,
            };
            if ty == value_ty::ANSI_STRING && len > 0 {
                // Decode ANSI now so the executor stays infallible.
                let codec = chunk.settings.get_ansi_codec();
                self.ansi_scratch.reset();
                let decoded = decode_ansi_value(codec, &data[off..end], &self.ansi_scratch)?;
                slot.aux = self.ansi_spans.len() as u32;
                let start = self.ansi.len() as u32;
                self.ansi.push_str(&decoded);
                self.ansi_spans.push((start, self.ansi.len() as u32));
            } else if ty == value_ty::STR_ARRAY {
                // Split the payload into NUL-terminated item spans now so the
                // executor stays infallible. Mirrors the deserializer: every
                // NUL ends an item; the payload must end exactly on one (an
                // unterminated tail keeps the legacy lane's read-past quirk).
                let items_start = self.array_items.len() as u32;
                let mut item_off = off;
                for (pi, pair) in data[off..end].chunks_exact(2).enumerate() {
                    if let &[0, 0] = pair {
                        let nul_at = off + pi * 2;
                        self.array_items
                            .push((item_off as u32, (nul_at - item_off) as u16));
                        item_off = nul_at + 2;
                    }
                }
                let count = self.array_items.len() as u32 - items_start;
                if item_off != end || count == 0 {
                    return Err(PreflightBail);
                }
                slot.aux = self.arrays.len() as u32;
                self.arrays.push((items_start, count));
            }
            self.slots.push(slot);
            off = end;
        }
        let slot_range = (slot_start, self.slots.len() as u32);

        // Resolve nested instances for slots this program renders as elements.
        // Recursive scans may append programs; keep indices, not a borrow of the cache.
        for element in 0..progs.programs[prog].elem_slots().len() {
            let (slot_id, child_indent) = progs.programs[prog].elem_slots()[element];
            if u32::from(slot_id) >= slot_range.1 - slot_range.0 {
                continue; // out-of-range -> Skip at exec
            }
            let idx = slot_start as usize + slot_id as usize;
            let s = self.slots[idx];
            if !s.is_binxml_payload() {
                continue;
            }
            let frag = s.bytes(data);
            let Some(inst_off) = single_instance_offset(frag) else {
                // Generic fragment: rendered via the materialized fallback
                // where the executor supports it; otherwise fall back.
                if P::ALLOW_GENERIC_FRAGS {
                    continue;
                }
                return Err(PreflightBail);
            };
            let (instance, nend) = self.scan_instance(
                chunk,
                s.off as usize + inst_off,
                depth + 1,
                cache,
                budget,
                progs,
                child_indent,
                false,
            )?;
            // The nested instance must span its whole payload (allow EOF pad).
            if ends_stream(frag, nend - s.off as usize) != Some(true) {
                return Err(PreflightBail);
            }
            if self.nested.len() >= usize::from(u16::MAX) {
                return Err(PreflightBail);
            }
            self.slots[idx].nested = self.nested.len() as u16;
            self.nested.push(instance);
        }

        // Per-slot constraints (kept rare; violations route to the fallback).
        for &c in progs.programs[prog].constraints() {
            if u32::from(c.slot()) >= slot_range.1 - slot_range.0 {
                continue; // out-of-range resolves to Skip everywhere
            }
            let s = &self.slots[slot_start as usize + c.slot() as usize];
            if c.violated(s.is_binxml_payload(), self.slot_empty(s, data)) {
                return Err(PreflightBail);
            }
        }

        Ok((
            Instance {
                prog,
                slots: slot_range,
            },
            off,
        ))
    }
}

enum TemplateSource<'s, 'a> {
    /// The chunk's template, parsed into the cache at the record's expense.
    Bytes(&'s mut IrTemplateCache<'a>, &'s Budget),
    Validated(&'s IrTree<'a>, bool),
}

fn get_or_compile<'a, P: StoredProgram>(
    chunk: &'a EvtxChunk<'a>,
    key: (u32, u16, bool),
    progs: &mut ProgramCache<P>,
    source: TemplateSource<'_, 'a>,
) -> Option<usize> {
    let settings = &chunk.settings;
    let (def_offset, base_indent, is_root) = key;
    if let Some(entry) = progs.by_key.get(&key) {
        return *entry;
    }

    // Cross-chunk store, keyed by template content identity.
    let store = &*chunk.program_store;
    let store_key = store
        .key(chunk, def_offset)
        .map(|(template, names)| (template, names, base_indent, is_root));
    // Lock sections are bare map reads/inserts (compilation happens outside),
    // so a poisoned lock cannot hold inconsistent data: recover and continue.
    if let Some(sk) = store_key.as_ref()
        && let Some(entry) = P::shard(store)
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(sk)
    {
        return progs.insert(key, entry.clone());
    }
    // Every compilation gets a whole program's worth, so a failure is the template's own and
    // other chunks can skip it.
    if progs.budget < MAX_PROGRAM_SIZE {
        return progs.insert(key, None);
    }

    let budget = &mut progs.budget;
    let compiled = match source {
        TemplateSource::Validated(tree, has_literal_array) => P::compile(
            tree,
            has_literal_array,
            base_indent,
            is_root,
            settings,
            budget,
        )
        .map(Arc::new),
        TemplateSource::Bytes(cache, record) => cache
            .template_for_compile(chunk, def_offset, record)
            .ok()
            .and_then(|(tree, has_literal_array)| {
                P::compile(
                    &tree,
                    has_literal_array,
                    base_indent,
                    is_root,
                    settings,
                    budget,
                )
                .map(Arc::new)
            }),
    };
    if let Some(sk) = store_key {
        let size = compiled.as_ref().map_or(0, |program| program.size());
        store.insert(P::shard(store), sk, compiled.clone(), size);
    }
    progs.insert(key, compiled)
}

// ---------------------------------------------------------------------------
// Per-record entry + executor
// ---------------------------------------------------------------------------

/// Try to render one record's BinXML via the compiled-template path, within `budget`.
///
/// Returns `Ok(false)` with `out` untouched when the record isn't covered (the
/// caller then uses the regular path). On `Ok(true)` the record was rendered
/// byte-identically to `P::render_tree` over the materialized record, with
/// `mta::add_rendering_info` applied when an `.MTA` file is set, except that only
/// the walkers count nodes (see `MAX_RENDER_NODES`): a record that visits too many
/// there can render here. A record that renders past `MAX_RECORD_OUTPUT` fails
/// here, as it would there, and leaves its partial output in `out`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn try_render_compiled<'a, P: StoredProgram>(
    bytes: &[u8],
    record_number: u64,
    chunk: &'a EvtxChunk<'a>,
    cache: &mut IrTemplateCache<'a>,
    progs: &mut ProgramCache<P>,
    pf: &mut Preflight,
    vr: &mut ValueRenderer,
    budget: &Budget,
    out: &mut Vec<u8>,
) -> Result<bool> {
    // Single-instance stream shape (mirrors `read_single_instance_stream`).
    let Some(inst_off) = single_instance_offset(bytes) else {
        return Ok(false);
    };
    let Ok(stream_offset) = binxml_slice_offset_in(chunk.data, bytes) else {
        return Ok(false);
    };
    let stream_offset = stream_offset as usize;
    pf.clear();
    let Ok((instance, end)) = pf.scan_instance(
        chunk,
        stream_offset + inst_off,
        0,
        cache,
        budget,
        progs,
        0,
        true,
    ) else {
        return Ok(false);
    };
    // Anything after the instance other than EOF is unhandled here, and so
    // is an instance that read past the record (the regular path accepts it).
    if ends_stream(bytes, end - stream_offset) != Some(true) {
        return Ok(false);
    }
    let values = RawValues {
        pf,
        data: chunk.data,
        budget: budget.clone(),
    };
    let rendering_info = match chunk.settings.get_mta() {
        None => None,
        Some(mta) => {
            let Some(fields) = progs.programs[instance.prog].system_fields() else {
                return Ok(false);
            };
            let slots = values.slots(instance.slots);
            let value = |id| values.mta_value(slots, id, progs, chunk);
            if fields.needs_tree(value) {
                return Ok(false);
            }
            fields.rendering_info(mta, record_number, value)
        }
    };
    let start = out.len();
    let rendered = exec_or_rollback(instance, progs, &values, chunk, Some(cache), vr, out);
    budget.nodes.set(values.budget.nodes.get());
    if !rendered? {
        return Ok(false);
    }
    if let Some(info) = rendering_info {
        let appended = append_rendering_info::<P>(&info, chunk, start, out);
        values.budget().check(out.len())?;
        if !appended {
            out.truncate(start);
            return Ok(false);
        }
        #[cfg(test)]
        MTA_SPLICES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    Ok(true)
}

/// How many records got their `RenderingInfo` from `try_render_compiled`, for the tests in
/// `mta` that check it renders them as the record's tree does.
#[cfg(test)]
pub(crate) static MTA_SPLICES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Adds `info` to the record rendered at `out[start..]`, where `mta::add_rendering_info` puts
/// it in a record's tree.
fn append_rendering_info<'a, P: StoredProgram>(
    info: &RenderingInfo<'a>,
    chunk: &'a EvtxChunk<'a>,
    start: usize,
    out: &mut Vec<u8>,
) -> bool {
    let bump = &chunk.arena;
    let mut arena = IrArena::new_in(bump);
    let root = mta::rendering_info_element(info, &mut arena, bump);
    P::append_to_event(&IrTree::new(arena, root), &chunk.settings, start, out)
}

/// `P::exec`, truncating `out` back unless it renders. `Ok(false)` on an error, for the
/// caller to render the record's tree, which fails the same way: errors are unreachable after
/// a successful preflight except for attribute-position BinXml elements, which the regular
/// path also rejects per record, and the caps of the fragments it walks (see `Budget`).
/// Output past `MAX_RECORD_OUTPUT` fails the record here, without rendering it again, and
/// stays in `out` for `ChunkBudget::render` to charge.
fn exec_or_rollback<'a, P: TemplateProgram, V: ValueSource<'a>>(
    instance: Instance<V::Scope>,
    progs: &ProgramCache<P>,
    values: &V,
    chunk: &'a EvtxChunk<'a>,
    cache: Option<&mut IrTemplateCache<'a>>,
    vr: &mut ValueRenderer,
    out: &mut Vec<u8>,
) -> Result<bool> {
    let start = out.len();
    let ok = P::exec(instance, progs, values, chunk, cache, vr, out).is_ok();
    values.budget().check(out.len())?;
    if !ok {
        out.truncate(start);
    }
    Ok(ok)
}

/// Runtime slot class for `Body`/`ChildSlot` branching.
enum SlotClass {
    /// NULL, for an element that depends on its value: the element is left out.
    LeftOut,
    Skip,
    TextLike,
    Element,
}

fn exec<'a, V: ValueSource<'a>>(
    instance: Instance<V::Scope>,
    progs: &XmlProgramCache,
    pf: &V,
    chunk: &'a EvtxChunk<'a>,
    mut cache: Option<&mut IrTemplateCache<'a>>,
    vr: &mut ValueRenderer,
    out: &mut Vec<u8>,
) -> Result<()> {
    let prog = &progs.programs[instance.prog];
    let lits = &prog.lits;
    let slots = pf.slots(instance.slots);
    let slot_at = |id: u16| slots.get(usize::from(id));
    let classify = |slot: u16, optional: bool, dependent: bool| -> SlotClass {
        match slot_at(slot) {
            None => SlotClass::Skip,
            Some(s) => {
                if pf.empty(s) {
                    if dependent && pf.null(s) {
                        SlotClass::LeftOut
                    } else if optional {
                        SlotClass::Skip
                    } else {
                        SlotClass::TextLike
                    }
                } else if pf.element(s) {
                    SlotClass::Element
                } else {
                    SlotClass::TextLike
                }
            }
        }
    };

    macro_rules! write_lit {
        ($r:expr) => {
            out.extend_from_slice($r.of(lits))
        };
    }
    macro_rules! write_val {
        ($s:expr, $in_attr:expr) => {{
            let s = $s;
            pf.write(
                s,
                vr,
                out,
                StringEscapeMode::Xml {
                    in_attribute: $in_attr,
                },
            )?;
        }};
    }

    let null = |slot: u16| slot_at(slot).is_some_and(|s| pf.null(s));
    let mut ops = prog.ops.iter();
    while let Some(op) = ops.next() {
        match op {
            XOp::Lit(r) => write_lit!(*r),
            XOp::Depends { slot, len, open } => {
                if null(*slot) {
                    skip(&mut ops, *len);
                } else {
                    write_lit!(*open);
                }
            }
            XOp::LeftOut {
                deps,
                len,
                empty,
                open,
            } => {
                if deps.of(&prog.deps).iter().all(|&slot| null(slot)) {
                    write_lit!(*empty);
                    skip(&mut ops, *len);
                } else {
                    write_lit!(*open);
                }
            }
            XOp::Val { slot, in_attr } => {
                if let Some(s) = slot_at(*slot) {
                    if pf.element(s) {
                        return Err(element_in_attr());
                    }
                    write_val!(s, *in_attr);
                }
            }
            XOp::AttrVal { slot, pre } => {
                if let Some(s) = slot_at(*slot)
                    && !pf.empty(s)
                {
                    if pf.element(s) {
                        return Err(element_in_attr());
                    }
                    write_lit!(*pre);
                    write_val!(s, true);
                    out.push(b'"');
                }
            }
            XOp::Body {
                slot,
                optional,
                dependent,
                indent,
                prefix,
                tail_text,
                tail_elem,
            } => match classify(*slot, *optional, *dependent) {
                SlotClass::LeftOut => {}
                SlotClass::Skip => {
                    write_lit!(*prefix);
                    write_lit!(*tail_text);
                }
                SlotClass::TextLike => {
                    write_lit!(*prefix);
                    if let Some(s) = slot_at(*slot) {
                        write_val!(s, false);
                    }
                    write_lit!(*tail_text);
                }
                SlotClass::Element => {
                    write_lit!(*prefix);
                    let s = slot_at(*slot).expect("element class implies present");
                    if prog.indent_on {
                        out.push(b'\n');
                    }
                    render_element_slot(
                        s,
                        progs,
                        pf,
                        chunk,
                        cache.as_deref_mut(),
                        vr,
                        *indent + INDENT_WIDTH,
                        prog.indent_on,
                        out,
                    )?;
                    write_lit!(*tail_elem);
                }
            },
            XOp::ChildSlot {
                slot,
                optional,
                indent,
                ind,
            } => match classify(*slot, *optional, false) {
                SlotClass::LeftOut | SlotClass::Skip => {}
                SlotClass::TextLike => {
                    write_lit!(*ind);
                    if let Some(s) = slot_at(*slot) {
                        write_val!(s, false);
                    }
                    if prog.indent_on {
                        out.push(b'\n');
                    }
                }
                SlotClass::Element => {
                    let s = slot_at(*slot).expect("element class implies present");
                    render_element_slot(
                        s,
                        progs,
                        pf,
                        chunk,
                        cache.as_deref_mut(),
                        vr,
                        *indent,
                        prog.indent_on,
                        out,
                    )?;
                }
            },
            XOp::Expand {
                slot,
                optional,
                dependent,
                indent,
                open,
                tail_text,
                tail_elem,
            } => {
                // An array isn't NULL, so it is never left out.
                if let Some(items) = slot_at(*slot).and_then(|s| pf.array(s)) {
                    // Array: the element repeats per item.
                    for item in items {
                        // Each item repeats the element's indentation.
                        pf.budget().check(out.len())?;
                        write_lit!(*open);
                        vr.write_value_text(
                            out,
                            &BinXmlValue::StringType(item),
                            StringEscapeMode::Xml {
                                in_attribute: false,
                            },
                        )?;
                        write_lit!(*tail_text);
                    }
                } else {
                    // Scalar: `Body` semantics with the open tag spliced in.
                    match classify(*slot, *optional, *dependent) {
                        SlotClass::LeftOut => {}
                        SlotClass::Skip => {
                            write_lit!(*open);
                            write_lit!(*tail_text);
                        }
                        SlotClass::TextLike => {
                            write_lit!(*open);
                            if let Some(s) = slot_at(*slot) {
                                write_val!(s, false);
                            }
                            write_lit!(*tail_text);
                        }
                        SlotClass::Element => {
                            write_lit!(*open);
                            let s = slot_at(*slot).expect("element class implies present");
                            if prog.indent_on {
                                out.push(b'\n');
                            }
                            render_element_slot(
                                s,
                                progs,
                                pf,
                                chunk,
                                cache.as_deref_mut(),
                                vr,
                                *indent + INDENT_WIDTH,
                                prog.indent_on,
                                out,
                            )?;
                            write_lit!(*tail_elem);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Render an element-class slot: a nested compiled instance, or a generic
/// BinXml fragment via the materialized fallback renderer.
#[allow(clippy::too_many_arguments)]
fn render_element_slot<'a, V: ValueSource<'a>>(
    s: &V::Value,
    progs: &XmlProgramCache,
    pf: &V,
    chunk: &'a EvtxChunk<'a>,
    cache: Option<&mut IrTemplateCache<'a>>,
    vr: &mut ValueRenderer,
    indent: u16,
    indent_on: bool,
    out: &mut Vec<u8>,
) -> Result<()> {
    if let Some(inst) = pf.nested(s) {
        // Instances can share a program.
        pf.budget().check(out.len())?;
        return exec(inst, progs, pf, chunk, cache, vr, out);
    }
    if let Some((arena, roots)) = pf.fragment(s) {
        return render_fragment_roots_xml(arena, roots, indent, indent_on, pf.budget(), out);
    }
    // Generic (non-instance) fragment: materialize and render. Cold path.
    let Some(cache) = cache else {
        return Err(unresolved_placeholder());
    };
    let frag = pf.bytes(s).ok_or_else(unresolved_placeholder)?;
    let (arena, roots) = build_fragment_from_binxml_bytes(frag, chunk, cache, pf.budget())?;
    render_fragment_xml(&arena, roots, indent, indent_on, pf.budget(), out)
}

// ---------------------------------------------------------------------------
// JSON programs
// ---------------------------------------------------------------------------

/// One attribute member inside a `JOp::Elem` `#attributes` object.
#[derive(Debug, Clone)]
enum JAttrPart {
    /// Pre-rendered `"name":value` member; always emitted.
    Literal(LitRange),
    /// Conditional member: `"name":` key bytes plus the value from `slot`,
    /// omitted when the slot is empty.
    Placeholder { key: LitRange, slot: u16 },
}

#[derive(Debug, Clone)]
enum JOp {
    /// Emit `lits[range]`.
    Lit(LitRange),
    /// As `XOp::Depends`: `open` and the next `len` ops write an object member whose element
    /// depends on `slot`, and are skipped when that value is NULL.
    Depends { slot: u16, len: u32, open: LitRange },
    /// As `XOp::LeftOut`: when every value of `deps` is NULL, write `empty` (`null`, the value
    /// of an element left without children) instead of `open` and the next `len` ops.
    LeftOut {
        deps: LitRange,
        len: u32,
        empty: LitRange,
        open: LitRange,
    },
    /// The comma before an object member when the members before it may all have been left
    /// out: none when the object is still empty.
    Comma,
    /// A leaf element value: `null`/`""` when empty, bare number for
    /// int/bool-typed slots, nested-instance object for BinXml slots,
    /// quoted escaped string otherwise.
    LeafVal {
        prefix: LitRange,
        slot: u16,
        empty: LitRange,
        /// As `XOp::Body`'s.
        dependent: bool,
    },
    /// `write_element_value` for an element with placeholder attributes and
    /// at most one placeholder content child (no element children possible).
    Elem {
        attrs: Box<[JAttrPart]>,
        content: Option<u16>,
        /// `null` / `""` for the all-empty case.
        empty: LitRange,
    },
    /// A placeholder in element-child position inside an object: emits
    /// `,"<NestedRootName>[_N]": { ... }` when the slot is a nested instance,
    /// nothing when empty. Pre-flight guarantees elem-or-empty.
    SlotChild {
        slot: u16,
        /// `(name bytes in lits, static emission count)` of preceding static
        /// members, for `_N` suffix seeding.
        static_names: Box<[(LitRange, u32)]>,
        /// Whether any object member unconditionally precedes this op.
        lead_comma: bool,
    },
}

impl JOp {
    /// The slots `ops` render, each as often as they use it.
    fn slots(ops: &[JOp]) -> Vec<u16> {
        let mut slots = Vec::new();
        for op in ops {
            match op {
                JOp::Lit(_) | JOp::Depends { .. } | JOp::LeftOut { .. } | JOp::Comma => {}
                JOp::LeafVal { slot, .. } | JOp::SlotChild { slot, .. } => slots.push(*slot),
                JOp::Elem { attrs, content, .. } => {
                    slots.extend(attrs.iter().filter_map(|part| match part {
                        JAttrPart::Placeholder { slot, .. } => Some(*slot),
                        JAttrPart::Literal(_) => None,
                    }));
                    slots.extend(*content);
                }
            }
        }
        slots
    }

    /// As `XOp::depend_on`.
    fn depend_on(&mut self, dependency: u16) -> bool {
        match self {
            JOp::LeafVal {
                slot, dependent, ..
            } if *slot == dependency => {
                *dependent = true;
                true
            }
            _ => false,
        }
    }
}

/// A compiled JSON template program.
pub(crate) struct JsonProgram {
    lits: Vec<u8>,
    ops: Vec<JOp>,
    /// The values that `JOp::LeftOut` ops test.
    deps: Vec<u16>,
    elem_slots: Vec<(u16, u16)>,
    constraints: Vec<SlotConstraint>,
    /// Slots whose `LeafVal` sits at a positional-`Data` aggregation site
    /// (string arrays allowed: they render as a JSON array `#text`).
    expand_slots: Vec<u16>,
    /// Raw root element name bytes (member key for nested-instance values).
    root_name: Vec<u8>,
    system_fields: Option<SystemFields>,
}

impl TemplateProgram for JsonProgram {
    const ALLOW_GENERIC_FRAGS: bool = false;
    fn elem_slots(&self) -> &[(u16, u16)] {
        &self.elem_slots
    }
    fn constraints(&self) -> &[SlotConstraint] {
        &self.constraints
    }
    fn expand_slots(&self) -> &[u16] {
        &self.expand_slots
    }
    fn root_name(&self) -> &[u8] {
        &self.root_name
    }
    fn system_fields(&self) -> Option<&SystemFields> {
        self.system_fields.as_ref()
    }
    fn compile(
        tree: &IrTree<'_>,
        has_literal_array: bool,
        _base_indent: u16,
        is_root: bool,
        settings: &ParserSettings,
        budget: &mut usize,
    ) -> Option<Self> {
        compile_json_template(tree, has_literal_array, is_root, settings, budget)
    }
    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + heap_size(&self.lits)
            + heap_size(&self.ops)
            + heap_size(&self.deps)
            + heap_size(&self.elem_slots)
            + heap_size(&self.constraints)
            + heap_size(&self.expand_slots)
            + heap_size(&self.root_name)
            + (self.system_fields.as_ref()).map_or(0, SystemFields::heap_size)
    }
    fn exec<'a, V: ValueSource<'a>>(
        instance: Instance<V::Scope>,
        progs: &ProgramCache<Self>,
        values: &V,
        _chunk: &'a EvtxChunk<'a>,
        _cache: Option<&mut IrTemplateCache<'a>>,
        vr: &mut ValueRenderer,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        exec_json(instance, progs, values, vr, out)
    }
    /// The single-walker slow lane, honoring `--separate-json-attributes`.
    fn render_tree(
        tree: &IrTree<'_>,
        settings: &ParserSettings,
        budget: &Budget,
        out: &mut Vec<u8>,
    ) -> Result<()> {
        let mut c = JsonCompiler::new(
            Some(tree),
            std::mem::take(out),
            settings.should_separate_json_attributes(),
            budget.clone(),
        );
        let res = c.render_root_plain();
        debug_assert!(c.ops.is_empty(), "materialized walk produced ops");
        budget.nodes.set(c.budget.nodes.get());
        *out = c.lits;
        res
    }
}

/// What the members of a JSON object written so far say about the next one's comma.
#[derive(Default)]
struct Members {
    /// A member that is written whatever the instance.
    certain: bool,
    /// A member that an instance can leave out.
    possible: bool,
}

struct JsonCompiler<'t, 'a> {
    tree: Option<&'t IrTree<'a>>,
    lits: Vec<u8>,
    ops: Vec<JOp>,
    deps: Vec<u16>,
    run_start: usize,
    elem_slots: Vec<(u16, u16)>,
    constraints: Vec<SlotConstraint>,
    expand_slots: Vec<u16>,
    vr: ValueRenderer,
    /// `--separate-json-attributes` (slow lane only; such templates bail).
    separate: bool,
    /// As in `XmlCompiler`.
    budget: Budget,
    /// As in `XmlCompiler`.
    shared: bool,
    /// Whether to number the `Data` names that repeat in a container, and put runs of one in an
    /// array: when compiling, and for trees whose names may repeat.
    data_names: bool,
    /// Elements open in the materialized walk (see [`MAX_RENDER_DEPTH`]).
    depth: u16,
}

impl<'t, 'a> JsonCompiler<'t, 'a> {
    fn new(tree: Option<&'t IrTree<'a>>, lits: Vec<u8>, separate: bool, budget: Budget) -> Self {
        JsonCompiler {
            tree,
            budget,
            shared: tree.is_some_and(|tree| tree.arena().shared()),
            data_names: tree.is_some_and(|tree| tree.arena().repeated_names()),
            lits,
            ops: Vec::new(),
            deps: Vec::new(),
            run_start: 0,
            elem_slots: Vec::new(),
            constraints: Vec::new(),
            expand_slots: Vec::new(),
            vr: ValueRenderer::new(),
            separate,
            depth: 0,
        }
    }
}

fn compile_json_template(
    tree: &IrTree<'_>,
    has_literal_array: bool,
    is_root: bool,
    settings: &ParserSettings,
    budget: &mut usize,
) -> Option<JsonProgram> {
    if has_literal_array || settings.should_separate_json_attributes() {
        return None;
    }
    let root = tree.root_element();
    let root_container = is_data_container_name(root.name.as_str());
    let mut c = JsonCompiler::new(
        Some(tree),
        Vec::with_capacity(512),
        false,
        Budget::program(),
    );
    // Template stats aren't at hand, and compiling happens once.
    c.data_names = true;
    c.ops.reserve(32);
    if is_root {
        c.lits.push(b'{');
        c.key_with_suffix_plain(root.name.as_str(), 0);
    }
    let compiled = c.compile_element_value(tree.root(), root_container);
    let written = c.lits.len() + std::mem::size_of_val(c.ops.as_slice());
    let program = match compiled {
        Ok(()) if c.check_size().is_ok() && each_slot_once(JOp::slots(&c.ops)) => {
            if is_root {
                c.lits.push(b'}');
            }
            c.flush_lit_run();
            // As in `compile_xml_template`.
            c.lits.shrink_to_fit();
            c.ops.shrink_to_fit();
            c.deps.shrink_to_fit();
            c.elem_slots.shrink_to_fit();
            c.constraints.shrink_to_fit();
            c.expand_slots.shrink_to_fit();
            Some(JsonProgram {
                lits: c.lits,
                ops: c.ops,
                deps: c.deps,
                elem_slots: c.elem_slots,
                constraints: c.constraints,
                expand_slots: c.expand_slots,
                root_name: root.name.as_str().as_bytes().to_vec(),
                system_fields: settings.get_mta().and_then(|_| SystemFields::of(tree)),
            })
        }
        _ => None,
    };
    *budget = budget.saturating_sub(program.as_ref().map_or(written, JsonProgram::size));
    program
}

fn is_data_container_name(name: &str) -> bool {
    name == "EventData" || name == "UserData"
}

fn is_data_element_name(name: &str) -> bool {
    name == "Data"
}

/// Compile-time emptiness of a literal (placeholder-free) node, mirroring
/// `scan_class` Content-detection for literals.
fn literal_nonempty(node: &Node<'_>) -> bool {
    match node {
        Node::Text(t) | Node::CData(t) => !t.is_empty(),
        Node::EntityRef(_) | Node::CharRef(_) => true,
        Node::Value(v) => !crate::model::ir::is_optional_empty(v),
        Node::Element(_) | Node::Placeholder(_) | Node::PITarget(_) | Node::PIData(_) => false,
    }
}

impl<'t, 'a> JsonCompiler<'t, 'a> {
    fn tree(&self) -> &'t IrTree<'a> {
        self.tree.expect("tree-bound walk")
    }

    lit_run_methods!(JOp);

    /// `write_element_value` equivalent: emits the VALUE of `element` (the
    /// member key is the caller's responsibility).
    fn compile_element_value(
        &mut self,
        id: ElementId,
        container: bool,
    ) -> std::result::Result<(), Bail> {
        let element = self.element_ref(id);

        // Placeholder-free subtree: render via the materialized layer (the
        // same implementation the slow lane uses).
        if !subtree_varies(self.tree(), element) {
            return self
                .write_element_value_plain(element, container)
                .map_err(|_| Bail);
        }

        let ph_attrs = element
            .attrs
            .iter()
            .any(|a| a.value.iter().any(|n| matches!(n, Node::Placeholder(_))));
        let static_attr_text = element.attrs.iter().any(|a| {
            !a.value.iter().any(|n| matches!(n, Node::Placeholder(_)))
                && a.value.iter().any(literal_nonempty)
        });

        match classify_children(element) {
            ChildrenKind::SinglePlaceholder(ph) => {
                if !ph_attrs && !static_attr_text {
                    // Leaf shape: `null` when empty, primitive otherwise.
                    self.compile_leaf_val(ph.id, b"null", container)
                } else {
                    self.compile_elem_op(element, Some(ph.id))
                }
            }
            ChildrenKind::Empty => {
                if !ph_attrs {
                    // Statically resolvable: `null` or attrs-only object.
                    // (subtree_varies was true, so this can't happen.)
                    Err(Bail)
                } else {
                    self.compile_elem_op(element, None)
                }
            }
            ChildrenKind::StaticInline => Err(Bail), // literal text + ph attrs: rare
            ChildrenKind::StaticLines => self.compile_object_body(element, container, ph_attrs),
            ChildrenKind::Bail => Err(Bail),
        }
    }

    // Fuse the literal prefix with its value to avoid a second dispatch per field.
    fn push_leaf_val(&mut self, slot: u16, empty: LitRange) {
        let prefix = if let Some(JOp::Lit(prefix)) = self.ops.last() {
            let prefix = *prefix;
            self.ops.pop();
            prefix
        } else {
            LitRange(0, 0)
        };
        self.ops.push(JOp::LeafVal {
            prefix,
            slot,
            empty,
            dependent: false,
        });
    }

    /// Leaf value op (single placeholder content, no attribute text).
    fn compile_leaf_val(
        &mut self,
        slot: u16,
        empty_form: &[u8],
        container: bool,
    ) -> std::result::Result<(), Bail> {
        // A Data-container leaf (`<UserData>%n</UserData>`) re-enters the
        // flattening rules through its nested root; keep it on the fallback.
        if container {
            return Err(Bail);
        }
        self.flush_lit_run();
        let empty = self.side_range(|c| c.lits.extend_from_slice(empty_form));
        self.elem_slots.push((slot, 0));
        self.push_leaf_val(slot, empty);
        Ok(())
    }

    /// `JOp::Elem` for `<Tag attr=%a ...>%c?</Tag>` shapes.
    ///
    /// The caller decides leaf-vs-object form; literal attribute members are
    /// emitted unconditionally here, which is what makes static attribute
    /// text force the object form at run time.
    fn compile_elem_op(
        &mut self,
        element: &'t Element<'a>,
        content: Option<u16>,
    ) -> std::result::Result<(), Bail> {
        let mut parts: Vec<JAttrPart> = Vec::with_capacity(element.attrs.len());
        self.flush_lit_run();
        for attr in &element.attrs {
            self.check_size().map_err(|_| Bail)?;
            let n_ph = attr
                .value
                .iter()
                .filter(|n| matches!(n, Node::Placeholder(_)))
                .count();
            match n_ph {
                0 => {
                    if !attr.value.iter().any(literal_nonempty) {
                        continue; // statically empty: never a member
                    }
                    // Pre-render `"name":value` via the materialized layer.
                    let start = self.lits.len() as u32;
                    self.lits.push(b'"');
                    self.lits.extend_from_slice(attr.name.as_str().as_bytes());
                    self.lits.extend_from_slice(b"\":");
                    let number = self
                        .try_as_number_plain(&attr.value, false)
                        .map_err(|_| Bail)?;
                    if !number {
                        self.lits.push(b'"');
                        self.text_content_plain(&attr.value, false)
                            .map_err(|_| Bail)?;
                        self.lits.push(b'"');
                    }
                    let lit_member = LitRange(start, self.lits.len() as u32);
                    self.run_start = self.lits.len();
                    parts.push(JAttrPart::Literal(lit_member));
                }
                1 if attr.value.len() == 1 => {
                    let Node::Placeholder(ph) = &attr.value[0] else {
                        return Err(Bail);
                    };
                    let name = attr.name.as_str().as_bytes();
                    let key = self.side_range(|c| {
                        c.lits.push(b'"');
                        c.lits.extend_from_slice(name);
                        c.lits.extend_from_slice(b"\":");
                    });
                    self.constraints.push(SlotConstraint::ForbidElem(ph.id));
                    parts.push(JAttrPart::Placeholder { key, slot: ph.id });
                }
                _ => return Err(Bail),
            }
        }
        if let Some(slot) = content {
            self.constraints.push(SlotConstraint::ForbidElem(slot));
        }
        let empty = self.side_range(|c| c.lits.extend_from_slice(b"null"));
        self.ops.push(JOp::Elem {
            attrs: parts.into_boxed_slice(),
            content,
            empty,
        });
        Ok(())
    }

    /// Static-layout object: literal element children (each a member), plus
    /// optional trailing placeholder children (`SlotChild`).
    ///
    /// A member whose element depends on a value compiles behind a `JOp::Depends`, which leaves
    /// it out when the value is NULL, as the tree walker does. That must not change the other
    /// members' keys, so such templates take the tree walkers when a member left out would
    /// change the `_N` suffix of another, a sibling `Data` aggregation or the named form.
    fn compile_object_body(
        &mut self,
        element: &'t Element<'a>,
        container: bool,
        ph_attrs: bool,
    ) -> std::result::Result<(), Bail> {
        if ph_attrs {
            return Err(Bail); // object with placeholder attrs: fallback
        }
        // Members that each depend on a value can all be left out, which leaves an element
        // without attributes `null`: `JOp::LeftOut` writes that then.
        let attrs_text = self.attr_flags_plain(&element.attrs).1;
        let left_out = (children_all_depend(self.tree().arena(), element)? && !attrs_text)
            .then(|| self.open_guard());
        self.lits.push(b'{');
        let mut members = Members::default();

        // `#attributes` for literal attrs (static decision + static bytes).
        if !element.attrs.is_empty() && self.attrs_object_plain(&element.attrs).map_err(|_| Bail)? {
            members.certain = true;
        }

        // Flattening / positional decisions are compile-time: literal `Data`
        // children only (placeholder `Data` shapes bail via classify above).
        let mut flatten_named = false;
        let mut dependent_data = false;
        if container {
            for node in &element.children {
                if let Node::Element(id) = node {
                    let child = self.element_ref(*id);
                    if !is_data_element_name(child.name.as_str()) {
                        continue;
                    }
                    dependent_data |= child.dependency.is_some();
                    if let Some(attr) = child.attrs.iter().find(|a| a.name.as_str() == "Name") {
                        if attr.value.iter().any(is_placeholder) {
                            return Err(Bail); // dynamic Data names: fallback
                        }
                        flatten_named |= attr.value.iter().any(literal_nonempty);
                    }
                }
            }
        }
        if flatten_named && dependent_data {
            return Err(Bail); // leaving a named Data out could change the form: fallback
        }
        let positional_data: Vec<ElementId> = if container && !flatten_named {
            element
                .children
                .iter()
                .filter_map(|n| match n {
                    Node::Element(id)
                        if is_data_element_name(self.element_ref(*id).name.as_str()) =>
                    {
                        Some(*id)
                    }
                    _ => None,
                })
                .collect()
        } else {
            Vec::new()
        };
        if positional_data.len() > 1 && dependent_data {
            return Err(Bail); // leaving a Data out would change the aggregation: fallback
        }
        let mut positional_emitted = false;

        // Compile-time `_N` suffix counting for static members.
        let mut static_names = NameCounts::new();
        let mut data_names = NameCounts::new();

        let mut seen_slot_child = false;
        for (index, node) in element.children.iter().enumerate() {
            self.check_size().map_err(|_| Bail)?;
            match node {
                Node::Element(id) => {
                    if seen_slot_child {
                        return Err(Bail); // static member after dynamic: comma hazard
                    }
                    let child = self.element_ref(*id);
                    let cname = child.name.as_str();
                    let dependency = child.dependency;
                    if container && is_data_element_name(cname) {
                        if flatten_named {
                            let Some(name) = data_name(child) else {
                                continue; // unnamed Data skipped in named form
                            };
                            if !name.iter().any(literal_nonempty) {
                                continue; // empty literal name: skipped
                            }
                            // Data of one name in a row are an array: the tree's walk writes it.
                            if self.data_run(name, &element.children[index + 1..]) > 1 {
                                return Err(Bail);
                            }
                            self.member_comma(&mut members, false);
                            let suffix = data_names.next_suffix(DataName::new(name));
                            self.data_key_plain(name, suffix).map_err(|_| Bail)?;
                            self.compile_data_value(*id, false)?;
                        } else if !positional_emitted && !positional_data.is_empty() {
                            positional_emitted = true;
                            // A dependent Data is the only one (above).
                            self.compile_member(&mut members, dependency, |c| {
                                c.lits.extend_from_slice(b"\"Data\":{\"#text\":");
                                if positional_data.len() == 1 {
                                    // Sole positional Data: a string array here
                                    // aggregates into a JSON array value, so the
                                    // slot is expandable.
                                    c.compile_data_value(positional_data[0], true)?;
                                } else {
                                    c.lits.push(b'[');
                                    for (i, did) in positional_data.iter().enumerate() {
                                        c.check_size().map_err(|_| Bail)?;
                                        if i > 0 {
                                            c.lits.push(b',');
                                        }
                                        c.compile_data_value(*did, false)?;
                                    }
                                    c.lits.push(b']');
                                }
                                c.lits.push(b'}');
                                Ok(())
                            })?;
                        }
                        continue;
                    }
                    // Normal member. Leaving one out mustn't change another's `_N` suffix, so
                    // no member whose name repeats may be one an instance can leave out.
                    let suffix = static_names.next_suffix(cname.as_bytes());
                    if suffix > 0
                        && (dependency.is_some()
                            || element.children[..index].iter().any(|node| {
                                matches!(node, Node::Element(id)
                                    if self.element_ref(*id).name.as_str() == cname
                                        && self.element_ref(*id).dependency.is_some())
                            }))
                    {
                        return Err(Bail);
                    }
                    self.compile_member(&mut members, dependency, |c| {
                        c.lits.push(b'"');
                        c.lits.extend_from_slice(cname.as_bytes());
                        if suffix > 0 {
                            c.lits.push(b'_');
                            c.lits.extend_from_slice(suffix.to_string().as_bytes());
                        }
                        c.lits.extend_from_slice(b"\":");
                        c.compile_element_value(*id, is_data_container_name(cname))
                    })?;
                }
                Node::Placeholder(ph) => {
                    if seen_slot_child {
                        return Err(Bail); // dynamic same-name suffixing needs runtime state
                    }
                    // Its comma and `_N` suffix are decided here, so no member before it may be
                    // left out.
                    if members.possible {
                        return Err(Bail);
                    }
                    // Dynamic member: nested-instance value (or absent).
                    self.flush_lit_run();
                    let name_ranges: Vec<(LitRange, u32)> = static_names
                        .iter()
                        .map(|(n, c)| {
                            let r = self.side_range(|cc| cc.lits.extend_from_slice(n));
                            (r, c)
                        })
                        .collect();
                    self.constraints.push(SlotConstraint::ElemOrEmpty(ph.id));
                    self.elem_slots.push((ph.id, 0));
                    self.ops.push(JOp::SlotChild {
                        slot: ph.id,
                        static_names: name_ranges.into_boxed_slice(),
                        lead_comma: members.certain,
                    });
                    seen_slot_child = true;
                }
                other => {
                    if literal_nonempty(other) {
                        return Err(Bail); // would force #text: fallback
                    }
                }
            }
        }
        self.lits.push(b'}');
        if let Some(at) = left_out {
            self.flush_lit_run();
            let empty = self.side_range(|c| c.lits.extend_from_slice(b"null"));
            let deps = self.children_deps(element);
            self.close_guard(at, |len, open| JOp::LeftOut {
                deps,
                len,
                empty,
                open,
            });
        }
        Ok(())
    }

    /// The comma before an object member: none before the first, a literal one after a member
    /// that is always written, and `JOp::Comma` while those before may all have been left out.
    /// `dependent`: whether an instance can leave this member out.
    fn member_comma(&mut self, members: &mut Members, dependent: bool) {
        if members.certain {
            self.lits.push(b',');
        } else if members.possible {
            self.flush_lit_run();
            self.ops.push(JOp::Comma);
        }
        if dependent {
            members.possible = true;
        } else {
            members.certain = true;
        }
    }

    /// One object member with its comma, `write` compiling its key and value. One whose element
    /// depends on a value compiles behind a `JOp::Depends`, which leaves it out when the value
    /// is NULL, or as a dependent `JOp::LeafVal` when it holds that value.
    fn compile_member(
        &mut self,
        members: &mut Members,
        dependency: Option<u16>,
        write: impl FnOnce(&mut Self) -> std::result::Result<(), Bail>,
    ) -> std::result::Result<(), Bail> {
        let guard = dependency.map(|slot| (self.open_guard(), slot));
        self.member_comma(members, dependency.is_some());
        write(self)?;
        if let Some((at, slot)) = guard {
            self.close_depends(at, slot);
        }
        Ok(())
    }

    /// `render_data_element_value` for a literal `<Data ...>` child: leaf
    /// placeholder -> LeafVal with `""` empty form; literal-only -> rendered
    /// at compile time; anything else bails.
    fn compile_data_value(
        &mut self,
        id: ElementId,
        expandable: bool,
    ) -> std::result::Result<(), Bail> {
        let element = self.element_ref(id);
        if !subtree_varies(self.tree(), element) {
            return self.data_element_value_plain(element).map_err(|_| Bail);
        }
        if element.children.len() == 1
            && let Node::Placeholder(ph) = &element.children[0]
        {
            self.flush_lit_run();
            let empty = self.side_range(|c| c.lits.extend_from_slice(b"\"\""));
            self.elem_slots.push((ph.id, 0));
            if expandable {
                self.expand_slots.push(ph.id);
            }
            self.push_leaf_val(ph.id, empty);
            return Ok(());
        }
        Err(Bail)
    }
}

// ---------------------------------------------------------------------------
// JSON executor
// ---------------------------------------------------------------------------

/// The same executors consume either the CLI's checked byte spans or values
/// already validated by the record iterator. Implementations are specialized
/// at compile time; the decoded path never reads substitution bytes again.
pub(crate) trait ValueSource<'a> {
    type Scope: Copy;
    type Value;
    fn slots(&self, scope: Self::Scope) -> &[Self::Value];
    fn empty(&self, slot: &Self::Value) -> bool;
    /// Whether the value is NULL, which leaves out the elements that depend on it.
    fn null(&self, slot: &Self::Value) -> bool;
    fn element(&self, slot: &Self::Value) -> bool;
    fn array(&self, slot: &Self::Value) -> Option<impl ExactSizeIterator<Item = Utf16LeSlice<'a>>>;
    fn bare(&self, slot: &Self::Value) -> bool;
    fn write(
        &self,
        slot: &Self::Value,
        vr: &mut ValueRenderer,
        out: &mut Vec<u8>,
        mode: StringEscapeMode,
    ) -> Result<()>;
    fn nested(&self, slot: &Self::Value) -> Option<Instance<Self::Scope>>;
    /// A decoded embedded fragment: its arena and top-level elements.
    fn fragment<'s>(
        &'s self,
        _slot: &'s Self::Value,
    ) -> Option<(&'s IrArena<'a>, &'s &'a [ElementId])> {
        None
    }
    fn bytes(&self, _slot: &Self::Value) -> Option<&'a [u8]> {
        None
    }
    /// What rendering this record may still spend.
    fn budget(&self) -> &Budget;
}

struct RawValues<'s, 'a> {
    pf: &'s Preflight,
    data: &'a [u8],
    /// A copy of the record's budget: the executors run faster with one of their own (0.8% of
    /// the instructions on `security_big_sample.evtx`).
    budget: Budget,
}

impl<'a> RawValues<'_, 'a> {
    /// Substitution `id` of an instance, as `mta::SystemFields` reads it: decoded the way the
    /// record's tree holds it.
    fn mta_value<'s, P: TemplateProgram>(
        &'s self,
        slots: &[RawSlot],
        id: u16,
        progs: &'s ProgramCache<P>,
        chunk: &'a EvtxChunk<'a>,
    ) -> mta::Value<'s> {
        let Some(s) = slots.get(usize::from(id)) else {
            return mta::Value::None;
        };
        if self.pf.slot_empty(s, self.data) {
            return mta::Value::None;
        }
        if s.ty == value_ty::BIN_XML {
            let nested = s.nested_idx().map(|i| self.pf.nested[i].prog);
            return mta::Value::Element(nested.map(|prog| progs.programs[prog].root_name()));
        }
        let value = BinXmlValueType::from_u8(s.ty).and_then(|ty| {
            let mut cursor = ByteCursor::with_pos(s.bytes(self.data), 0).ok()?;
            let ansi_codec = chunk.settings.get_ansi_codec();
            let size = Some(s.len);
            BinXmlValue::deserialize_value_type_cursor_in(
                &ty,
                &mut cursor,
                size,
                ansi_codec,
                &chunk.arena,
            )
            .ok()
        });
        value.map_or(mta::Value::None, mta::Value::Scalar)
    }
}

impl<'a> ValueSource<'a> for RawValues<'_, 'a> {
    type Scope = SlotRange;
    type Value = RawSlot;
    #[inline(always)]
    fn slots(&self, scope: SlotRange) -> &[RawSlot] {
        &self.pf.slots[scope.0 as usize..scope.1 as usize]
    }
    #[inline(always)]
    fn empty(&self, s: &RawSlot) -> bool {
        self.pf.slot_empty(s, self.data)
    }
    #[inline(always)]
    fn null(&self, s: &RawSlot) -> bool {
        // A BinXML value with no bytes decodes as NULL (`validate_tpl_instance`), and so
        // renders as one: it is one here too.
        s.ty == value_ty::NULL || (s.ty == value_ty::BIN_XML && s.len == 0)
    }
    #[inline(always)]
    fn element(&self, s: &RawSlot) -> bool {
        s.is_binxml_payload()
    }
    #[inline(always)]
    fn array(&self, s: &RawSlot) -> Option<impl ExactSizeIterator<Item = Utf16LeSlice<'a>>> {
        (s.ty == value_ty::STR_ARRAY).then(|| {
            self.pf.str_array_items(s).iter().map(|&(off, len)| {
                Utf16LeSlice::new(
                    &self.data[off as usize..off as usize + usize::from(len)],
                    usize::from(len) / 2,
                )
            })
        })
    }
    #[inline(always)]
    fn bare(&self, s: &RawSlot) -> bool {
        json_bare_type(s.ty)
    }
    #[inline(always)]
    fn write(
        &self,
        s: &RawSlot,
        vr: &mut ValueRenderer,
        out: &mut Vec<u8>,
        mode: StringEscapeMode,
    ) -> Result<()> {
        vr.write_raw_value_text(
            out,
            s.ty,
            s.bytes(self.data),
            s.ansi_idx().map(|i| self.pf.ansi(i)),
            mode,
        )
    }
    #[inline(always)]
    fn nested(&self, s: &RawSlot) -> Option<Instance> {
        s.nested_idx().map(|i| self.pf.nested[i])
    }
    #[inline(always)]
    fn bytes(&self, s: &RawSlot) -> Option<&'a [u8]> {
        Some(s.bytes(self.data))
    }
    #[inline(always)]
    fn budget(&self) -> &Budget {
        &self.budget
    }
}

struct DecodedValues<'s, 'a> {
    content: &'s TemplateContent<'a>,
    nested: &'s mut Vec<Option<Instance<usize>>>,
    /// As in `RawValues`.
    budget: Budget,
}

impl<'a> ValueSource<'a> for DecodedValues<'_, 'a> {
    type Scope = usize;
    type Value = ValidatedValue<'a>;
    #[inline(always)]
    fn slots(&self, scope: usize) -> &[ValidatedValue<'a>] {
        &self.content.instance(scope).values
    }
    #[inline(always)]
    fn empty(&self, s: &Self::Value) -> bool {
        match s {
            ValidatedValue::Scalar(v) => crate::model::ir::is_optional_empty(v),
            _ => false,
        }
    }
    #[inline(always)]
    fn null(&self, s: &Self::Value) -> bool {
        matches!(s, ValidatedValue::Scalar(BinXmlValue::NullType))
    }
    #[inline(always)]
    fn element(&self, s: &Self::Value) -> bool {
        !matches!(s, ValidatedValue::Scalar(_))
    }
    #[inline(always)]
    fn array(&self, s: &Self::Value) -> Option<impl ExactSizeIterator<Item = Utf16LeSlice<'a>>> {
        match s {
            ValidatedValue::Scalar(BinXmlValue::StringArrayType(items)) => {
                Some(items.iter().copied())
            }
            _ => None,
        }
    }
    #[inline(always)]
    fn bare(&self, s: &Self::Value) -> bool {
        matches!(s, ValidatedValue::Scalar(value) if json_bare_value(value))
    }
    #[inline(always)]
    fn write(
        &self,
        s: &Self::Value,
        vr: &mut ValueRenderer,
        out: &mut Vec<u8>,
        mode: StringEscapeMode,
    ) -> Result<()> {
        let ValidatedValue::Scalar(value) = s else {
            return Err(unresolved_placeholder());
        };
        // `prepare` takes arrays only at expand slots, which have no other op (see
        // `each_slot_once`).
        debug_assert!(
            !matches!(value, BinXmlValue::StringArrayType(_)),
            "array substitution outside its expand op"
        );
        vr.write_value_text(out, value, mode)
    }
    #[inline(always)]
    fn nested(&self, s: &Self::Value) -> Option<Instance<usize>> {
        match s {
            ValidatedValue::Template(id) => self.nested[*id],
            _ => None,
        }
    }
    #[inline(always)]
    fn fragment<'s>(
        &'s self,
        s: &'s Self::Value,
    ) -> Option<(&'s IrArena<'a>, &'s &'a [ElementId])> {
        match s {
            ValidatedValue::Fragment(roots) => Some((&self.content.frags, roots)),
            _ => None,
        }
    }
    #[inline(always)]
    fn budget(&self) -> &Budget {
        &self.budget
    }
}

impl<'a> DecodedValues<'_, 'a> {
    fn render<P: StoredProgram>(
        &mut self,
        chunk: &'a EvtxChunk<'a>,
        progs: &mut ProgramCache<P>,
        out: &mut Vec<u8>,
    ) -> Result<bool> {
        let Some(instance) = self.prepare(usize::MAX, 0, 0, true, chunk, progs) else {
            return Ok(false);
        };
        exec_or_rollback(
            instance,
            progs,
            self,
            chunk,
            None,
            &mut ValueRenderer::new(),
            out,
        )
    }

    /// Check program compatibility only. All values, nested templates and
    /// fragments have already been decoded and validated by the iterator.
    fn prepare<P: StoredProgram>(
        &mut self,
        scope: usize,
        depth: usize,
        indent: u16,
        root: bool,
        chunk: &'a EvtxChunk<'a>,
        progs: &mut ProgramCache<P>,
    ) -> Option<Instance<usize>> {
        use BinXmlValue::*;
        if depth > MAX_FAST_LANE_NESTING {
            return None;
        }
        let input = self.content.instance(scope);
        let prog = get_or_compile(
            chunk,
            (input.offset, indent, root),
            progs,
            TemplateSource::Validated(&input.template, input.stats.has_literal_array),
        )?;
        if input.has_arrays {
            for (i, value) in input.values.iter().enumerate() {
                if let ValidatedValue::Scalar(value) = value
                    && value.expandable_array_len().is_some()
                {
                    match value {
                        StringArrayType(items)
                            if !items.is_empty()
                                && u16::try_from(i).ok().is_some_and(|i| {
                                    progs.programs[prog].expand_slots().contains(&i)
                                }) => {}
                        _ => return None,
                    }
                }
            }
        }
        for item in 0..progs.programs[prog].elem_slots().len() {
            let (id, child_indent) = progs.programs[prog].elem_slots()[item];
            match input.values.get(usize::from(id)) {
                Some(ValidatedValue::Template(id)) => {
                    let child = self.prepare(*id, depth + 1, child_indent, false, chunk, progs)?;
                    self.nested[*id] = Some(child);
                }
                Some(ValidatedValue::Fragment(_)) if !P::ALLOW_GENERIC_FRAGS => return None,
                _ => {}
            }
        }
        for &constraint in progs.programs[prog].constraints() {
            if let Some(slot) = input.values.get(usize::from(constraint.slot()))
                && constraint.violated(self.element(slot), self.empty(slot))
            {
                return None;
            }
        }
        Some(Instance { prog, slots: scope })
    }
}

pub(crate) fn try_render_validated<'a>(
    content: &TemplateContent<'a>,
    chunk: &'a EvtxChunk<'a>,
    caches: &mut RenderCaches,
    json: bool,
    budget: &Budget,
    out: &mut Vec<u8>,
) -> Result<bool> {
    caches.nested.clear();
    caches.nested.resize(content.nested.len(), None);
    let mut values = DecodedValues {
        content,
        nested: &mut caches.nested,
        budget: budget.clone(),
    };
    let rendered = if json {
        values.render(chunk, &mut caches.json, out)
    } else {
        values.render(chunk, &mut caches.xml, out)
    };
    budget.nodes.set(values.budget.nodes.get());
    rendered
}

/// Whether `ty` renders as a bare JSON number/bool (`write_value_as_number`).
fn json_bare_type(ty: u8) -> bool {
    matches!(ty, value_ty::INT8..=value_ty::UINT64 | value_ty::BOOL)
}

fn json_bare_value(value: &BinXmlValue<'_>) -> bool {
    use BinXmlValue::*;
    matches!(
        value,
        Int8Type(_)
            | UInt8Type(_)
            | Int16Type(_)
            | UInt16Type(_)
            | Int32Type(_)
            | UInt32Type(_)
            | Int64Type(_)
            | UInt64Type(_)
            | BoolType(_)
    )
}

fn exec_json<'a, V: ValueSource<'a>>(
    instance: Instance<V::Scope>,
    progs: &JsonProgramCache,
    pf: &V,
    vr: &mut ValueRenderer,
    out: &mut Vec<u8>,
) -> Result<()> {
    // Instances can share a program.
    pf.budget().check(out.len())?;
    let prog = &progs.programs[instance.prog];
    let lits = &prog.lits;
    let slots = pf.slots(instance.slots);
    let slot_at = |id: u16| slots.get(usize::from(id));

    macro_rules! write_lit {
        ($r:expr) => {
            out.extend_from_slice($r.of(lits))
        };
    }
    macro_rules! write_scalar {
        ($s:expr) => {{
            let s = $s;
            if pf.bare(s) {
                pf.write(s, vr, out, StringEscapeMode::Json)?;
            } else {
                out.push(b'"');
                pf.write(s, vr, out, StringEscapeMode::Json)?;
                out.push(b'"');
            }
        }};
    }

    let null = |slot: u16| slot_at(slot).is_some_and(|s| pf.null(s));
    let mut ops = prog.ops.iter();
    while let Some(op) = ops.next() {
        match op {
            JOp::Lit(r) => write_lit!(*r),
            JOp::Depends { slot, len, open } => {
                if null(*slot) {
                    skip(&mut ops, *len);
                } else {
                    write_lit!(*open);
                }
            }
            JOp::LeftOut {
                deps,
                len,
                empty,
                open,
            } => {
                if deps.of(&prog.deps).iter().all(|&slot| null(slot)) {
                    write_lit!(*empty);
                    skip(&mut ops, *len);
                } else {
                    write_lit!(*open);
                }
            }
            JOp::Comma => {
                if out.last() != Some(&b'{') {
                    out.push(b',');
                }
            }
            JOp::LeafVal {
                prefix,
                slot,
                empty,
                dependent,
            } => {
                if *dependent && null(*slot) {
                    continue;
                }
                write_lit!(*prefix);
                match slot_at(*slot) {
                    None => write_lit!(*empty),
                    Some(s) => {
                        if let Some(items) = pf.array(s) {
                            // Positional-Data aggregation: one item renders bare
                            // (like an unexpanded scalar), more become a JSON array.
                            // Items are strings, so they are always quoted.
                            let multi = items.len() > 1;
                            if multi {
                                out.push(b'[');
                            }
                            for (i, item) in items.enumerate() {
                                if i > 0 {
                                    out.push(b',');
                                }
                                out.push(b'"');
                                vr.write_value_text(
                                    out,
                                    &BinXmlValue::StringType(item),
                                    StringEscapeMode::Json,
                                )?;
                                out.push(b'"');
                            }
                            if multi {
                                out.push(b']');
                            }
                        } else if pf.empty(s) {
                            write_lit!(*empty);
                        } else if pf.element(s) {
                            let Some(inst) = pf.nested(s) else {
                                return Err(unresolved_nested_json());
                            };
                            out.push(b'{');
                            out.push(b'"');
                            out.extend_from_slice(&progs.programs[inst.prog].root_name);
                            out.extend_from_slice(b"\":");
                            exec_json(inst, progs, pf, vr, out)?;
                            out.push(b'}');
                        } else {
                            write_scalar!(s);
                        }
                    }
                }
            }
            JOp::Elem {
                attrs,
                content,
                empty,
            } => {
                // Evaluate attribute member presence.
                let attr_present = attrs.iter().any(|part| match *part {
                    JAttrPart::Literal(_) => true,
                    JAttrPart::Placeholder { slot, .. } => {
                        slot_at(slot).is_some_and(|s| !pf.empty(s))
                    }
                });
                let content_slot = content.and_then(|c| slot_at(c).filter(|s| !pf.empty(*s)));
                match (attr_present, content_slot) {
                    (false, None) => write_lit!(*empty),
                    (false, Some(s)) => write_scalar!(s),
                    (true, content_slot) => {
                        out.extend_from_slice(b"{\"#attributes\":{");
                        let mut first = true;
                        for part in attrs.iter() {
                            match *part {
                                JAttrPart::Literal(member) => {
                                    if !first {
                                        out.push(b',');
                                    }
                                    first = false;
                                    write_lit!(member);
                                }
                                JAttrPart::Placeholder { key, slot } => {
                                    if let Some(s) = slot_at(slot)
                                        && !pf.empty(s)
                                    {
                                        if !first {
                                            out.push(b',');
                                        }
                                        first = false;
                                        write_lit!(key);
                                        write_scalar!(s);
                                    }
                                }
                            }
                        }
                        out.push(b'}');
                        if let Some(s) = content_slot {
                            out.extend_from_slice(b",\"#text\":");
                            write_scalar!(s);
                        }
                        out.push(b'}');
                    }
                }
            }
            JOp::SlotChild {
                slot,
                static_names,
                lead_comma,
            } => {
                let Some(s) = slot_at(*slot) else { continue };
                if pf.empty(s) || !pf.element(s) {
                    continue; // constraint guarantees elem-or-empty
                }
                let Some(inst) = pf.nested(s) else {
                    return Err(unresolved_nested_json());
                };
                let name = progs.programs[inst.prog].root_name.as_slice();
                // `_N` suffix: static members first, then prior dynamics.
                let mut count: u32 = 0;
                for (r, c) in static_names.iter() {
                    if &lits[r.0 as usize..r.1 as usize] == name {
                        count = *c;
                        break;
                    }
                }
                // Prior dynamic same-name members would need scratch state; the
                // compiler admits at most one SlotChild per object.
                if *lead_comma {
                    out.push(b',');
                }
                out.push(b'"');
                out.extend_from_slice(name);
                if count > 0 {
                    out.push(b'_');
                    out.extend_from_slice(count.to_string().as_bytes());
                }
                out.extend_from_slice(b"\":");
                exec_json(inst, progs, pf, vr, out)?;
            }
        }
    }
    Ok(())
}

/// Benchmark-only entry to the JSON text-content path.
#[cfg(feature = "bench")]
pub(crate) fn bench_json_text_content(out: &mut Vec<u8>, nodes: &[Node<'_>]) -> Result<()> {
    let budget = Budget::new(out.len());
    let mut c = JsonCompiler::new(None, std::mem::take(out), false, budget);
    let res = c.text_content_plain(nodes, false);
    *out = c.lits;
    res
}

// ---------------------------------------------------------------------------
// JSON materialized layer (the old JsonEmitter semantics over plain nodes).
//
// This layer is the sole behavioral source of truth for JSON text: both the
// slow lane (`JsonProgram::render_tree`) and the compiler's pre-rendering of literal
// content go through these `*_plain` methods, so the two lanes cannot drift.
// ---------------------------------------------------------------------------
//
// These methods are the single implementation of JSON record rendering: the
// slow lane walks fully materialized trees through them, and the compiler
// calls them for placeholder-free pieces (subtrees, literal attributes,
// literal `Data` elements). Placeholder nodes are real errors here, mirroring
// the legacy emitter's behavior on materialized trees.

impl<'t, 'a> JsonCompiler<'t, 'a> {
    /// `,"<root>":<value>`: the root as one more member of an enclosing object.
    fn render_member_plain(&mut self) -> Result<()> {
        let root = self.tree().root_element();
        self.visit(root)?;
        self.lits.push(b',');
        self.key_with_suffix_plain(root.name.as_str(), 0);
        self.write_element_value_plain(root, false)?;
        self.check_size()
    }

    /// Mirrors `render_json_with_scope` for a materialized tree.
    fn render_root_plain(&mut self) -> Result<()> {
        let root = self.tree().root_element();
        self.visit(root)?;
        self.lits.push(b'{');
        if self.separate {
            if !root.attrs.is_empty() && self.render_separate_attrs_plain(root, 0)? {
                self.lits.push(b',');
            }
            self.key_with_suffix_plain(root.name.as_str(), 0);
            self.write_element_value_no_attrs_plain(root, false)?;
        } else {
            self.key_with_suffix_plain(root.name.as_str(), 0);
            self.write_element_value_plain(root, false)?;
        }
        self.lits.push(b'}');
        self.check_size()
    }

    fn element_ref(&self, id: ElementId) -> &'t Element<'a> {
        self.tree().arena().get(id).expect("invalid element id")
    }

    /// As `XmlCompiler::check_size`.
    fn check_size(&self) -> Result<()> {
        self.budget.check(self.lits.len())
    }

    /// As `XmlCompiler::visit`.
    fn visit(&mut self, element: &Element<'_>) -> Result<()> {
        if self.shared {
            self.budget.visit(element)?;
        }
        self.check_size()
    }

    // --- small writers ---

    fn key_with_suffix_plain(&mut self, name: &str, suffix: u32) {
        self.lits.push(b'"');
        self.lits.extend_from_slice(name.as_bytes());
        if suffix > 0 {
            self.lits.push(b'_');
            self.lits.extend_from_slice(suffix.to_string().as_bytes());
        }
        self.lits.extend_from_slice(b"\":");
    }

    /// A named `Data` member's key: its escaped name, numbered as `key_with_suffix_plain` numbers
    /// elements.
    fn data_key_plain(&mut self, name: &[Node<'a>], suffix: u32) -> Result<()> {
        self.lits.push(b'"');
        self.text_content_plain(name, false)?;
        if suffix > 0 {
            self.lits.push(b'_');
            self.lits.extend_from_slice(suffix.to_string().as_bytes());
        }
        self.lits.extend_from_slice(b"\":");
        Ok(())
    }

    /// How many `Data` elements in a row, one named `name` and those of `following` right after
    /// it, have that name. An array substitution makes one per value.
    fn data_run(&self, name: &[Node<'a>], following: &[Node<'a>]) -> usize {
        let same = following
            .iter()
            .filter_map(|node| match node {
                Node::Element(id) => Some(self.element_ref(*id)),
                _ => None,
            })
            .take_while(|e| is_data_element_name(e.name.as_str()) && data_name(e) == Some(name))
            .count();
        1 + same
    }

    fn json_escaped_str_plain(&mut self, s: &str) -> Result<()> {
        self.vr
            .write_str_escaped(&mut self.lits, s, StringEscapeMode::Json)
    }

    fn json_text_plain(&mut self, text: &Text<'_>) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        match text {
            Text::Utf16(value) => {
                self.vr
                    .write_utf16_escaped(&mut self.lits, *value, StringEscapeMode::Json)
            }
            Text::Utf8(value) => self.json_escaped_str_plain(value),
        }
    }

    /// Pre-render a bare JSON number/bool (see `json_bare_value`).
    fn value_as_number_plain(&mut self, value: &BinXmlValue<'_>) -> Result<bool> {
        if !json_bare_value(value) {
            return Ok(false);
        }
        self.vr.write_json_value_text(&mut self.lits, value)?;
        Ok(true)
    }

    // --- content scans (scan_class over plain nodes, ctx-None semantics) ---

    /// Mirrors `scan_class` with a materialized scope: is this node non-empty
    /// "text-like" content?
    fn node_is_content_plain(node: &Node<'_>) -> bool {
        match node {
            Node::Text(t) | Node::CData(t) => !t.is_empty(),
            Node::EntityRef(_) | Node::CharRef(_) => true,
            Node::Value(v) => !crate::model::ir::is_optional_empty(v),
            // Materialized trees should not contain placeholders; classify as
            // content so the emitting pass reports the error.
            Node::Placeholder(_) => true,
            Node::Element(_) | Node::PITarget(_) | Node::PIData(_) => false,
        }
    }

    /// Whether `nodes` has text. Every scan of an attribute's value starts here, so it charges
    /// the value's nodes on a tree that shares elements.
    fn has_text_content_plain(&mut self, nodes: &[Node<'_>]) -> bool {
        if self.shared {
            self.budget.charge(nodes.len());
        }
        nodes.iter().any(Self::node_is_content_plain)
    }

    /// Mirrors `content_layout`: `(has_text, has_element_child)`.
    fn content_layout_plain(element: &Element<'_>) -> (bool, bool) {
        let mut has_text = false;
        let mut has_element_child = element.has_element_child;
        for node in &element.children {
            if matches!(node, Node::Element(_)) {
                has_element_child = true;
            } else if Self::node_is_content_plain(node) {
                has_text = true;
            }
            if has_text && has_element_child {
                break;
            }
        }
        (has_text, has_element_child)
    }

    /// Mirrors `attr_flags`: `(has_any, has_any_non_empty_value)`.
    fn attr_flags_plain(&mut self, attrs: &[Attr<'_>]) -> (bool, bool) {
        if attrs.is_empty() {
            return (false, false);
        }
        for attr in attrs {
            if self.has_text_content_plain(&attr.value) {
                return (true, true);
            }
        }
        (true, false)
    }

    // --- text/value content rendering (mirrors write_json_text_content etc.) ---

    /// Mirrors `write_json_text_content` (no surrounding quotes).
    fn text_content_plain(&mut self, nodes: &[Node<'a>], skip_elements: bool) -> Result<()> {
        for node in nodes {
            self.check_size()?;
            match node {
                Node::Text(text) | Node::CData(text) => self.json_text_plain(text)?,
                Node::Value(value) => {
                    let mut sink = std::mem::take(&mut self.lits);
                    let res = self.vr.write_json_value_text(&mut sink, value);
                    self.lits = sink;
                    res?;
                }
                Node::CharRef(ch) => {
                    // In JSON, emit the resolved character (not `&#...;`).
                    if let Some(ch) = char::from_u32(u32::from(*ch)) {
                        let mut buf = [0_u8; 4];
                        let s = ch.encode_utf8(&mut buf);
                        self.json_escaped_str_plain(s)?;
                    } else {
                        self.lits.extend_from_slice(b"&#");
                        self.vr.write_u64(&mut self.lits, u64::from(*ch))?;
                        self.lits.push(b';');
                    }
                }
                Node::EntityRef(name) => {
                    let resolved = match name.as_str() {
                        "quot" => Some("\""),
                        "apos" => Some("'"),
                        "amp" => Some("&"),
                        "lt" => Some("<"),
                        "gt" => Some(">"),
                        _ => None,
                    };
                    match resolved {
                        Some(s) => self.json_escaped_str_plain(s)?,
                        None => {
                            self.lits.push(b'&');
                            self.lits.extend_from_slice(name.as_str().as_bytes());
                            self.lits.push(b';');
                        }
                    }
                }
                Node::PITarget(_) | Node::PIData(_) => {}
                Node::Placeholder(_) => return Err(unresolved_placeholder()),
                Node::Element(_) => {
                    if skip_elements {
                        continue;
                    }
                    return Err(element_in_text());
                }
            }
        }
        Ok(())
    }

    /// Mirrors `try_write_as_number` / `try_write_as_number_skip_elements`.
    fn try_as_number_plain(&mut self, nodes: &[Node<'a>], skip_elements: bool) -> Result<bool> {
        let mut single: Option<&Node<'a>> = None;
        for node in nodes {
            match node {
                Node::Element(_) => {
                    if skip_elements {
                        continue;
                    }
                    return Ok(false);
                }
                Node::Text(t) | Node::CData(t) => {
                    if skip_elements {
                        if !t.is_empty() {
                            return Ok(false);
                        }
                    } else if single.is_some() || !t.is_empty() {
                        return Ok(false);
                    } else {
                        // Non-skip mode counts every node; an empty text node
                        // still occupies the single slot.
                        single = Some(node);
                    }
                }
                Node::Value(v) => {
                    if skip_elements && crate::model::ir::is_optional_empty(v) {
                        continue;
                    }
                    if single.is_some() {
                        return Ok(false);
                    }
                    single = Some(node);
                }
                Node::CharRef(_) | Node::EntityRef(_) => return Ok(false),
                Node::PITarget(_) | Node::PIData(_) => {
                    if !skip_elements && single.is_some() {
                        return Ok(false);
                    }
                    if !skip_elements {
                        single = Some(node);
                    }
                }
                Node::Placeholder(_) => {
                    if skip_elements {
                        return Err(unresolved_placeholder());
                    }
                    return Ok(false);
                }
            }
        }
        match single {
            Some(Node::Value(value)) => self.value_as_number_plain(value),
            _ => Ok(false),
        }
    }

    /// Mirrors `render_content_as_json_value`.
    fn content_as_json_value_plain(
        &mut self,
        nodes: &[Node<'a>],
        skip_elements: bool,
    ) -> Result<()> {
        if self.try_as_number_plain(nodes, skip_elements)? {
            return Ok(());
        }
        self.lits.push(b'"');
        self.text_content_plain(nodes, skip_elements)?;
        self.lits.push(b'"');
        Ok(())
    }

    // --- attributes ---

    /// Mirrors `render_attributes_object_body`.
    fn attrs_object_body_plain(&mut self, attrs: &[Attr<'a>]) -> Result<bool> {
        let mut wrote_any = false;
        let mut first = true;
        for attr in attrs {
            if !self.has_text_content_plain(&attr.value) {
                continue;
            }
            if !first {
                self.check_size()?;
                self.lits.push(b',');
            }
            first = false;
            wrote_any = true;
            self.lits.push(b'"');
            self.lits.extend_from_slice(attr.name.as_str().as_bytes());
            self.lits.extend_from_slice(b"\":");
            if self.try_as_number_plain(&attr.value, false)? {
                continue;
            }
            self.lits.push(b'"');
            self.text_content_plain(&attr.value, false)?;
            self.lits.push(b'"');
        }
        Ok(wrote_any)
    }

    /// Mirrors `render_attributes_object`.
    fn attrs_object_plain(&mut self, attrs: &[Attr<'a>]) -> Result<bool> {
        let (_has_any, has_text) = self.attr_flags_plain(attrs);
        if !has_text {
            return Ok(false);
        }
        self.lits.extend_from_slice(b"\"#attributes\":{");
        let wrote_any = self.attrs_object_body_plain(attrs)?;
        self.lits.push(b'}');
        Ok(wrote_any)
    }

    /// Mirrors `render_separate_attributes_for_element`.
    fn render_separate_attrs_plain(&mut self, element: &Element<'a>, suffix: u32) -> Result<bool> {
        if element.attrs.is_empty() {
            return Ok(false);
        }
        let (_has_any, has_text) = self.attr_flags_plain(&element.attrs);
        if !has_text {
            return Ok(false);
        }
        self.lits.push(b'"');
        self.lits
            .extend_from_slice(element.name.as_str().as_bytes());
        if suffix > 0 {
            self.lits.push(b'_');
            self.vr.write_u64(&mut self.lits, u64::from(suffix))?;
        }
        self.lits.extend_from_slice(b"_attributes\":{");
        let wrote_any = self.attrs_object_body_plain(&element.attrs)?;
        self.lits.push(b'}');
        Ok(wrote_any)
    }

    // --- element values ---

    /// Mirrors `try_write_leaf_value`.
    fn try_leaf_value_plain(
        &mut self,
        element: &Element<'a>,
        empty_as_string: bool,
    ) -> Result<bool> {
        if element.has_element_child || element.children.len() != 1 {
            return Ok(false);
        }
        let empty: &[u8] = if empty_as_string { b"\"\"" } else { b"null" };
        match &element.children[0] {
            Node::Text(text) => {
                if text.is_empty() {
                    self.lits.extend_from_slice(empty);
                } else {
                    self.lits.push(b'"');
                    self.json_text_plain(text)?;
                    self.lits.push(b'"');
                }
                Ok(true)
            }
            Node::Value(value) => {
                if crate::model::ir::is_optional_empty(value) {
                    self.lits.extend_from_slice(empty);
                    return Ok(true);
                }
                if self.value_as_number_plain(value)? {
                    return Ok(true);
                }
                self.lits.push(b'"');
                let mut sink = std::mem::take(&mut self.lits);
                let res = self.vr.write_json_value_text(&mut sink, value);
                self.lits = sink;
                res?;
                self.lits.push(b'"');
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// Mirrors `render_data_element_value` (`""` for the empty case).
    fn data_element_value_plain(&mut self, element: &Element<'a>) -> Result<()> {
        if self.try_leaf_value_plain(element, true)? {
            return Ok(());
        }
        let (has_text, has_element_child) = Self::content_layout_plain(element);
        if !has_text && !has_element_child {
            self.lits.extend_from_slice(b"\"\"");
            return Ok(());
        }
        if has_element_child {
            self.element_body_plain(element, false, true, has_text)
        } else {
            self.content_as_json_value_plain(&element.children, false)
        }
    }

    /// Mirrors `write_element_value_no_attrs` (separate-attrs mode).
    fn write_element_value_no_attrs_plain(
        &mut self,
        element: &Element<'a>,
        child_is_container: bool,
    ) -> Result<()> {
        if self.try_leaf_value_plain(element, false)? {
            return Ok(());
        }
        let (has_text, has_element_child) = Self::content_layout_plain(element);
        if !has_element_child && !has_text {
            self.lits.extend_from_slice(b"null");
            Ok(())
        } else if !has_element_child {
            self.content_as_json_value_plain(&element.children, false)
        } else {
            self.element_body_plain(element, child_is_container, true, has_text)
        }
    }

    /// Mirrors `write_element_value` (default mode).
    fn write_element_value_plain(
        &mut self,
        element: &Element<'a>,
        child_is_container: bool,
    ) -> Result<()> {
        if element.attrs.is_empty() && self.try_leaf_value_plain(element, false)? {
            return Ok(());
        }
        let (has_text, has_element_child) = Self::content_layout_plain(element);
        let (_has_attrs_any, has_attrs_text) = self.attr_flags_plain(&element.attrs);

        if !has_element_child && !has_text && !has_attrs_text {
            self.lits.extend_from_slice(b"null");
            Ok(())
        } else if !has_element_child && !has_attrs_text {
            self.content_as_json_value_plain(&element.children, false)
        } else {
            self.element_body_plain(element, child_is_container, false, has_text)
        }
    }

    /// Mirrors `write_element_body_json` (materialized: no array expansion). Each level of a deep
    /// tree keeps this frame on the stack, and a debug build's 2 MiB thread holds 512 levels only
    /// while it stays small, so it makes only the calls that recurse: `body_start_plain` and
    /// `member_key_plain` write the rest.
    fn element_body_plain(
        &mut self,
        element: &Element<'a>,
        in_data_container: bool,
        omit_attributes: bool,
        has_text: bool,
    ) -> Result<()> {
        let mut body =
            self.body_start_plain(element, in_data_container, omit_attributes, has_text)?;
        let mut name_counts = NameCounts::new();
        let mut children = &element.children[..];
        while let [node, following @ ..] = children {
            children = following;
            let Node::Element(id) = node else { continue };
            let child = self.element_ref(*id);
            let member = self.member_key_plain(child, following, &mut body, &mut name_counts)?;
            self.member_value_plain(element, child, following, member)?;
        }
        self.lits.push(b'}');
        self.depth -= 1;
        Ok(())
    }

    /// Opens an element's object and writes its attributes and text, for `element_body_plain`.
    fn body_start_plain(
        &mut self,
        element: &Element<'a>,
        in_data_container: bool,
        omit_attributes: bool,
        has_text: bool,
    ) -> Result<BodyPlain<'t, 'a>> {
        // A materialized tree nests values' elements where they are used.
        if self.depth >= MAX_RENDER_DEPTH
            && element
                .children
                .iter()
                .any(|n| matches!(n, Node::Element(_)))
        {
            return Err(nested_too_deeply());
        }
        self.depth += 1;

        // Flatten detection: one non-empty `Data[@Name]` selects named form.
        let mut should_flatten_named_data = false;
        if in_data_container {
            for node in &element.children {
                let Node::Element(id) = node else { continue };
                let child = self.element_ref(*id);
                if !is_data_element_name(child.name.as_str()) {
                    continue;
                }
                let Some(name_nodes) = child
                    .attrs
                    .iter()
                    .find(|a| a.name.as_str() == "Name")
                    .map(|a| &a.value)
                else {
                    continue;
                };
                if self.has_text_content_plain(name_nodes) {
                    should_flatten_named_data = true;
                    break;
                }
            }
        }

        self.lits.push(b'{');
        let mut wrote_any = false;

        if !omit_attributes
            && !element.attrs.is_empty()
            && self.attrs_object_plain(&element.attrs)?
        {
            wrote_any = true;
        }

        if has_text {
            if wrote_any {
                self.lits.push(b',');
            }
            wrote_any = true;
            self.lits.extend_from_slice(b"\"#text\":");
            self.content_as_json_value_plain(&element.children, true)?;
        }

        let positional_data_count = if in_data_container && !should_flatten_named_data {
            element
                .children
                .iter()
                .filter(|n| {
                    matches!(n, Node::Element(id)
                        if is_data_element_name(self.element_ref(*id).name.as_str()))
                })
                .count()
        } else {
            0
        };
        Ok(BodyPlain {
            in_data_container,
            should_flatten_named_data,
            positional_data_count,
            positional_data_emitted: false,
            wrote_any,
            data_names: NameCounts::new(),
            skip: 0,
        })
    }

    /// Writes what comes before a child element's value in `element_body_plain`'s object: the
    /// comma and key, and in separate-attributes mode its attributes' member.
    fn member_key_plain(
        &mut self,
        child: &'t Element<'a>,
        following: &[Node<'a>],
        body: &mut BodyPlain<'t, 'a>,
        name_counts: &mut NameCounts<&'t str>,
    ) -> Result<MemberPlain> {
        self.visit(child)?;
        if body.skip > 0 {
            body.skip -= 1;
            return Ok(MemberPlain::None);
        }

        if body.in_data_container && is_data_element_name(child.name.as_str()) {
            if body.should_flatten_named_data {
                let Some(name) = data_name(child) else {
                    return Ok(MemberPlain::None);
                };
                if !self.has_text_content_plain(name) {
                    return Ok(MemberPlain::None);
                }
                if body.wrote_any {
                    self.lits.push(b',');
                }
                body.wrote_any = true;
                let (run, suffix) = if self.data_names {
                    let run = self.data_run(name, following);
                    body.skip = run - 1;
                    (run, body.data_names.next_suffix(DataName::new(name)))
                } else {
                    (1, 0)
                };
                self.data_key_plain(name, suffix)?;
                return Ok(MemberPlain::Data { run });
            }
            if body.positional_data_emitted || body.positional_data_count == 0 {
                return Ok(MemberPlain::None);
            }
            if body.wrote_any {
                self.lits.push(b',');
            }
            body.wrote_any = true;
            body.positional_data_emitted = true;
            self.lits.extend_from_slice(b"\"Data\":{\"#text\":");
            return Ok(MemberPlain::PositionalData(body.positional_data_count));
        }

        // Normal child member with `_N` suffixing.
        let cname = child.name.as_str();
        let suffix = name_counts.next_suffix(cname);

        if body.wrote_any {
            self.lits.push(b',');
        }
        body.wrote_any = true;

        let container = is_data_container_name(cname);
        if self.separate {
            let wrote_attrs = self.render_separate_attrs_plain(child, suffix)?;
            let (child_text, child_elem) = Self::content_layout_plain(child);
            let child_has_value = child_elem || child_text;
            let write_value = child_has_value || !wrote_attrs;
            if wrote_attrs && write_value {
                self.lits.push(b',');
            }
            if !write_value {
                return Ok(MemberPlain::None);
            }
            self.key_with_suffix_plain(cname, suffix);
            Ok(MemberPlain::ElementNoAttrs { container })
        } else {
            self.key_with_suffix_plain(cname, suffix);
            Ok(MemberPlain::Element { container })
        }
    }

    /// Writes the value of a member whose key `member_key_plain` wrote.
    fn member_value_plain(
        &mut self,
        element: &Element<'a>,
        child: &Element<'a>,
        following: &[Node<'a>],
        member: MemberPlain,
    ) -> Result<()> {
        match member {
            MemberPlain::None => Ok(()),
            MemberPlain::Data { run: 1 } => self.data_element_value_plain(child),
            MemberPlain::Data { run } => self.data_run_plain(child, following, run),
            MemberPlain::PositionalData(count) => self.positional_data_plain(element, child, count),
            MemberPlain::Element { container } => self.write_element_value_plain(child, container),
            MemberPlain::ElementNoAttrs { container } => {
                self.write_element_value_no_attrs_plain(child, container)
            }
        }
    }

    /// A run of `run` named `Data` elements, `first` and the next of `following`: their values
    /// in an array.
    fn data_run_plain(
        &mut self,
        first: &Element<'a>,
        following: &[Node<'a>],
        run: usize,
    ) -> Result<()> {
        self.lits.push(b'[');
        self.data_element_value_plain(first)?;
        let rest = following.iter().filter_map(|node| match node {
            Node::Element(id) => Some(*id),
            _ => None,
        });
        for id in rest.take(run - 1) {
            self.check_size()?;
            self.lits.push(b',');
            let element = self.element_ref(id);
            self.data_element_value_plain(element)?;
        }
        self.lits.push(b']');
        Ok(())
    }

    /// The `Data` children of a container in the positional form, from the first one, `first`:
    /// its value, or all of theirs in an array, then the end of their `{"#text":…}`.
    fn positional_data_plain(
        &mut self,
        element: &Element<'a>,
        first: &Element<'a>,
        count: usize,
    ) -> Result<()> {
        if count == 1 {
            self.data_element_value_plain(first)?;
        } else {
            self.lits.push(b'[');
            let mut first = true;
            for node in &element.children {
                let Node::Element(id) = node else { continue };
                self.check_size()?;
                let candidate = self.element_ref(*id);
                if !is_data_element_name(candidate.name.as_str()) {
                    continue;
                }
                if !first {
                    self.lits.push(b',');
                }
                first = false;
                self.data_element_value_plain(candidate)?;
            }
            self.lits.push(b']');
        }
        self.lits.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ir::Name;
    use bumpalo::Bump;

    #[test]
    fn chunk_remains_send() {
        fn assert_send<T: Send>() {}
        assert_send::<EvtxChunk<'static>>();
    }

    fn binxml_placeholder(id: u16) -> Node<'static> {
        Node::Placeholder(Placeholder { id, optional: true })
    }

    #[test]
    fn json_compiler_bails_on_multiple_dynamic_child_slots() {
        let bump = Bump::new();
        let mut arena = IrArena::new_in(&bump);

        let static_child = arena.new_node(Element::new_in(Name::new("Static"), &bump));

        let mut root = Element::new_in(Name::new("Parent"), &bump);
        root.push_child(Node::Element(static_child));
        root.push_child(binxml_placeholder(0));
        root.push_child(binxml_placeholder(1));
        let root = arena.new_node(root);

        let tree = IrTree::new(arena, root);
        let mut budget = MAX_CHUNK_PROGRAMS;

        assert!(
            compile_json_template(&tree, false, true, &ParserSettings::default(), &mut budget)
                .is_none(),
            "multiple dynamic child slots need runtime name-suffix state; use the materialized path"
        );
    }

    /// A program's size counts what it keeps, which has no spare capacity, and compiling it
    /// charges the chunk that much.
    #[test]
    fn programs_charge_what_they_keep() {
        use std::mem::{size_of, size_of_val};

        let name = "N".repeat(1000);
        let bump = Bump::new();
        let mut arena = IrArena::new_in(&bump);
        let mut root = Element::new_in(Name::new(&name), &bump);
        root.push_child(binxml_placeholder(0));
        let root = arena.new_node(root);
        let tree = IrTree::new(arena, root);
        let settings = ParserSettings::default();

        let mut budget = MAX_CHUNK_PROGRAMS;
        let xml = compile_xml_template(&tree, false, 0, true, &settings, &mut budget).unwrap();
        let kept = size_of::<XmlProgram>()
            + size_of_val(xml.lits.as_slice())
            + size_of_val(xml.ops.as_slice())
            + size_of_val(xml.elem_slots.as_slice())
            + size_of_val(xml.expand_slots.as_slice())
            + xml.root_name.len();
        assert_eq!((xml.size(), budget), (kept, MAX_CHUNK_PROGRAMS - kept));

        let mut budget = MAX_CHUNK_PROGRAMS;
        let json = compile_json_template(&tree, false, true, &settings, &mut budget).unwrap();
        let kept = size_of::<JsonProgram>()
            + size_of_val(json.lits.as_slice())
            + size_of_val(json.ops.as_slice())
            + size_of_val(json.elem_slots.as_slice())
            + size_of_val(json.constraints.as_slice())
            + size_of_val(json.expand_slots.as_slice())
            + json.root_name.len();
        assert_eq!((json.size(), budget), (kept, MAX_CHUNK_PROGRAMS - kept));
    }

    /// The store counts an entry once, with its key and value, and stops taking entries when
    /// full.
    #[test]
    fn the_store_stops_at_its_cap() {
        let store = ProgramStore::default();
        let map = std::sync::RwLock::new(AHashMap::default());
        store.insert(&map, 0u32, (), 1);
        store.insert(&map, 0u32, (), 1);
        let entry = std::mem::size_of::<(u32, ())>() + 1;
        assert!(store.reserve(MAX_STORED_PROGRAMS - entry - 1));
        assert!(!store.reserve(2));
        assert!(store.reserve(1));
        assert!(!store.reserve(1));
        assert!(!store.reserve(usize::MAX));
        store.insert(&map, 1u32, (), 0);
        assert_eq!(map.read().unwrap().len(), 1);
    }

    /// Embedded BinXML names elements the body's name walk does not see, so
    /// such a body must not be shared across chunks.
    #[test]
    fn name_refs_reject_embedded_binxml() {
        // Value token, BinXml type, 1-byte payload (EOF); then EOF.
        let body = [0x05, 0x21, 0x01, 0x00, 0x00, 0x00];
        let bump = bumpalo::Bump::new();
        let src = Stream {
            data: &body,
            chunk: None,
            ansi_codec: encoding_rs::WINDOWS_1252,
            bump: &bump,
        };
        let mut refs = NameRefs {
            body: 0..body.len(),
            inside: false,
            outside: Vec::new(),
        };
        assert!(walk_tokens(src, 0, body.len(), true, &mut refs).is_err());
    }

    /// Name offsets are absolute, so the same body bytes at another offset
    /// share a key only if no name moves into or out of the body.
    #[test]
    fn name_refs_key_rejects_moved_bodies() {
        // One string-table entry at 30: link, length 1, "A".
        let mut data = [0u8; 40];
        data[36] = 1;
        data[38] = b'A';
        let hasher = ahash::RandomState::new();
        let start = 100 + TEMPLATE_DEFINITION_HEADER_SIZE;
        let refs = |inside| NameRefs {
            body: start..start + 16,
            inside,
            outside: vec![30],
        };
        let at_100 = refs(false).key(&data, 100, &hasher);
        assert!(matches!(at_100, Some((_, None))));
        assert!(matches!(
            refs(true).key(&data, 100, &hasher),
            Some((_, Some(100)))
        ));
        // Moved, nothing crosses the body boundary: same key.
        assert_eq!(refs(false).key(&data, 200, &hasher), at_100);
        // A name was inside the old body.
        assert_eq!(refs(true).key(&data, 200, &hasher), None);
        // The outside name lands inside the moved body (24..40).
        assert_eq!(refs(false).key(&data, 0, &hasher), None);
    }
}
