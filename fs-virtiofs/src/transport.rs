//! What the client needs from the kernel's virtio-fs driver (or a test's
//! scripted daemon): one request queue exchange at a time per caller, many
//! callers at once, and the hiprio queue for messages without a reply.

/// Why a transport could not complete an exchange. The client reports all
/// of these as EIO; the reason is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportError {
    /// The device is gone or was reset.
    Disconnected,
    /// The request has more parts or bytes than a queue can carry.
    RequestTooLarge,
    /// The reply did not fit in the writable parts given.
    ReplyTooLarge,
    /// Any other failure of the device.
    Io,
}

/// A FUSE message carrier: virtio-fs request queues and the hiprio queue.
/// Implementations move bytes only; they need not understand FUSE.
pub trait Transport: Send + Sync {
    /// One request on a request queue: device-readable parts (in header +
    /// args + data), then device-writable parts (out header + reply +
    /// data); returns the bytes written. The client always makes the first
    /// writable part exactly the 16-byte out header, and hands a caller's
    /// buffer over as its own part (WRITE's data, READ's destination), so
    /// no copy is needed. Many calls may be in flight at once.
    fn request(
        &self,
        readable: &[&[u8]],
        writable: &mut [&mut [u8]],
    ) -> Result<usize, TransportError>;

    /// A request that gets no reply (FORGET, BATCH_FORGET, INTERRUPT) on
    /// the hiprio queue. It may return once the device has the buffer.
    fn forget(&self, readable: &[&[u8]]) -> Result<(), TransportError>;
}
