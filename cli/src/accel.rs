//! Choosing the QEMU accelerator: KVM where the host has a real one, else TCG.

use std::fs::OpenOptions;
use std::path::Path;
use std::str::FromStr;

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Accel {
    /// KVM when the host has a usable, standard one; TCG otherwise.
    #[default]
    Auto,
    Kvm,
    Tcg,
}

/// What QEMU is actually started with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolvedAccel {
    Kvm,
    Tcg,
}

impl Accel {
    /// `Auto` becomes KVM only when `/dev/kvm` opens read-write, a vendor module
    /// (`kvm_intel` or `kvm_amd`) is loaded, and `kvm_pvm` is not (a PVM nested
    /// host cannot run standard guests). An explicit choice is kept as is.
    pub fn resolve(self) -> ResolvedAccel {
        match self {
            Accel::Kvm => ResolvedAccel::Kvm,
            Accel::Tcg => ResolvedAccel::Tcg,
            Accel::Auto => {
                let kvm_usable = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open("/dev/kvm")
                    .is_ok();
                let modules = Path::new("/sys/module");
                let vendor = modules.join("kvm_intel").exists() || modules.join("kvm_amd").exists();
                let pvm = modules.join("kvm_pvm").exists();
                decide(kvm_usable, vendor, pvm)
            }
        }
    }
}

/// The `Auto` rule as a pure function of what the host shows.
pub fn decide(kvm_usable: bool, vendor_module: bool, pvm_module: bool) -> ResolvedAccel {
    if kvm_usable && vendor_module && !pvm_module {
        ResolvedAccel::Kvm
    } else {
        ResolvedAccel::Tcg
    }
}

impl ResolvedAccel {
    /// The QEMU arguments selecting this accelerator and its CPU model.
    pub fn qemu_args(self) -> [&'static str; 4] {
        match self {
            ResolvedAccel::Kvm => ["-accel", "kvm", "-cpu", "host"],
            ResolvedAccel::Tcg => ["-accel", "tcg", "-cpu", "max"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ResolvedAccel::Kvm => "kvm",
            ResolvedAccel::Tcg => "tcg",
        }
    }
}

impl FromStr for Accel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(Accel::Auto),
            "kvm" => Ok(Accel::Kvm),
            "tcg" => Ok(Accel::Tcg),
            _ => Err(format!(
                "unknown accelerator `{s}` (expected auto, kvm or tcg)"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_needs_all_three_conditions() {
        assert_eq!(decide(true, true, false), ResolvedAccel::Kvm);
        assert_eq!(decide(false, true, false), ResolvedAccel::Tcg);
        assert_eq!(decide(true, false, false), ResolvedAccel::Tcg);
        // A PVM nested host exposes /dev/kvm but cannot run standard guests.
        assert_eq!(decide(true, true, true), ResolvedAccel::Tcg);
        assert_eq!(decide(true, false, true), ResolvedAccel::Tcg);
    }

    #[test]
    fn explicit_choice_is_kept() {
        assert_eq!(Accel::Kvm.resolve(), ResolvedAccel::Kvm);
        assert_eq!(Accel::Tcg.resolve(), ResolvedAccel::Tcg);
    }

    #[test]
    fn qemu_flags() {
        assert_eq!(
            ResolvedAccel::Kvm.qemu_args(),
            ["-accel", "kvm", "-cpu", "host"]
        );
        assert_eq!(
            ResolvedAccel::Tcg.qemu_args(),
            ["-accel", "tcg", "-cpu", "max"]
        );
    }

    #[test]
    fn parses_names() {
        assert_eq!("auto".parse::<Accel>(), Ok(Accel::Auto));
        assert_eq!("kvm".parse::<Accel>(), Ok(Accel::Kvm));
        assert_eq!("tcg".parse::<Accel>(), Ok(Accel::Tcg));
        assert!("hvf".parse::<Accel>().is_err());
    }
}
