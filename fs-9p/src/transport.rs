//! What the client needs from the thing that carries messages: the kernel's
//! virtio-9p driver, or a TCP stream in the tests.

/// Why a transport could not complete an exchange. The client reports all of
/// these as EIO; the reason is for logs and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportError {
    /// The channel to the server is gone (device reset, connection closed).
    Disconnected,
    /// The request does not fit what the transport can carry.
    RequestTooLarge,
    /// The reply did not fit in the reply buffers given.
    ReplyTooLarge,
    /// The reply is not a 9P message (for example its size field is below 7).
    BadFrame,
    /// Any other failure of the device or the stream.
    Io,
}

/// A 9P message carrier. Implementations handle framing only; they need not
/// understand messages beyond the `size[4] type[1] tag[2]` header.
pub trait Transport: Send + Sync {
    /// Sends one request (the concatenation of `request` parts) and waits for its reply,
    /// written into the `reply` parts in order (header+fixed fields first, then e.g. a data buffer);
    /// returns the reply's total length. Many calls may be in flight at once from different threads.
    ///
    /// The scatter-gather shape lets a program's buffer be the payload of a
    /// Twrite or the destination of an Rread without a copy.
    fn rpc(&self, request: &[&[u8]], reply: &mut [&mut [u8]]) -> Result<usize, TransportError>;

    /// The largest message the transport can carry (virtio: limited by the ring/buffer sizes).
    fn max_msize(&self) -> u32;
}
