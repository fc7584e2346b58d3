//! `Transport` over a TCP stream: 9P messages back to back. Many requests
//! may be in flight; a reader thread files each reply under its tag and the
//! caller waiting for that tag picks it up.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex};

use lintel_fs_9p::{Transport, TransportError};

#[derive(Default)]
struct Inbox {
    replies: HashMap<u16, Vec<u8>>,
    closed: bool,
}

pub struct TcpTransport {
    writer: Mutex<TcpStream>,
    inbox: Arc<(Mutex<Inbox>, Condvar)>,
}

impl TcpTransport {
    pub fn connect(stream: TcpStream) -> TcpTransport {
        // One small message per exchange: Nagle would add 40 ms to each.
        stream.set_nodelay(true).unwrap();
        let inbox: Arc<(Mutex<Inbox>, Condvar)> = Arc::default();
        let mut reader = stream.try_clone().unwrap();
        let ib = inbox.clone();
        std::thread::spawn(move || {
            loop {
                let mut size = [0u8; 4];
                if reader.read_exact(&mut size).is_err() {
                    break;
                }
                let n = u32::from_le_bytes(size) as usize;
                if !(7..=(16 << 20)).contains(&n) {
                    break;
                }
                let mut msg = vec![0u8; n];
                msg[..4].copy_from_slice(&size);
                if reader.read_exact(&mut msg[4..]).is_err() {
                    break;
                }
                let tag = u16::from_le_bytes([msg[5], msg[6]]);
                let (lock, cv) = &*ib;
                lock.lock().unwrap().replies.insert(tag, msg);
                cv.notify_all();
            }
            let (lock, cv) = &*ib;
            lock.lock().unwrap().closed = true;
            cv.notify_all();
        });
        TcpTransport {
            writer: Mutex::new(stream),
            inbox,
        }
    }
}

impl Transport for TcpTransport {
    fn rpc(&self, request: &[&[u8]], reply: &mut [&mut [u8]]) -> Result<usize, TransportError> {
        let msg = request.concat();
        if msg.len() < 7 {
            return Err(TransportError::BadFrame);
        }
        let tag = u16::from_le_bytes([msg[5], msg[6]]);
        self.writer
            .lock()
            .unwrap()
            .write_all(&msg)
            .map_err(|_| TransportError::Disconnected)?;
        let (lock, cv) = &*self.inbox;
        let mut inbox = lock.lock().unwrap();
        let msg = loop {
            if let Some(m) = inbox.replies.remove(&tag) {
                break m;
            }
            if inbox.closed {
                return Err(TransportError::Disconnected);
            }
            inbox = cv.wait(inbox).unwrap();
        };
        drop(inbox);
        let mut rest = &msg[..];
        for part in reply.iter_mut() {
            let n = rest.len().min(part.len());
            part[..n].copy_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        if !rest.is_empty() {
            return Err(TransportError::ReplyTooLarge);
        }
        Ok(msg.len())
    }

    fn max_msize(&self) -> u32 {
        1 << 20
    }
}
