//! The 9P2000.L client: one session (version + attach) over a [`Transport`],
//! with typed methods for every operation.
//!
//! Methods take `&self` and may run concurrently from many threads: each
//! request gets its own tag, and nothing is locked across an exchange.

mod io;
pub(crate) mod ops;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::AtomicBool;

use crate::codec::{decode_reply, msg_type, Rmsg, Tmsg, HDR_SIZE, NOFID, NOTAG, VERSION_9P2000_L};
use crate::errno::{from_lerror, Errno};
use crate::fid::{Fid, FidPool, FidSlot, FidStats};
use crate::qid::Qid;
use crate::tag::TagPool;
use crate::transport::Transport;

/// The largest msize this client asks for.
pub const MAX_MSIZE: u32 = 512 * 1024;
/// The smallest msize it accepts: what Linux and QEMU require too.
pub const MIN_MSIZE: u32 = 4096;

/// Reply buffer for the replies with a small fixed bound (the largest is
/// Rwalk, 7 + 2 + 16 * 13 = 217 bytes).
const SMALL_REPLY: usize = 256;
/// Longest symlink target a Linux host can hold, plus its NUL.
const PATH_MAX: usize = 4096;

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Requested maximum message size; the session uses the smallest of
    /// this, [`MAX_MSIZE`], the transport's and the server's.
    pub msize: u32,
    /// User name for Tattach.
    pub uname: String,
    /// The tree to attach (for diod, the exported path; QEMU ignores it).
    pub aname: String,
    /// Numeric uid for Tattach (9P2000.L's `n_uname`).
    pub n_uname: u32,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            msize: MAX_MSIZE,
            uname: String::from("root"),
            aname: String::new(),
            n_uname: 0,
        }
    }
}

/// How an exchange failed, which decides what happens to fids it involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CallError {
    /// Nothing was sent (bad arguments, no tag free).
    Local(Errno),
    /// The server answered with an error: the request had no effect.
    Remote(Errno),
    /// No valid answer (transport failure, malformed reply): the effect on
    /// the server is unknown. Reported as EIO.
    Unknown,
}

impl From<CallError> for Errno {
    fn from(e: CallError) -> Errno {
        match e {
            CallError::Local(e) | CallError::Remote(e) => e,
            CallError::Unknown => Errno::EIO,
        }
    }
}

/// State shared by the client and all its fids.
pub(crate) struct Session {
    transport: Arc<dyn Transport>,
    pub(crate) msize: u32,
    tags: TagPool,
    pub(crate) fids: FidPool,
    /// The server answered EOPNOTSUPP to Trenameat / Tunlinkat (diod
    /// does): use the fid-based Trename / Tremove instead.
    pub(crate) no_renameat: AtomicBool,
    pub(crate) no_unlinkat: AtomicBool,
}

impl Session {
    /// Sends `t` and decodes its reply from `reply`. An Rlerror becomes
    /// `Remote(errno)`; a reply of the wrong type or tag is `Unknown`.
    pub(crate) fn call<'r>(
        &self,
        t: &Tmsg<'_>,
        reply: &'r mut [u8],
    ) -> Result<Rmsg<'r>, CallError> {
        let mut tag = self.tags.alloc().map_err(CallError::Local)?;
        let mut req = Vec::with_capacity(64);
        t.encode(tag.tag, &mut req)
            .map_err(|e| CallError::Local(e.into()))?;
        self.check_size(req.len())?;
        let n = match self.transport.rpc(&[&req], &mut [&mut *reply]) {
            Ok(n) => n,
            Err(_) => {
                tag.poison();
                return Err(CallError::Unknown);
            }
        };
        let buf = reply.get(..n).ok_or(CallError::Unknown)?;
        let (rtag, m) = decode_reply(buf).map_err(|_| CallError::Unknown)?;
        check_reply(tag.tag, rtag, t.reply_type(), m)
    }

    pub(crate) fn check_size(&self, len: usize) -> Result<(), CallError> {
        if u32::try_from(len).map_or(true, |l| l > self.msize) {
            return Err(CallError::Local(Errno::ENAMETOOLONG));
        }
        Ok(())
    }

    /// Tclunk, then the number goes back to the pool, even if the server
    /// answers with an error (9P: the fid is gone either way); it is retired
    /// if no valid answer came.
    pub(crate) fn clunk_id(&self, id: u32) -> Result<(), Errno> {
        let mut buf = [0u8; SMALL_REPLY];
        let r = self.call(&Tmsg::Clunk { fid: id }, &mut buf);
        self.forget_fid(id, r.as_ref().err().copied());
        r.map(|_| ()).map_err(Errno::from)
    }

    /// Settles the number of a fid that a clunk or remove was sent for.
    pub(crate) fn forget_fid(&self, id: u32, err: Option<CallError>) {
        match err {
            None | Some(CallError::Remote(_)) => self.fids.release(id),
            // The request never left: the fid is still on the server.
            // Clunking is best effort from here; do not reuse the number.
            Some(CallError::Local(_)) | Some(CallError::Unknown) => self.fids.retire(),
        }
    }
}

