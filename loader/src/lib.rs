//! ELF loading for Lintel (see DESIGN.md): turn a static (or static-pie) x86_64
//! ELF file into a validated load plan ([`parse_elf`]) and build the initial user
//! stack exactly as Linux's `create_elf_tables` does ([`build_initial_stack`]).
//!
//! Everything here treats the ELF file as hostile input: every offset, size and
//! address is bounds- and overflow-checked, so no input can make this crate panic.
//! The kernel maps memory from the result; this crate never touches memory itself.
#![no_std]
#![deny(unsafe_code)]

extern crate alloc;

mod auxv;
mod elf;
mod error;
mod stack;
mod stack_reader;

pub use auxv::*;
pub use elf::{parse_elf, ElfImage, ElfKind, Segment};
pub use error::{ElfError, StackError};
pub use stack::{build_initial_stack, InitialStack, StackParams, MAX_ARG_STRLEN};
pub use stack_reader::{parse_initial_stack, ParsedStack};

pub const PAGE_SIZE: u64 = 4096;
/// Highest user address + 1 (canonical lower half).
pub const USER_END: u64 = 0x0000_8000_0000_0000;
/// Linux's ELF_ET_DYN_BASE for x86_64 (2/3 of TASK_SIZE, page aligned): where a static-pie is placed.
pub const PIE_BASE: u64 = 0x5555_5555_4000;

pub const PROT_READ: u32 = 1;
pub const PROT_WRITE: u32 = 2;
pub const PROT_EXEC: u32 = 4;
