//! Lintel's virtio-PCI transport for `virtio_drivers`: modern devices
//! (virtio 1.x capabilities, MMIO) and legacy ones (I/O BAR), config space
//! through ports 0xCF8/0xCFC. A transitional device works either way; we
//! take the modern interface when it is offered.

use super::mmio_reg::Regs;
use crate::arch::port::{inb, inl, inw, outb, outl, outw};
use crate::pci::{Bar, PciDevice};
use virtio_drivers::transport::{DeviceStatus, DeviceType, InterruptStatus, Transport};
use virtio_drivers::{Error, PhysAddr};
use zerocopy::{FromBytes, Immutable, IntoBytes};

pub const VENDOR: u16 = 0x1af4;
const CAP_VENDOR: u8 = 0x09;

enum Kind {
    Modern {
        common: Regs,
        notify: Regs,
        notify_mult: u32,
        isr: Regs,
        device: Option<Regs>,
    },
    Legacy {
        port: u16,
    },
}

pub struct PciTransport {
    kind: Kind,
    device_id: u32,
    /// MSI-X is on: queues get vector table entry 0.
    msix: bool,
    /// Else the legacy INTx line is routed to us.
    intx: bool,
}

/// The virtio device id (9 = 9p, 26 = fs) of a PCI function, if it is virtio.
pub fn virtio_id(d: &PciDevice) -> Option<u32> {
    if d.vendor != VENDOR {
        return None;
    }
    match d.device {
        0x1000..=0x103f => Some(d.cfg.read16(0x2e) as u32), // transitional: subsystem id
        0x1040..=0x107f => Some((d.device - 0x1040) as u32),
        _ => None,
    }
}

fn map_bar(d: &PciDevice, bar: u8, off: u32, len: u32) -> Option<Regs> {
    match d.bars.get(bar as usize)?.as_ref()? {
        Bar::Memory { addr, size } => {
            if off as u64 + len as u64 > *size {
                return None;
            }
            let v = crate::mem::mmio::map(addr + off as u64, len as u64)?;
            Some(Regs::new(v, len as u64))
        }
        Bar::Io { .. } => None,
    }
}

// Common configuration offsets (virtio 1.x, 4.1.4.3).
const DFSELECT: u64 = 0;
const DF: u64 = 4;
const GFSELECT: u64 = 8;
const GF: u64 = 12;
const MSIX_CONFIG: u64 = 16;
const STATUS: u64 = 20;
const CONFIG_GEN: u64 = 21;
const Q_SELECT: u64 = 22;
const Q_SIZE: u64 = 24;
const Q_MSIX: u64 = 26;
const Q_ENABLE: u64 = 28;
const Q_NOTIFY_OFF: u64 = 30;
const Q_DESC: u64 = 32;
const Q_DRIVER: u64 = 40;
const Q_DEVICE: u64 = 48;

// Legacy I/O registers (virtio 0.9.5 / 4.1.4.8).
const L_DF: u16 = 0;
const L_GF: u16 = 4;
const L_QPFN: u16 = 8;
const L_QSIZE: u16 = 12;
const L_QSEL: u16 = 14;
const L_QNOTIFY: u16 = 16;
const L_STATUS: u16 = 18;
const L_ISR: u16 = 19;
const L_CONFIG_VEC: u16 = 20;
const L_QUEUE_VEC: u16 = 22;

const NO_VECTOR: u16 = 0xffff;

