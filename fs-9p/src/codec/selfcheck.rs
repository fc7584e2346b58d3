//! The property the reply decoders must keep on any input, shared by the
//! crate's pseudo-random test and the cargo-fuzz target (feature `fuzzing`).

use alloc::vec::Vec;

use super::{decode_reply, decode_rread_split, RREAD_HEAD};

/// Runs every reply decoder on `buf` as a kernel would. Decoding must not
/// panic; what decodes must re-encode to the very same bytes (the decoder
/// accepts only canonical messages, so it skipped and misread nothing); a
/// split Rread must stay within its buffer and the count asked.
/// Panics (a bug found) if a property fails.
pub fn check_decoders(buf: &[u8]) {
    if let Ok((tag, m)) = decode_reply(buf) {
        let mut again = Vec::new();
        assert!(m.encode(tag, &mut again).is_ok());
        assert_eq!(again, buf, "{m:?}");
    }
    if let Some((head, data)) = buf.split_first_chunk::<RREAD_HEAD>() {
        let asked = u32::from(data.first().copied().unwrap_or(0)) << 4;
        if let Ok((_, Ok(n))) = decode_rread_split(head, data.len(), buf.len(), asked) {
            assert!(n <= data.len() && u64::try_from(n).is_ok_and(|n| n <= u64::from(asked)));
        }
    }
    let _ = decode_rread_split(buf, 0, buf.len(), 4096);
    let _ = decode_rread_split(buf, usize::MAX, usize::MAX, u32::MAX);
}
