//! A scripted transport for unit tests. It is NOT a FUSE daemon and does
//! not model one: requests are decoded and answered from a small table
//! (names → node ids, node ids → attributes) and from per-test rules, and
//! everything sent is recorded so tests can check what the client did.
//! Behaviour against a real daemon is the integration tests' job
//! (virtiofsd under QEMU).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;
use std::sync::Mutex;

use crate::codec::{
    init_flags, AttrOut, Dirent, DirentPlus, EntryOut, FuseAttr, InHeader, InitOut, OpenOut,
    OutHeader, Request, Wire, OUT_HEADER_SIZE,
};
use crate::transport::{Transport, TransportError};

/// How a request is answered.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A success reply with these argument bytes.
    Body(Vec<u8>),
    /// An error reply (`error` as sent: a negative errno, or anything).
    Error(i32),
    /// These bytes exactly, header included (for hostile replies).
    Raw(Vec<u8>),
    /// Nothing written (what the Rust virtiofsd does for DESTROY).
    Nothing,
    /// The transport fails.
    Fail(TransportError),
}

/// A request as received: its header, all readable bytes, and the shape
/// of the exchange.
#[derive(Debug, Clone)]
pub struct Req {
    pub header: InHeader,
    pub bytes: Vec<u8>,
    /// Address and length of each readable part.
    pub readable: Vec<(usize, usize)>,
    /// Address and length of each writable part.
    pub writable: Vec<(usize, usize)>,
}

impl Req {
    pub fn request(&self) -> Request<'_> {
        Request::decode(&self.bytes)
            .expect("the client sent a malformed request")
            .1
    }
    pub fn data(&self) -> &[u8] {
        Request::decode(&self.bytes).expect("malformed").2
    }
    pub fn opcode(&self) -> u32 {
        self.header.opcode
    }
}

type Rule = Box<dyn Fn(&Req) -> Option<Answer> + Send>;

pub struct State {
    /// Requests on the request queues, in order.
    pub log: Vec<Req>,
    /// (node id, nlookup) of every FORGET and BATCH_FORGET entry.
    pub forgets: Vec<(u64, u64)>,
    /// Raw hiprio messages.
    pub hiprio: Vec<Vec<u8>>,
    /// (opcode, node id) of every message on either queue, in order.
    pub order: Vec<(u32, u64)>,
    /// Node attributes, by node id.
    pub attrs: BTreeMap<u64, FuseAttr>,
    /// (parent, name) → node id.
    pub names: BTreeMap<(u64, Vec<u8>), u64>,
    /// Timeouts sent with entries and attributes, in nanoseconds' parts.
    pub entry_valid: (u64, u32),
    pub attr_valid: (u64, u32),
    pub init: InitOut,
    pub next_fh: u64,
    /// Handles open now.
    pub open_fhs: Vec<u64>,
    rules: Vec<Rule>,
}

pub struct Scripted {
    pub state: Mutex<State>,
}

pub const DIR: u32 = 0o040755;
pub const REG: u32 = 0o100644;
pub const LNK: u32 = 0o120777;

pub fn attr(ino: u64, mode: u32, size: u64) -> FuseAttr {
    FuseAttr {
        ino,
        mode,
        size,
        nlink: 1,
        blksize: 4096,
        ..FuseAttr::default()
    }
}

/// What the Rust virtiofsd answers to our INIT.
pub fn virtiofsd_init() -> InitOut {
    InitOut {
        major: 7,
        minor: 38,
        max_readahead: 0,
        flags: crate::REQUESTED_FLAGS as u32 | init_flags::AUTO_INVAL_DATA as u32,
        max_background: u16::MAX,
        congestion_threshold: 49149,
        max_write: 1 << 20,
        time_gran: 1,
        max_pages: 256,
        ..InitOut::default()
    }
}

