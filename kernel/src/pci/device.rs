//! A PCI function: ids, BARs, capabilities; and the bus scan.

use super::config::Config;
use alloc::vec::Vec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    Memory { addr: u64, size: u64 },
    Io { port: u16, size: u32 },
}

#[derive(Debug, Clone)]
pub struct PciDevice {
    pub cfg: Config,
    pub vendor: u16,
    pub device: u16,
    pub bars: [Option<Bar>; 6],
    /// (capability id, offset in config space)
    pub caps: Vec<(u8, u8)>,
}

const COMMAND: u8 = 0x04;
const STATUS_CAPS: u16 = 1 << 4;

/// Sizes a BAR by writing all-ones (with decoding off, as the spec asks).
fn read_bars(cfg: &Config) -> [Option<Bar>; 6] {
    let mut bars = [None; 6];
    let cmd = cfg.read16(COMMAND);
    cfg.write16(COMMAND, cmd & !0x3);
    let mut i = 0;
    while i < 6 {
        let off = 0x10 + 4 * i as u8;
        let v = cfg.read32(off);
        cfg.write32(off, 0xffff_ffff);
        let mask = cfg.read32(off);
        cfg.write32(off, v);
        if v & 1 == 1 {
            let size = (!(mask & !0x3)).wrapping_add(1) & 0xffff;
            if v & !0x3 != 0 && size != 0 {
                bars[i] = Some(Bar::Io {
                    port: (v & !0x3) as u16,
                    size,
                });
            }
            i += 1;
        } else if (v >> 1) & 3 == 2 && i < 5 {
            // 64-bit memory BAR: the next register holds the high half.
            let off_hi = off + 4;
            let hi = cfg.read32(off_hi);
            cfg.write32(off_hi, 0xffff_ffff);
            let mask_hi = cfg.read32(off_hi);
            cfg.write32(off_hi, hi);
            let addr = ((hi as u64) << 32) | (v & !0xf) as u64;
            let m = ((mask_hi as u64) << 32) | (mask & !0xf) as u64;
            let size = (!m).wrapping_add(1);
            if addr != 0 && size != 0 {
                bars[i] = Some(Bar::Memory { addr, size });
            }
            i += 2;
        } else {
            let size = (!(mask & !0xf)).wrapping_add(1) as u64;
            if v & !0xf != 0 && size != 0 {
                bars[i] = Some(Bar::Memory {
                    addr: (v & !0xf) as u64,
                    size,
                });
            }
            i += 1;
        }
    }
    cfg.write16(COMMAND, cmd);
    bars
}

fn read_caps(cfg: &Config) -> Vec<(u8, u8)> {
    let mut caps = Vec::new();
    if cfg.read16(0x06) & STATUS_CAPS == 0 {
        return caps;
    }
    let mut ptr = cfg.read8(0x34) & !3;
    // A malformed list cannot loop forever: at most 48 entries fit.
    while ptr >= 0x40 && caps.len() < 48 {
        caps.push((cfg.read8(ptr), ptr));
        ptr = cfg.read8(ptr + 1) & !3;
    }
    caps
}

impl PciDevice {
    fn probe(cfg: Config) -> Option<PciDevice> {
        let id = cfg.read32(0);
        let vendor = id as u16;
        if vendor == 0xffff {
            return None;
        }
        Some(PciDevice {
            cfg,
            vendor,
            device: (id >> 16) as u16,
            bars: read_bars(&cfg),
            caps: read_caps(&cfg),
        })
    }

    /// Turns on I/O and memory decoding and bus mastering (DMA).
    pub fn enable(&self) {
        let cmd = self.cfg.read16(COMMAND);
        self.cfg.write16(COMMAND, cmd | 0x7);
    }

    pub fn cap(&self, id: u8) -> Option<u8> {
        self.caps.iter().find(|(c, _)| *c == id).map(|(_, o)| *o)
    }
}

/// Every function reachable from bus 0 through PCI-to-PCI bridges.
pub fn enumerate() -> Vec<PciDevice> {
    let mut out = Vec::new();
    let mut buses = alloc::vec![0u8];
    let mut seen = [false; 256];
    while let Some(bus) = buses.pop() {
        if core::mem::replace(&mut seen[bus as usize], true) {
            continue;
        }
        for dev in 0..32u8 {
            let Some(d) = PciDevice::probe(Config { bus, dev, func: 0 }) else {
                continue;
            };
            let multi = d.cfg.read8(0x0e) & 0x80 != 0;
            let mut found = alloc::vec![d];
            if multi {
                found.extend(
                    (1..8u8).filter_map(|func| PciDevice::probe(Config { bus, dev, func })),
                );
            }
            for f in found {
                if f.cfg.read8(0x0e) & 0x7f == 1 {
                    buses.push(f.cfg.read8(0x19)); // a bridge: its secondary bus
                }
                out.push(f);
            }
        }
    }
    out
}
