//! Errors as Linux errno values, the currency of every layer above.

pub use syscalls::Errno;

use crate::codec::DecodeError;
use crate::transport::TransportError;

/// A malformed reply leaves the request's outcome unknown: EIO, as Linux.
impl From<DecodeError> for Errno {
    fn from(_: DecodeError) -> Errno {
        Errno::EIO
    }
}

impl From<TransportError> for Errno {
    fn from(_: TransportError) -> Errno {
        Errno::EIO
    }
}