/// Checks a decoded reply against its request: tag, then error replies,
/// then type.
pub(crate) fn check_reply<'r>(
    tag: u16,
    rtag: u16,
    expected: u8,
    m: Rmsg<'r>,
) -> Result<Rmsg<'r>, CallError> {
    if rtag != tag {
        return Err(CallError::Unknown);
    }
    match m {
        Rmsg::Lerror { ecode } => Err(CallError::Remote(from_lerror(ecode))),
        // A string error without a number is not something we can map.
        Rmsg::Error { errno: Some(e), .. } => Err(CallError::Remote(from_lerror(e))),
        Rmsg::Error { errno: None, .. } => Err(CallError::Remote(Errno::EIO)),
        m if m.msg_type() == expected => Ok(m),
        _ => Err(CallError::Unknown),
    }
}

/// A 9P2000.L session: negotiated msize, the attached root fid, and the
/// tag and fid pools.
pub struct Client {
    session: Arc<Session>,
    root: Fid,
    root_qid: Qid,
}

impl Client {
    /// Negotiates the version ("9P2000.L" only) and msize, then attaches.
    pub fn new(transport: Arc<dyn Transport>, config: ClientConfig) -> Result<Client, Errno> {
        let msize = config.msize.min(MAX_MSIZE).min(transport.max_msize());
        if msize < MIN_MSIZE {
            return Err(Errno::EINVAL);
        }
        let msize = version(&*transport, msize)?;
        let session = Arc::new(Session {
            transport,
            msize,
            tags: TagPool::new(),
            fids: FidPool::new(),
            no_renameat: AtomicBool::new(false),
            no_unlinkat: AtomicBool::new(false),
        });
        let (root, root_qid) = attach(
            &session,
            config.uname.as_bytes(),
            config.aname.as_bytes(),
            config.n_uname,
        )?;
        Ok(Client {
            session,
            root,
            root_qid,
        })
    }

    /// The negotiated maximum message size.
    pub fn msize(&self) -> u32 {
        self.session.msize
    }

    /// The fid of the attached tree's root.
    pub fn root(&self) -> &Fid {
        &self.root
    }

    pub fn root_qid(&self) -> Qid {
        self.root_qid
    }

    /// Attaches another tree, or the same one as another user.
    pub fn attach(&self, uname: &[u8], aname: &[u8], n_uname: u32) -> Result<(Fid, Qid), Errno> {
        attach(&self.session, uname, aname, n_uname)
    }

    /// The fid pool's counters.
    pub fn fid_stats(&self) -> FidStats {
        self.session.fids.stats()
    }

    /// Refuses a fid of another session: its number means nothing here.
    fn check(&self, fid: &Fid) -> Result<u32, Errno> {
        if Arc::ptr_eq(&fid.session, &self.session) {
            Ok(fid.id)
        } else {
            Err(Errno::EBADF)
        }
    }

    fn call<'r>(&self, t: &Tmsg<'_>, reply: &'r mut [u8]) -> Result<Rmsg<'r>, Errno> {
        self.session.call(t, reply).map_err(Errno::from)
    }
}

/// Tversion with NOTAG: returns the msize both sides accept.
fn version(transport: &dyn Transport, msize: u32) -> Result<u32, Errno> {
    let mut req = Vec::new();
    Tmsg::Version {
        msize,
        version: VERSION_9P2000_L,
    }
    .encode(NOTAG, &mut req)?;
    let mut reply = [0u8; SMALL_REPLY];
    let n = transport.rpc(&[&req], &mut [&mut reply[..]])?;
    let buf = reply.get(..n).ok_or(Errno::EIO)?;
    let (tag, m) = decode_reply(buf)?;
    match check_reply(NOTAG, tag, msg_type::RVERSION, m).map_err(Errno::from)? {
        Rmsg::Version {
            msize: theirs,
            version,
        } => {
            // A server that does not speak 9P2000.L answers "unknown" (or
            // offers another dialect); Linux refuses those with EREMOTEIO.
            if version != VERSION_9P2000_L || theirs < MIN_MSIZE {
                return Err(Errno::EREMOTEIO);
            }
            // The server may only lower it; ignore a larger answer as Linux does.
            Ok(theirs.min(msize))
        }
        _ => Err(Errno::EIO),
    }
}

fn attach(
    session: &Arc<Session>,
    uname: &[u8],
    aname: &[u8],
    n_uname: u32,
) -> Result<(Fid, Qid), Errno> {
    let slot = FidSlot::new(session)?;
    let t = Tmsg::Attach {
        fid: slot.id,
        afid: NOFID,
        uname,
        aname,
        n_uname,
    };
    let mut buf = [0u8; SMALL_REPLY];
    match session.call(&t, &mut buf) {
        Ok(Rmsg::Attach { qid }) => Ok((slot.establish(), qid)),
        Ok(_) => {
            slot.retire();
            Err(Errno::EIO)
        }
        Err(e) => {
            settle(slot, e);
            Err(e.into())
        }
    }
}

/// After a failed request that would have created `slot`'s fid: release the
/// number if the server surely did not bind it, retire it otherwise.
pub(crate) fn settle(slot: FidSlot, e: CallError) {
    match e {
        CallError::Local(_) | CallError::Remote(_) => drop(slot),
        CallError::Unknown => slot.retire(),
    }
}

/// Replies larger than [`SMALL_REPLY`] are bounded by these (never above msize).
pub(crate) fn readlink_reply_len(msize: u32) -> usize {
    let cap = HDR_SIZE + 2 + PATH_MAX;
    usize::try_from(msize).map_or(cap, |m| m.min(cap))
}
