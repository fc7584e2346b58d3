//! Errors as Linux errno values, the currency of every layer above.
//!
//! The errno type is `syscalls::Errno`, the one `vfs/` and `syscall/` use.

pub use syscalls::Errno;

use crate::codec::DecodeError;
use crate::transport::TransportError;

/// Converts an `Rlerror` code. The server is untrusted: a value that is not
/// a Linux errno (0, or past 4095, the range a syscall can return) is EIO.
pub fn from_lerror(ecode: u32) -> Errno {
    match i32::try_from(ecode) {
        Ok(e @ 1..=4095) => Errno::new(e),
        _ => Errno::EIO,
    }
}

/// A malformed reply means the session can no longer be trusted for this
/// request: Linux reports EIO for the same cases.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lerror_range() {
        assert_eq!(from_lerror(2), Errno::ENOENT);
        assert_eq!(from_lerror(4095), Errno::new(4095));
        assert_eq!(from_lerror(0), Errno::EIO);
        assert_eq!(from_lerror(4096), Errno::EIO);
        assert_eq!(from_lerror(u32::MAX), Errno::EIO);
        assert_eq!(from_lerror(0x8000_0000), Errno::EIO);
    }
}
