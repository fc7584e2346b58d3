//! What a socket has received: messages (Linux's skbs) with their bytes,
//! the files passed with them, the sender's credentials and name. A
//! stream read glues messages together; a datagram or SEQPACKET read
//! takes one.

use super::addr::UnixAddr;
use super::UnixSocket;
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use lintel_vfs::FileRef;

/// What Linux charges a sender for one queued message besides its bytes
/// (the truesize of a small skb: 278 empty datagrams fill 212992).
pub const SKB_OVERHEAD: usize = 768;

/// struct ucred: who sent a message, who is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

impl Ucred {
    /// SO_PEERCRED without a peer: pid 0 and the overflow ids (-1).
    pub const NONE: Ucred = Ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };

    /// The caller's as a message's sender: its real ids (scm_send).
    pub fn of(p: &crate::Process) -> Ucred {
        Ucred {
            pid: p.pid,
            uid: p.cred.uid,
            gid: p.cred.gid,
        }
    }

    /// The caller's as SO_PEERCRED keeps them: its effective ids.
    pub fn peer_of(p: &crate::Process) -> Ucred {
        Ucred {
            pid: p.pid,
            uid: p.cred.euid,
            gid: p.cred.egid,
        }
    }

    pub fn bytes(&self) -> [u8; 12] {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&self.pid.to_le_bytes());
        b[4..8].copy_from_slice(&self.uid.to_le_bytes());
        b[8..].copy_from_slice(&self.gid.to_le_bytes());
        b
    }
}

/// One message. Its size is charged to the sender until the message is
/// consumed or dropped (Linux's sk_wmem_alloc), which bounds what a
/// sender can queue; dropping it also closes the files it still carries.
pub struct Msg {
    data: Vec<u8>,
    /// Bytes already read (a stream reads a message in parts).
    off: usize,
    files: Vec<FileRef>,
    cred: Ucred,
    from: Option<UnixAddr>,
    charge: usize,
    sender: Weak<UnixSocket>,
}

impl Msg {
    pub fn new(
        sender: &Arc<UnixSocket>,
        data: Vec<u8>,
        files: Vec<FileRef>,
        cred: Ucred,
        from: Option<UnixAddr>,
    ) -> Msg {
        let charge = data.len() + SKB_OVERHEAD;
        sender.charge(charge);
        Msg {
            data,
            off: 0,
            files,
            cred,
            from,
            charge,
            sender: Arc::downgrade(sender),
        }
    }

    fn left(&self) -> usize {
        self.data.len() - self.off
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        if let Some(s) = self.sender.upgrade() {
            s.uncharge(self.charge);
        }
    }
}

/// What a read took besides the bytes.
#[derive(Default)]
pub struct Taken {
    pub files: Vec<FileRef>,
    /// The first message's sender.
    pub cred: Option<Ucred>,
    pub from: Option<UnixAddr>,
    /// A datagram's whole length (more than copied when truncated).
    pub full: usize,
}

#[derive(Default)]
pub struct RecvQueue(VecDeque<Msg>);

impl RecvQueue {
    pub fn push(&mut self, m: Msg) {
        self.0.push_back(m);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Messages queued (Linux's skb_queue_len).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// FIONREAD: every queued byte (`all`), or the next message's.
    pub fn bytes(&self, all: bool) -> usize {
        if all {
            self.0.iter().map(Msg::left).sum()
        } else {
            self.0.front().map_or(0, Msg::left)
        }
    }

    /// Empties the queue; the caller drops the messages once it holds no
    /// socket lock (a passed file may be the last reference to a socket).
    pub fn take_all(&mut self) -> VecDeque<Msg> {
        core::mem::take(&mut self.0)
    }

    /// A stream read over what is queued now (Linux's
    /// unix_stream_read_generic): copies into `out` across messages,
    /// stops after a message that carried files and, with SO_PASSCRED,
    /// before one from other credentials. Consumed messages go to `done`.
    /// Returns the bytes copied.
    pub fn stream_take(
        &mut self,
        out: &mut [u8],
        peek: bool,
        passcred: bool,
        t: &mut Taken,
        done: &mut Vec<Msg>,
    ) -> usize {
        let mut n = 0;
        let mut i = 0;
        while n < out.len() {
            let Some(m) = self.0.get_mut(if peek { i } else { 0 }) else {
                break;
            };
            match t.cred {
                Some(c) if passcred && c != m.cred => break,
                Some(_) => {}
                None => {
                    t.cred = Some(m.cred);
                    t.from = m.from.clone();
                }
            }
            let k = m.left().min(out.len() - n);
            out[n..n + k].copy_from_slice(&m.data[m.off..m.off + k]);
            n += k;
            let had_files = !m.files.is_empty();
            if peek {
                if had_files {
                    t.files = m.files.clone();
                    break;
                }
                i += 1;
                continue;
            }
            m.off += k;
            // Files go with the first byte read of their message.
            if had_files {
                t.files = core::mem::take(&mut m.files);
            }
            if m.left() > 0 {
                break;
            }
            done.extend(self.0.pop_front());
            if had_files {
                break;
            }
        }
        n
    }

    /// A datagram or SEQPACKET read: the next message, cut to `out`
    /// (the rest is lost unless peeking). None when the queue is empty.
    pub fn dgram_take(
        &mut self,
        out: &mut [u8],
        peek: bool,
        t: &mut Taken,
        done: &mut Vec<Msg>,
    ) -> Option<usize> {
        let m = self.0.front_mut()?;
        let k = m.data.len().min(out.len());
        out[..k].copy_from_slice(&m.data[..k]);
        t.full = m.data.len();
        t.cred = Some(m.cred);
        t.from = m.from.clone();
        if peek {
            t.files = m.files.clone();
        } else {
            t.files = core::mem::take(&mut m.files);
            done.extend(self.0.pop_front());
        }
        Some(k)
    }
}
