//! An in-process 9P2000.L server for client tests: a tiny tree (every name
//! is a directory except "file"; "missing" does not exist), strict fid
//! accounting, and a hook to replace any reply with hostile bytes.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use crate::codec::{msg_type as mt, Rmsg, Stat, Tmsg};
use crate::qid::Qid;
use crate::transport::{Transport, TransportError};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Node {
    Dir,
    File,
}

/// Rewrites a reply: gets the decoded request, its tag and the reply the
/// fake would send; returns the bytes to send instead (or `None`).
pub type Hook = Box<dyn Fn(&Tmsg<'_>, u16, &[u8]) -> Option<Vec<u8>> + Send + Sync>;

pub struct Fake {
    pub state: Mutex<State>,
    pub hook: Mutex<Option<Hook>>,
    pub max_msize: u32,
    /// Makes every exchange fail at the transport level while set.
    pub broken: AtomicBool,
}

pub struct State {
    pub msize: u32,
    pub version: Vec<u8>,
    pub iounit: u32,
    pub fids: HashMap<u32, Node>,
    pub file: Vec<u8>,
    /// Tags of requests being served right now.
    pub in_flight: HashSet<u16>,
    pub tag_reuse: usize,
    /// Clunks of fids the server did not know.
    pub bad_clunks: usize,
    /// (request parts, reply parts, pointer of the last request part,
    /// pointer of the last reply part) per exchange.
    pub shapes: Vec<(u8, usize, usize, usize, usize)>,
    pub requests: usize,
    /// Answer to Tremove (0: success); the fid goes away either way.
    pub remove_errno: u32,
    /// Answer to Tunlinkat and Trenameat (0: success).
    pub at_errno: u32,
}

const DIR_QID: Qid = Qid {
    ty: 0x80,
    version: 0,
    path: 1,
};
const FILE_QID: Qid = Qid {
    ty: 0,
    version: 0,
    path: 2,
};

impl Fake {
    pub fn new() -> Fake {
        Fake {
            state: Mutex::new(State {
                msize: 64 * 1024,
                version: b"9P2000.L".to_vec(),
                iounit: 0,
                fids: HashMap::new(),
                file: Vec::new(),
                in_flight: HashSet::new(),
                tag_reuse: 0,
                bad_clunks: 0,
                shapes: Vec::new(),
                requests: 0,
                remove_errno: 1,
                at_errno: 0,
            }),
            hook: Mutex::new(None),
            max_msize: 1 << 20,
            broken: AtomicBool::new(false),
        }
    }

    pub fn set_hook(
        &self,
        h: impl Fn(&Tmsg<'_>, u16, &[u8]) -> Option<Vec<u8>> + Send + Sync + 'static,
    ) {
        *self.hook.lock().unwrap() = Some(Box::new(h));
    }

    pub fn clear_hook(&self) {
        *self.hook.lock().unwrap() = None;
    }

    fn serve(&self, t: &Tmsg<'_>) -> Rmsg<'static> {
        let mut s = self.state.lock().unwrap();
        let err = |e: u32| Rmsg::Lerror { ecode: e };
        match *t {
            Tmsg::Version { msize, .. } => {
                s.fids.clear();
                let version: &'static [u8] = Box::leak(s.version.clone().into_boxed_slice());
                Rmsg::Version {
                    msize: msize.min(s.msize),
                    version,
                }
            }
            Tmsg::Attach { fid, .. } => {
                if s.fids.insert(fid, Node::Dir).is_some() {
                    return err(9);
                }
                Rmsg::Attach { qid: DIR_QID }
            }
            Tmsg::Walk {
                fid,
                newfid,
                ref names,
            } => {
                let Some(mut node) = s.fids.get(&fid).copied() else {
                    return err(9);
                };
                if newfid != fid && s.fids.contains_key(&newfid) {
                    return err(9);
                }
                let mut qids = Vec::new();
                for n in names.as_slice() {
                    if node != Node::Dir || *n == b"missing" {
                        break;
                    }
                    node = if *n == b"file" { Node::File } else { Node::Dir };
                    qids.push(if node == Node::Dir { DIR_QID } else { FILE_QID });
                }
                if qids.is_empty() && !names.as_slice().is_empty() {
                    return err(2);
                }
                if qids.len() == names.as_slice().len() {
                    s.fids.insert(newfid, node);
                }
                Rmsg::Walk { qids }
            }
            Tmsg::Clunk { fid } | Tmsg::Remove { fid } => {
                if s.fids.remove(&fid).is_none() {
                    s.bad_clunks += 1;
                    return err(9);
                }
                if matches!(t, Tmsg::Remove { .. }) {
                    return if s.remove_errno == 0 {
                        Rmsg::Remove
                    } else {
                        err(s.remove_errno)
                    };
                }
                Rmsg::Clunk
            }
            Tmsg::Lopen { fid, .. } => match s.fids.get(&fid) {
                Some(Node::File) => Rmsg::Lopen {
                    qid: FILE_QID,
                    iounit: s.iounit,
                },
                Some(Node::Dir) => Rmsg::Lopen {
                    qid: DIR_QID,
                    iounit: 0,
                },
                None => err(9),
            },
            Tmsg::Read { fid, offset, count } => {
                if s.fids.get(&fid) != Some(&Node::File) {
                    return err(21);
                }
                let start = (offset as usize).min(s.file.len());
                let end = start.saturating_add(count as usize).min(s.file.len());
                let data: &'static [u8] = Box::leak(s.file[start..end].to_vec().into_boxed_slice());
                Rmsg::Read { data }
            }
            Tmsg::Write { fid, offset, data } => {
                if s.fids.get(&fid) != Some(&Node::File) {
                    return err(21);
                }
                let end = offset as usize + data.len();
                if s.file.len() < end {
                    s.file.resize(end, 0);
                }
                s.file[offset as usize..end].copy_from_slice(data);
                Rmsg::Write {
                    count: data.len() as u32,
                }
            }
            Tmsg::Getattr { fid, .. } => match s.fids.get(&fid) {
                Some(n) => Rmsg::Getattr(Stat {
                    valid: 0x7ff,
                    qid: if *n == Node::Dir { DIR_QID } else { FILE_QID },
                    size: s.file.len() as u64,
                    ..Stat::default()
                }),
                None => err(9),
            },
            Tmsg::Unlinkat { .. } if s.at_errno != 0 => err(s.at_errno),
            Tmsg::Unlinkat { .. } => Rmsg::Unlinkat,
            Tmsg::Renameat { .. } if s.at_errno != 0 => err(s.at_errno),
            Tmsg::Renameat { .. } => Rmsg::Renameat,
            Tmsg::Rename { fid, .. } if s.fids.contains_key(&fid) => Rmsg::Rename,
            _ => err(38), // ENOSYS
        }
    }

    pub fn fid_count(&self) -> usize {
        self.state.lock().unwrap().fids.len()
    }
}

impl Transport for Fake {
    fn rpc(&self, request: &[&[u8]], reply: &mut [&mut [u8]]) -> Result<usize, TransportError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(TransportError::Disconnected);
        }
        let req: Vec<u8> = request.concat();
        let (tag, t) = Tmsg::decode(&req).map_err(|_| TransportError::BadFrame)?;
        {
            let mut s = self.state.lock().unwrap();
            s.requests += 1;
            let shape = (
                t.msg_type(),
                request.len(),
                reply.len(),
                request.last().map_or(0, |p| p.as_ptr() as usize),
                reply.last().map_or(0, |p| p.as_ptr() as usize),
            );
            s.shapes.push(shape);
            if t.msg_type() != mt::TVERSION && !s.in_flight.insert(tag) {
                s.tag_reuse += 1;
            }
        }
        // Let other threads' requests overlap with this one.
        std::thread::yield_now();
        let r = self.serve(&t);
        let mut out = Vec::new();
        r.encode(tag, &mut out).unwrap();
        if let Some(h) = self.hook.lock().unwrap().as_ref() {
            if let Some(bytes) = h(&t, tag, &out) {
                out = bytes;
            }
        }
        self.state.lock().unwrap().in_flight.remove(&tag);
        // Scatter into the reply parts, as a virtio device would.
        let mut rest = &out[..];
        for part in reply.iter_mut() {
            let n = rest.len().min(part.len());
            part[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        if !rest.is_empty() {
            return Err(TransportError::ReplyTooLarge);
        }
        Ok(out.len())
    }

    fn max_msize(&self) -> u32 {
        self.max_msize
    }
}

/// A reply with the header fixed up: type `ty`, tag `tag`, `body`.
pub fn raw(ty: u8, tag: u16, body: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 0, ty];
    v.extend_from_slice(&tag.to_le_bytes());
    v.extend_from_slice(body);
    let n = v.len() as u32;
    v[..4].copy_from_slice(&n.to_le_bytes());
    v
}
