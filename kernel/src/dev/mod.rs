pub mod qemu_exit;
pub mod serial;
