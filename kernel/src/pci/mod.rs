//! PCI: configuration space (ports 0xCF8/0xCFC, as on machine `pc`; ECAM
//! through ACPI MCFG on `q35` is the next step), enumeration, capability
//! lists and BARs.

mod config;
mod device;

pub use config::use_ecam;
pub use device::{enumerate, Bar, PciDevice};
