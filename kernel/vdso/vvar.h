/*
 * The vDSO's data page (Linux's vvar): what the clock functions read. The
 * kernel maps it read-only one page below the vDSO's text (the linker
 * script defines lintel_vvar there) and is its only writer.
 *
 * The layout is kernel/src/time/vvar.rs's `VvarPage`, field for field;
 * both sides check the offsets at compile time.
 */
#ifndef LINTEL_VVAR_H
#define LINTEL_VVAR_H

typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;

struct lintel_vvar {
	/* Odd while the kernel is changing the fields below. */
	u32 seq;
	u32 reserved;
	/* The TSC at the kernel's first instruction: uptime 0. */
	u64 boot_tsc;
	/* TSC ticks per microsecond, times 1024 (0: not calibrated). */
	u64 tsc_per_us_x1024;
	/* CLOCK_REALTIME at uptime 0, in nanoseconds. */
	u64 boot_realtime_ns;
};

_Static_assert(__builtin_offsetof(struct lintel_vvar, seq) == 0, "vvar layout");
_Static_assert(__builtin_offsetof(struct lintel_vvar, boot_tsc) == 8, "vvar layout");
_Static_assert(__builtin_offsetof(struct lintel_vvar, tsc_per_us_x1024) == 16, "vvar layout");
_Static_assert(__builtin_offsetof(struct lintel_vvar, boot_realtime_ns) == 24, "vvar layout");

#endif
