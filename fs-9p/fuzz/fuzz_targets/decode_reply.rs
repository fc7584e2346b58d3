//! Decode any bytes as any 9P2000.L R-message (whole, and as a split Rread).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lintel_fs_9p::codec::selfcheck::check_decoders(data);
});