impl Scripted {
    pub fn new() -> Scripted {
        let mut attrs = BTreeMap::new();
        attrs.insert(1, attr(1, DIR, 4096));
        Scripted {
            state: Mutex::new(State {
                log: Vec::new(),
                forgets: Vec::new(),
                hiprio: Vec::new(),
                order: Vec::new(),
                attrs,
                names: BTreeMap::new(),
                entry_valid: (0, 0),
                attr_valid: (0, 0),
                init: virtiofsd_init(),
                next_fh: 100,
                open_fhs: Vec::new(),
                rules: Vec::new(),
            }),
        }
    }

    /// Adds `name` in `parent` as node `id` with `mode` and `size`.
    pub fn add(&self, parent: u64, name: &[u8], id: u64, mode: u32, size: u64) {
        let mut s = self.state.lock().unwrap();
        s.names.insert((parent, name.to_vec()), id);
        s.attrs.insert(id, attr(id + 1000, mode, size));
    }

    /// A rule tried before the table (the latest rule first).
    pub fn on(&self, f: impl Fn(&Req) -> Option<Answer> + Send + 'static) {
        self.state.lock().unwrap().rules.push(Box::new(f));
    }

    pub fn clear_rules(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    pub fn count(&self, opcode: u32) -> usize {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|r| r.opcode() == opcode)
            .count()
    }

    pub fn last(&self, opcode: u32) -> Option<Req> {
        self.state
            .lock()
            .unwrap()
            .log
            .iter()
            .rev()
            .find(|r| r.opcode() == opcode)
            .cloned()
    }

    /// Sum of nlookup forgotten per node id.
    pub fn forgotten(&self) -> BTreeMap<u64, u64> {
        let mut m = BTreeMap::new();
        for (id, n) in &self.state.lock().unwrap().forgets {
            *m.entry(*id).or_insert(0) += n;
        }
        m
    }

    pub fn set_timeouts(&self, entry: (u64, u32), attr: (u64, u32)) {
        let mut s = self.state.lock().unwrap();
        s.entry_valid = entry;
        s.attr_valid = attr;
    }
}

impl State {
    pub fn entry(&self, id: u64) -> EntryOut {
        EntryOut {
            nodeid: id,
            generation: 0,
            entry_valid: self.entry_valid.0,
            entry_valid_nsec: self.entry_valid.1,
            attr_valid: self.attr_valid.0,
            attr_valid_nsec: self.attr_valid.1,
            attr: self.attrs.get(&id).copied().unwrap_or_default(),
        }
    }

    fn attr_out(&self, id: u64) -> AttrOut {
        AttrOut {
            attr_valid: self.attr_valid.0,
            attr_valid_nsec: self.attr_valid.1,
            dummy: 0,
            attr: self.attrs.get(&id).copied().unwrap_or_default(),
        }
    }

    fn open(&mut self) -> Answer {
        self.next_fh += 1;
        self.open_fhs.push(self.next_fh);
        Answer::Body(
            OpenOut {
                fh: self.next_fh,
                open_flags: 0,
                padding: 0,
            }
            .to_bytes(),
        )
    }

    /// The directory `dir`'s entries from the table, "." and ".." first
    /// (without node ids, as virtiofsd sends them), from cookie `off`.
    fn list(&self, dir: u64, off: u64, size: usize, plus: bool) -> Vec<u8> {
        let mut names: Vec<(Vec<u8>, u64)> = vec![(b".".to_vec(), 0), (b"..".to_vec(), 0)];
        names.extend(
            self.names
                .iter()
                .filter(|((p, _), _)| *p == dir)
                .map(|((_, n), id)| (n.clone(), *id)),
        );
        let mut out = Vec::new();
        for (i, (name, id)) in names.iter().enumerate().skip(off as usize) {
            let typ = if *id == 0 {
                4
            } else {
                self.attrs.get(id).map_or(0, |a| a.mode >> 12)
            };
            let d = Dirent {
                ino: *id,
                off: i as u64 + 1,
                typ,
                name,
            };
            let mut rec = Vec::new();
            if plus {
                let entry = if *id == 0 {
                    EntryOut::default()
                } else {
                    self.entry(*id)
                };
                DirentPlus { entry, dirent: d }.encode(&mut rec);
            } else {
                d.encode(&mut rec);
            }
            if out.len() + rec.len() > size {
                break;
            }
            out.extend_from_slice(&rec);
        }
        out
    }

