pub mod addr_space;
pub mod frame;
pub mod heap;
pub mod kstack;
pub mod mmio;
pub mod paging;
pub mod phys;
