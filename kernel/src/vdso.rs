//! The vDSO every program gets (Linux's `linux-vdso.so.1`): the ELF image
//! kernel/build.rs builds from kernel/vdso/ and this kernel embeds, and the
//! clock page it reads (time/vvar.rs). Both live in the kernel image; exec
//! maps their frames into each address space (`AddressSpace::
//! populate_special`), shared by every process and never written by one.

use crate::mem::phys::{self, FRAME_SIZE};
use crate::time::vvar;
use lintel_syscall::mm::{SpecialPages, VdsoLayout};

mod info {
    include!(concat!(env!("OUT_DIR"), "/vdso_info.rs"));
}

/// The image, padded to whole pages, on page boundaries.
#[repr(C, align(4096))]
struct Pages<const N: usize>([u8; N]);

static TEXT: Pages<{ (info::TEXT_PAGES * FRAME_SIZE) as usize }> =
    Pages(*include_bytes!(concat!(env!("OUT_DIR"), "/vdso.bin")));

const _: () = assert!(info::VVAR_PAGES == 1 && info::LOAD_SIZE <= info::TEXT_PAGES * FRAME_SIZE);

/// The sizes exec maps.
pub fn layout() -> VdsoLayout {
    VdsoLayout {
        vvar_pages: info::VVAR_PAGES,
        text_pages: info::TEXT_PAGES,
    }
}

/// The frame of page `index` of `which`.
pub fn frame(which: SpecialPages, index: u64) -> Option<u64> {
    let start = match which {
        SpecialPages::Vvar if index < info::VVAR_PAGES => vvar::page_address(),
        SpecialPages::Vdso if index < info::TEXT_PAGES => core::ptr::addr_of!(TEXT) as u64,
        _ => return None,
    };
    Some(phys::image_to_phys(start) + index * FRAME_SIZE)
}

/// Logs the vDSO's size and where its functions are (once, at boot: a
/// fault in it then names an offset to look up).
pub fn log_symbols() {
    let mut line = alloc::string::String::new();
    for (name, at) in info::SYMBOLS {
        if let Some(name) = name.strip_prefix("__vdso_") {
            line += &alloc::format!(", {name} +{at:#x}");
        }
    }
    log::info!(
        "vdso: {} text page(s), {} data page(s){line}",
        info::TEXT_PAGES,
        info::VVAR_PAGES
    );
}