    /// The table's answer to `r`, if it has one.
    fn answer(&mut self, r: &Req) -> Answer {
        let id = r.header.nodeid;
        match r.request() {
            Request::Init(_) => Answer::Body(self.init.to_bytes()),
            Request::Lookup { name } => match self.names.get(&(id, name.to_vec())) {
                Some(&n) => Answer::Body(self.entry(n).to_bytes()),
                None => Answer::Error(-2),
            },
            Request::Getattr(_) if self.attrs.contains_key(&id) => {
                Answer::Body(self.attr_out(id).to_bytes())
            }
            Request::Open(_) | Request::Opendir(_) => self.open(),
            Request::Release(a) | Request::Releasedir(a) => {
                self.open_fhs.retain(|&f| f != a.fh);
                Answer::Body(Vec::new())
            }
            Request::Readdir(a) => Answer::Body(self.list(id, a.offset, a.size as usize, false)),
            Request::Readdirplus(a) => Answer::Body(self.list(id, a.offset, a.size as usize, true)),
            Request::Destroy => Answer::Nothing,
            _ => Answer::Error(-38),
        }
    }
}

/// The out header followed by `body`.
pub fn reply(unique: u64, error: i32, body: &[u8]) -> Vec<u8> {
    let mut v = OutHeader {
        len: (OUT_HEADER_SIZE + body.len()) as u32,
        error,
        unique,
    }
    .to_bytes();
    v.extend_from_slice(body);
    v
}

fn scatter(bytes: &[u8], writable: &mut [&mut [u8]]) -> Result<usize, TransportError> {
    let cap: usize = writable.iter().map(|p| p.len()).sum();
    if bytes.len() > cap {
        return Err(TransportError::ReplyTooLarge);
    }
    let mut rest = bytes;
    for part in writable.iter_mut() {
        let n = rest.len().min(part.len());
        part[..n].copy_from_slice(&rest[..n]);
        rest = &rest[n..];
    }
    Ok(bytes.len())
}

impl Transport for Scripted {
    fn request(
        &self,
        readable: &[&[u8]],
        writable: &mut [&mut [u8]],
    ) -> Result<usize, TransportError> {
        let bytes: Vec<u8> = readable.concat();
        let header = InHeader::get(&mut crate::codec::Reader::new(&bytes)).expect("no in header");
        let req = Req {
            header,
            bytes,
            readable: readable
                .iter()
                .map(|p| (p.as_ptr() as usize, p.len()))
                .collect(),
            writable: writable
                .iter()
                .map(|p| (p.as_ptr() as usize, p.len()))
                .collect(),
        };
        // Every request the client sends must decode.
        req.request();
        let mut s = self.state.lock().unwrap();
        s.order.push((header.opcode, header.nodeid));
        s.log.push(req.clone());
        let ruled = s.rules.iter().rev().find_map(|f| f(&req));
        let answer = match ruled {
            Some(a) => a,
            None => s.answer(&req),
        };
        drop(s);
        let unique = header.unique;
        match answer {
            Answer::Body(b) => scatter(&reply(unique, 0, &b), writable),
            Answer::Error(e) => scatter(&reply(unique, e, &[]), writable),
            Answer::Raw(b) => scatter(&b, writable),
            Answer::Nothing => Ok(0),
            Answer::Fail(e) => Err(e),
        }
    }

    fn forget(&self, readable: &[&[u8]]) -> Result<(), TransportError> {
        let bytes: Vec<u8> = readable.concat();
        let (h, req, _) = Request::decode(&bytes).expect("malformed hiprio message");
        let mut s = self.state.lock().unwrap();
        s.order.push((h.opcode, h.nodeid));
        match req {
            Request::Forget(f) => s.forgets.push((h.nodeid, f.nlookup)),
            Request::BatchForget(list) => {
                s.forgets.extend(list.iter().map(|f| (f.nodeid, f.nlookup)))
            }
            Request::Interrupt(_) => {}
            other => panic!("{other:?} on the hiprio queue"),
        }
        s.hiprio.push(bytes);
        Ok(())
    }
}
