//! Entries: the answer of every operation that names a node, checked
//! before it is believed.

use alloc::sync::Arc;

use super::node::Node;
use super::Session;
use crate::codec::{EntryOut, FuseAttr, ROOT_ID};
use crate::errno::Errno;

const S_IFMT: u32 = 0o170000;

/// A cache timeout as the daemon gives it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeout {
    pub sec: u64,
    pub nsec: u32,
}

impl Timeout {
    pub fn is_zero(&self) -> bool {
        self.sec == 0 && self.nsec == 0
    }

    /// In nanoseconds, saturating (daemons say "forever" with huge values).
    pub fn as_nanos(&self) -> u64 {
        self.sec
            .saturating_mul(1_000_000_000)
            .saturating_add(u64::from(self.nsec.min(999_999_999)))
    }
}

/// A node the daemon counted a lookup for, with its attributes and how
/// long the name and the attributes may be cached.
#[derive(Debug)]
pub struct Entry {
    pub node: Node,
    pub generation: u64,
    pub attr: FuseAttr,
    pub entry_valid: Timeout,
    pub attr_valid: Timeout,
}

/// Attributes Linux accepts (`fuse_invalid_attr`): a known file type and a
/// size that fits `loff_t`.
pub(crate) fn valid_attr(a: &FuseAttr) -> bool {
    let typed = matches!(
        a.mode & S_IFMT,
        0o140000 | 0o120000 | 0o100000 | 0o060000 | 0o040000 | 0o020000 | 0o010000
    );
    typed && i64::try_from(a.size).is_ok()
}

/// Takes an entry with a non-zero node id: the lookup is counted first,
/// then the entry is checked; a bad one is EIO, and dropping its node
/// forgets the lookup (as Linux does). `expect` is the `S_IFMT` type the
/// operation made; the root may only come back from LOOKUP, with generation 0.
pub(crate) fn accept(
    session: &Arc<Session>,
    e: &EntryOut,
    expect: Option<u32>,
    root_ok: bool,
) -> Result<Entry, Errno> {
    if e.nodeid == 0 {
        return Err(Errno::EIO);
    }
    check(Node::looked_up(session, e.nodeid), e, expect, root_ok)
}

/// [`accept`] for a node already counted.
pub(crate) fn check(
    node: Node,
    e: &EntryOut,
    expect: Option<u32>,
    root_ok: bool,
) -> Result<Entry, Errno> {
    let root_bad = e.nodeid == ROOT_ID && (!root_ok || e.generation != 0);
    let type_bad = expect.is_some_and(|t| e.attr.mode & S_IFMT != t);
    if root_bad || type_bad || !valid_attr(&e.attr) {
        return Err(Errno::EIO);
    }
    Ok(Entry {
        node,
        generation: e.generation,
        attr: e.attr,
        entry_valid: Timeout {
            sec: e.entry_valid,
            nsec: e.entry_valid_nsec,
        },
        attr_valid: Timeout {
            sec: e.attr_valid,
            nsec: e.attr_valid_nsec,
        },
    })
}