impl PciTransport {
    /// Sets up the transport; `prefer_legacy` forces the I/O interface of a
    /// transitional device.
    pub fn new(d: &PciDevice, prefer_legacy: bool) -> Option<PciTransport> {
        let device_id = virtio_id(d)?;
        d.enable();
        let mut common = None;
        let mut notify = None;
        let mut isr = None;
        let mut device = None;
        for &(id, off) in &d.caps {
            if id != CAP_VENDOR {
                continue;
            }
            let c = &d.cfg;
            let cfg_type = c.read8(off + 3);
            let bar = c.read8(off + 4);
            let offset = c.read32(off + 8);
            let length = c.read32(off + 12);
            match cfg_type {
                1 => common = map_bar(d, bar, offset, length),
                2 => notify = map_bar(d, bar, offset, length).map(|r| (r, c.read32(off + 16))),
                3 => isr = map_bar(d, bar, offset, length),
                4 => device = map_bar(d, bar, offset, length),
                _ => {}
            }
        }
        let legacy_port = match d.bars[0] {
            Some(Bar::Io { port, .. }) if d.device < 0x1040 => Some(port),
            _ => None,
        };
        let kind = match (common, notify, isr, legacy_port) {
            (Some(common), Some((notify, notify_mult)), Some(isr), lp)
                if !(prefer_legacy && lp.is_some()) =>
            {
                Kind::Modern {
                    common,
                    notify,
                    notify_mult,
                    isr,
                    device,
                }
            }
            (_, _, _, Some(port)) => Kind::Legacy { port },
            _ => return None,
        };
        let mut t = PciTransport {
            kind,
            device_id,
            msix: false,
            intx: false,
        };
        t.msix = super::irq::enable_msix(d);
        if !t.msix {
            let isr = match &t.kind {
                Kind::Modern { isr, .. } => super::irq::Isr::Mmio(*isr),
                Kind::Legacy { port } => super::irq::Isr::Port(port + L_ISR),
            };
            t.intx = super::irq::enable_intx(d, isr);
            if !t.intx {
                log::warn!("virtio: no MSI-X and no INTx line; polling");
            }
        }
        Some(t)
    }

    pub fn msix_enabled(&self) -> bool {
        self.msix
    }

    /// Completions raise an interrupt (MSI-X or INTx), so waiting can sleep.
    pub fn interrupts(&self) -> bool {
        self.msix || self.intx
    }

    pub fn is_legacy(&self) -> bool {
        matches!(self.kind, Kind::Legacy { .. })
    }

    /// The ISR register: reading it acknowledges a legacy interrupt.
    fn read_isr(&self) -> u8 {
        match &self.kind {
            Kind::Modern { isr, .. } => isr.read8(0),
            Kind::Legacy { port } => inb(port + L_ISR),
        }
    }

    /// Device config bytes, for reading a mount tag or queue counts.
    pub fn config_bytes(&self, off: usize, out: &mut [u8]) {
        for (i, b) in out.iter_mut().enumerate() {
            *b = match &self.kind {
                Kind::Modern {
                    device: Some(r), ..
                } => r.read8((off + i) as u64),
                Kind::Modern { device: None, .. } => 0,
                Kind::Legacy { port } => {
                    let base = if self.msix { 24 } else { 20 };
                    inb(port + base + (off + i) as u16)
                }
            };
        }
    }
}

impl Transport for PciTransport {
    fn device_type(&self) -> DeviceType {
        // virtio-drivers has no id for virtio-fs (26); only 9p goes through here by type.
        DeviceType::try_from(self.device_id).unwrap_or(DeviceType::_9P)
    }

    fn read_device_features(&mut self) -> u64 {
        match &self.kind {
            Kind::Modern { common, .. } => {
                common.write32(DFSELECT, 0);
                let lo = common.read32(DF) as u64;
                common.write32(DFSELECT, 1);
                lo | (common.read32(DF) as u64) << 32
            }
            Kind::Legacy { port } => inl(port + L_DF) as u64,
        }
    }

    fn write_driver_features(&mut self, f: u64) {
        match &self.kind {
            Kind::Modern { common, .. } => {
                common.write32(GFSELECT, 0);
                common.write32(GF, f as u32);
                common.write32(GFSELECT, 1);
                common.write32(GF, (f >> 32) as u32);
            }
            Kind::Legacy { port } => outl(port + L_GF, f as u32),
        }
    }

    fn max_queue_size(&mut self, queue: u16) -> u32 {
        match &self.kind {
            Kind::Modern { common, .. } => {
                common.write16(Q_SELECT, queue);
                common.read16(Q_SIZE) as u32
            }
            Kind::Legacy { port } => {
                outw(port + L_QSEL, queue);
                inw(port + L_QSIZE) as u32
            }
        }
    }

