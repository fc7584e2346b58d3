pub mod serial;
pub mod qemu_exit;