    fn notify(&mut self, queue: u16) {
        match &self.kind {
            Kind::Modern {
                common,
                notify,
                notify_mult,
                ..
            } => {
                common.write16(Q_SELECT, queue);
                let off = common.read16(Q_NOTIFY_OFF) as u64 * *notify_mult as u64;
                notify.write16(off, queue);
            }
            Kind::Legacy { port } => outw(port + L_QNOTIFY, queue),
        }
    }

    fn get_status(&self) -> DeviceStatus {
        let v = match &self.kind {
            Kind::Modern { common, .. } => common.read8(STATUS),
            Kind::Legacy { port } => inb(port + L_STATUS),
        };
        DeviceStatus::from_bits_truncate(v as u32)
    }

    fn set_status(&mut self, status: DeviceStatus) {
        match &self.kind {
            Kind::Modern { common, .. } => common.write8(STATUS, status.bits() as u8),
            Kind::Legacy { port } => outb(port + L_STATUS, status.bits() as u8),
        }
    }

    fn set_guest_page_size(&mut self, _size: u32) {
        // Legacy PCI fixes the page size at 4096; modern has none.
    }

    fn requires_legacy_layout(&self) -> bool {
        self.is_legacy()
    }

    fn queue_set(
        &mut self,
        queue: u16,
        size: u32,
        desc: PhysAddr,
        driver: PhysAddr,
        device: PhysAddr,
    ) {
        let vector = if self.msix { 0 } else { NO_VECTOR };
        match &self.kind {
            Kind::Modern { common, .. } => {
                common.write16(MSIX_CONFIG, NO_VECTOR);
                common.write16(Q_SELECT, queue);
                common.write16(Q_SIZE, size as u16);
                common.write64(Q_DESC, desc);
                common.write64(Q_DRIVER, driver);
                common.write64(Q_DEVICE, device);
                common.write16(Q_MSIX, vector);
                common.write16(Q_ENABLE, 1);
            }
            Kind::Legacy { port } => {
                outw(port + L_QSEL, queue);
                if self.msix {
                    outw(port + L_CONFIG_VEC, NO_VECTOR);
                    outw(port + L_QUEUE_VEC, vector);
                }
                // The legacy layout is one contiguous area starting at `desc`.
                let _ = (driver, device);
                outl(port + L_QPFN, (desc >> 12) as u32);
            }
        }
    }

    fn queue_unset(&mut self, queue: u16) {
        match &self.kind {
            Kind::Modern { common, .. } => {
                common.write16(Q_SELECT, queue);
                common.write16(Q_ENABLE, 0);
            }
            Kind::Legacy { port } => {
                outw(port + L_QSEL, queue);
                outl(port + L_QPFN, 0);
            }
        }
    }

    fn queue_used(&mut self, queue: u16) -> bool {
        match &self.kind {
            Kind::Modern { common, .. } => {
                common.write16(Q_SELECT, queue);
                common.read16(Q_ENABLE) != 0
            }
            Kind::Legacy { port } => {
                outw(port + L_QSEL, queue);
                inl(port + L_QPFN) != 0
            }
        }
    }

    fn ack_interrupt(&mut self) -> InterruptStatus {
        InterruptStatus::from_bits_truncate(self.read_isr() as u32)
    }

    fn read_config_generation(&self) -> u32 {
        match &self.kind {
            Kind::Modern { common, .. } => common.read8(CONFIG_GEN) as u32,
            Kind::Legacy { .. } => 0,
        }
    }

    fn read_config_space<T: FromBytes + IntoBytes>(&self, offset: usize) -> Result<T, Error> {
        let mut v = T::new_zeroed();
        self.config_bytes(offset, v.as_mut_bytes());
        Ok(v)
    }

    fn write_config_space<T: IntoBytes + Immutable>(
        &mut self,
        _offset: usize,
        _value: T,
    ) -> Result<(), Error> {
        Err(Error::Unsupported)
    }
}
