/*
 * vdso: the vDSO Linux maps into every program, as the C library uses it.
 *
 * - AT_SYSINFO_EHDR names an ELF shared object (linux-vdso.so.1) whose
 *   dynamic section exports __vdso_clock_gettime, __vdso_gettimeofday,
 *   __vdso_time, __vdso_clock_getres and __vdso_getcpu with version
 *   LINUX_2.6 (found the way musl's __vdsosym finds them), and the
 *   unversioned aliases at the same addresses;
 * - /proc/self/maps shows it as [vdso] (r-xp) above the [vvar] data;
 * - the clocks from libc and from the vDSO agree with the system call in
 *   both directions, many times (libc <= syscall <= libc), for every clock
 *   the vDSO serves; gettimeofday and time agree with them; CPU-time
 *   clocks and bad ids fall back to the system call;
 * - clock_getres, getcpu, RDTSC in user mode;
 * - fork keeps it; a child that makes the text writable and writes it
 *   gets its own copy (the parent's is unchanged), MADV_DONTNEED gives the
 *   original back, and once it is unmapped libc's clock_gettime faults:
 *   libc really calls it;
 * - the data page can never become writable, nor be dropped.
 *
 * Prints only relations (no times, no addresses): the output is the same
 * natively and under Lintel. Conventions: check.h.
 */
#include "check.h"
#include <elf.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#define ROUNDS 2000

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef long (*time_fn)(long *);
typedef int (*clock_getres_fn)(clockid_t, struct timespec *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static unsigned char *ehdr_at;
static size_t load_base;
static const char *strtab;
static const Elf64_Sym *symtab;
static const Elf64_Half *versym;
static const Elf64_Verdef *verdef;
static size_t nsyms;

/* The number of symbols, from DT_HASH or else DT_GNU_HASH. */
static size_t count_symbols(const Elf64_Word *hash, const Elf64_Word *gnu)
{
	if (hash)
		return hash[1];
	if (!gnu)
		return 0;
	Elf64_Word nbuckets = gnu[0], symoffset = gnu[1], bloom = gnu[2];
	const Elf64_Word *buckets = gnu + 4 + bloom * 2; /* 64-bit bloom words */
	const Elf64_Word *chain = buckets + nbuckets;
	size_t last = 0;
	for (Elf64_Word b = 0; b < nbuckets; b++)
		if (buckets[b] > last)
			last = buckets[b];
	if (last < symoffset)
		return symoffset;
	while (!(chain[last - symoffset] & 1))
		last++;
	return last + 1;
}

/* Walks the program headers and the dynamic section (as musl's vdso.c). */
static int parse_vdso(void)
{
	const Elf64_Ehdr *eh = (const void *)ehdr_at;
	const Elf64_Phdr *ph = (const void *)(ehdr_at + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	int have_load = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			load_base = (size_t)ehdr_at + ph[i].p_offset - ph[i].p_vaddr;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const void *)(ehdr_at + ph[i].p_offset);
		}
	}
	CHECK("PT_LOAD and PT_DYNAMIC", have_load && dyn);
	if (!have_load || !dyn)
		return 0;
	const Elf64_Word *hash = NULL, *gnu = NULL;
	size_t soname = (size_t)-1;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		void *p = (void *)(load_base + dyn->d_un.d_ptr);
		switch (dyn->d_tag) {
		case DT_STRTAB: strtab = p; break;
		case DT_SYMTAB: symtab = p; break;
		case DT_HASH: hash = p; break;
		case DT_GNU_HASH: gnu = p; break;
		case DT_VERSYM: versym = p; break;
		case DT_VERDEF: verdef = p; break;
		case DT_SONAME: soname = dyn->d_un.d_val; break;
		}
	}
	CHECK("DT_STRTAB, DT_SYMTAB and DT_HASH or DT_GNU_HASH", strtab && symtab && (hash || gnu));
	CHECK("DT_VERSYM and DT_VERDEF", versym && verdef);
	if (!strtab || !symtab || !(hash || gnu) || !versym || !verdef)
		return 0;
	CHECK("soname is linux-vdso.so.1",
	      soname != (size_t)-1 && strcmp(strtab + soname, "linux-vdso.so.1") == 0);
	nsyms = count_symbols(hash, gnu);
	return nsyms > 0;
}

/* The version name of symbol i (NULL for the base or none). */
static const char *version_of(size_t i)
{
	Elf64_Half ndx = versym[i] & 0x7fff;
	for (const Elf64_Verdef *d = verdef;;
	     d = (const void *)((const char *)d + d->vd_next)) {
		if (!(d->vd_flags & VER_FLG_BASE) && (d->vd_ndx & 0x7fff) == ndx) {
			const Elf64_Verdaux *aux = (const void *)((const char *)d + d->vd_aux);
			return strtab + aux->vda_name;
		}
		if (!d->vd_next)
			return NULL;
	}
}

/* The address of `name` with version `ver`, as musl's __vdsosym. */
static void *vdso_sym(const char *name, const char *ver)
{
	for (size_t i = 1; i < nsyms; i++) {
		const Elf64_Sym *s = &symtab[i];
		int type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
		if (type != STT_FUNC && type != STT_NOTYPE)
			continue;
		if (bind != STB_GLOBAL && bind != STB_WEAK)
			continue;
		if (!s->st_shndx || strcmp(strtab + s->st_name, name))
			continue;
		const char *v = version_of(i);
		if (!v || strcmp(v, ver))
			continue;
		return (void *)(load_base + s->st_value);
	}
	return NULL;
}

static int ts_le(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

static void sys_clock(clockid_t c, struct timespec *ts)
{
	if (syscall(SYS_clock_gettime, c, ts) != 0)
		die("clock_gettime system call");
}

/* libc (or the vDSO) <= syscall <= libc, ROUNDS times. */
static int agrees(clockid_t c, clock_gettime_fn f)
{
	for (int i = 0; i < ROUNDS; i++) {
		struct timespec a, b, d;
		if (f(c, &a) != 0)
			return 0;
		sys_clock(c, &b);
		if (f(c, &d) != 0)
			return 0;
		if (!ts_le(&a, &b) || !ts_le(&b, &d) || a.tv_nsec >= 1000000000 || a.tv_nsec < 0)
			return 0;
	}
	return 1;
}

/* syscall <= vDSO <= syscall, ROUNDS times (for the coarse clocks). */
static int agrees_inside(clockid_t c, clock_gettime_fn f)
{
	for (int i = 0; i < ROUNDS; i++) {
		struct timespec a, b, d;
		sys_clock(c, &a);
		if (f(c, &b) != 0)
			return 0;
		sys_clock(c, &d);
		if (!ts_le(&a, &b) || !ts_le(&b, &d))
			return 0;
	}
	return 1;
}

static int libc_clock_gettime(clockid_t c, struct timespec *ts)
{
	return clock_gettime(c, ts);
}

static long long us(const struct timespec *ts)
{
	return (long long)ts->tv_sec * 1000000 + ts->tv_nsec / 1000;
}

static int gettimeofday_agrees(gettimeofday_fn f)
{
	for (int i = 0; i < ROUNDS; i++) {
		struct timespec a, d;
		struct timeval tv;
		sys_clock(CLOCK_REALTIME, &a);
		if (f(&tv, NULL) != 0)
			return 0;
		sys_clock(CLOCK_REALTIME, &d);
		long long t = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
		if (us(&a) > t || t > us(&d) || tv.tv_usec >= 1000000)
			return 0;
	}
	return 1;
}

/*
 * time() against the system calls: Linux's time is the coarse clock (the
 * last tick), never ahead of CLOCK_REALTIME; Lintel's is CLOCK_REALTIME.
 */
static int time_agrees(time_fn f)
{
	for (int i = 0; i < ROUNDS / 10; i++) {
		long before = syscall(SYS_time, NULL), stored = -1;
		long t = f(&stored);
		struct timespec after;
		sys_clock(CLOCK_REALTIME, &after);
		if (before > t || t > after.tv_sec || stored != t)
			return 0;
	}
	return 1;
}

static long libc_time(long *t)
{
	time_t v;
	time_t r = time(&v);
	*t = v;
	return r;
}

static int libc_gettimeofday(struct timeval *tv, void *tz)
{
	(void)tz;
	return gettimeofday(tv, NULL);
}

/* [start, end) and the permissions of the /proc/self/maps line named `name`. */
static int find_mapping(const char *name, unsigned long *start, unsigned long *end, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	if (!f)
		die("open /proc/self/maps");
	char line[512];
	int found = 0;
	while (fgets(line, sizeof line, f)) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		size_t n = strlen(line), k = strlen(name);
		if (n >= k && strcmp(line + n - k, name) == 0 && line[n - k - 1] == ' ') {
			found = sscanf(line, "%lx-%lx %4s", start, end, perms) == 3;
			break;
		}
	}
	fclose(f);
	return found;
}

static const char *const SYMBOLS[] = {
	"clock_gettime", "gettimeofday", "time", "clock_getres", "getcpu",
};

int main(void)
{
	setup("vdso");
	char name[64];

	SECTION("auxv");
	ehdr_at = (unsigned char *)getauxval(AT_SYSINFO_EHDR);
	if (!CHECK("getauxval(AT_SYSINFO_EHDR) is set", ehdr_at))
		return finish();
	const Elf64_Ehdr *eh = (const void *)ehdr_at;
	CHECK("it is a 64-bit x86_64 ELF shared object",
	      memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
		      eh->e_type == ET_DYN && eh->e_machine == EM_X86_64);

	SECTION("dynamic symbols");
	if (!parse_vdso())
		return finish();
	void *fn[5] = {0};
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof name, "__vdso_%s@LINUX_2.6", SYMBOLS[i]);
		char sym[32];
		snprintf(sym, sizeof sym, "__vdso_%s", SYMBOLS[i]);
		fn[i] = vdso_sym(sym, "LINUX_2.6");
		CHECK(name, fn[i]);
		snprintf(name, sizeof name, "%s@LINUX_2.6 is the same function", SYMBOLS[i]);
		CHECK(name, fn[i] && vdso_sym(SYMBOLS[i], "LINUX_2.6") == fn[i]);
	}
	CHECK("no __vdso_clock_gettime@LINUX_9.9", !vdso_sym("__vdso_clock_gettime", "LINUX_9.9"));
	clock_gettime_fn vdso_gettime = (clock_gettime_fn)fn[0];
	gettimeofday_fn vdso_gettimeofday = (gettimeofday_fn)fn[1];
	time_fn vdso_time = (time_fn)fn[2];
	clock_getres_fn vdso_getres = (clock_getres_fn)fn[3];
	getcpu_fn vdso_getcpu = (getcpu_fn)fn[4];
	if (!vdso_gettime || !vdso_gettimeofday || !vdso_time || !vdso_getres || !vdso_getcpu)
		return finish();

	SECTION("/proc/self/maps");
	unsigned long vdso_start = 0, vdso_end = 0, vvar_start = 0, vvar_end = 0;
	char perms[5] = "", vvar_perms[5] = "";
	int have_vdso = find_mapping("[vdso]", &vdso_start, &vdso_end, perms);
	CHECK("[vdso] is listed", have_vdso);
	CHECK("[vdso] starts at AT_SYSINFO_EHDR", vdso_start == (unsigned long)ehdr_at);
	CHECK("[vdso] is r-xp", strcmp(perms, "r-xp") == 0);
	int have_vvar = find_mapping("[vvar]", &vvar_start, &vvar_end, vvar_perms);
	CHECK("[vvar] is listed", have_vvar);
	CHECK("[vvar] is r--p", strcmp(vvar_perms, "r--p") == 0);
	CHECK("[vvar] lies below [vdso]", have_vvar && vvar_end <= vdso_start);

	SECTION("clocks against the system call");
	CHECK("rdtsc works in user mode", __builtin_ia32_rdtsc() <= __builtin_ia32_rdtsc());
	static const struct {
		clockid_t id;
		const char *name;
	} fine[] = {
		{CLOCK_REALTIME, "CLOCK_REALTIME"},
		{CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
		{CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
		{CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
		{CLOCK_TAI, "CLOCK_TAI"},
	};
	for (unsigned i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		snprintf(name, sizeof name, "%s: libc <= syscall <= libc", fine[i].name);
		CHECK(name, agrees(fine[i].id, libc_clock_gettime));
		snprintf(name, sizeof name, "%s: vdso <= syscall <= vdso", fine[i].name);
		CHECK(name, agrees(fine[i].id, vdso_gettime));
	}
	CHECK("CLOCK_REALTIME_COARSE: syscall <= vdso <= syscall",
	      agrees_inside(CLOCK_REALTIME_COARSE, vdso_gettime));
	CHECK("CLOCK_MONOTONIC_COARSE: syscall <= vdso <= syscall",
	      agrees_inside(CLOCK_MONOTONIC_COARSE, vdso_gettime));
	CHECK("gettimeofday: syscall <= libc <= syscall", gettimeofday_agrees(libc_gettimeofday));
	CHECK("gettimeofday: syscall <= vdso <= syscall", gettimeofday_agrees(vdso_gettimeofday));
	struct timezone tz;
	struct timeval tv;
	V(vdso_gettimeofday(&tv, &tz), 0);
	V(vdso_gettimeofday(NULL, NULL), 0);
	CHECK("time: syscall <= libc <= syscall", time_agrees(libc_time));
	CHECK("time: syscall <= vdso <= syscall", time_agrees(vdso_time));
	CHECK("vdso time(NULL) is a time", vdso_time(NULL) >= 1000000000);

	SECTION("clocks the system call answers");
	struct timespec ts;
	V(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
	CHECK("process CPU time is positive", ts.tv_sec > 0 || ts.tv_nsec > 0);
	V(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
	CHECK("thread CPU time is positive", ts.tv_sec > 0 || ts.tv_nsec > 0);
	CHECK("CLOCK_THREAD_CPUTIME_ID: libc <= syscall <= libc",
	      agrees(CLOCK_THREAD_CPUTIME_ID, libc_clock_gettime));
	CHECK("CLOCK_THREAD_CPUTIME_ID: vdso <= syscall <= vdso",
	      agrees(CLOCK_THREAD_CPUTIME_ID, vdso_gettime));
	CHECK("CLOCK_PROCESS_CPUTIME_ID: vdso <= syscall <= vdso",
	      agrees(CLOCK_PROCESS_CPUTIME_ID, vdso_gettime));
	E(clock_gettime(1234, &ts), EINVAL);
	E(clock_gettime(-1, &ts), EINVAL);
	V(vdso_gettime(1234, &ts), -EINVAL);
	V(vdso_gettime(-1, &ts), -EINVAL);

	SECTION("clock_getres and getcpu");
	static const struct {
		clockid_t id;
		const char *name;
	} res[] = {
		{CLOCK_REALTIME, "CLOCK_REALTIME"},
		{CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
		{CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
		{CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
	};
	for (unsigned i = 0; i < sizeof res / sizeof res[0]; i++) {
		struct timespec r = {-1, -1};
		int ret = clock_getres(res[i].id, &r);
		snprintf(name, sizeof name, "clock_getres(%s), ns (libc)", res[i].name);
		check_eq(name, ret ? -1 : r.tv_sec * 1000000000 + r.tv_nsec, 1);
		r.tv_sec = r.tv_nsec = -1;
		ret = vdso_getres(res[i].id, &r);
		snprintf(name, sizeof name, "clock_getres(%s), ns (vdso)", res[i].name);
		check_eq(name, ret ? ret : r.tv_sec * 1000000000 + r.tv_nsec, 1);
	}
	V(vdso_getres(CLOCK_MONOTONIC, NULL), 0);
	E(clock_getres(1234, &ts), EINVAL);
	V(vdso_getres(1234, &ts), -EINVAL);
	unsigned cpu = ~0u, node = ~0u;
	V(vdso_getcpu(&cpu, &node, NULL), 0);
	CHECK("getcpu gave a CPU and a node", cpu != ~0u && node != ~0u);
	V(vdso_getcpu(NULL, NULL, NULL), 0);

	SECTION("the data page");
	E(mprotect((void *)vvar_start, vvar_end - vvar_start, PROT_READ | PROT_WRITE), EACCES);
	E(mprotect((void *)vvar_start, vvar_end - vvar_start, PROT_READ | PROT_EXEC), EACCES);
	E(madvise((void *)vvar_start, vvar_end - vvar_start, MADV_DONTNEED), EINVAL);
	CHECK("clocks still agree", agrees(CLOCK_MONOTONIC, vdso_gettime));

	SECTION("fork");
	pid_t pid = xfork();
	if (pid == 0) {
		int ok = getauxval(AT_SYSINFO_EHDR) == (unsigned long)ehdr_at &&
			 agrees(CLOCK_MONOTONIC, libc_clock_gettime) &&
			 agrees(CLOCK_REALTIME, vdso_gettime);
		_exit(ok ? 0 : 1);
	}
	int st = reap(pid);
	CHECK("the child's vDSO works", WIFEXITED(st) && WEXITSTATUS(st) == 0);

	unsigned char original = ehdr_at[EI_PAD];
	pid = xfork();
	if (pid == 0) {
		/* Each step's result is an exit status: nothing printed twice. */
		size_t len = vdso_end - vdso_start;
		if (mprotect(ehdr_at, len, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
			_exit(10);
		ehdr_at[EI_PAD] = original ^ 0x5a;
		if (ehdr_at[EI_PAD] != (original ^ 0x5a) || !agrees(CLOCK_MONOTONIC, vdso_gettime))
			_exit(11);
		if (madvise(ehdr_at, len, MADV_DONTNEED) != 0 || ehdr_at[EI_PAD] != original)
			_exit(12);
		if (munmap(ehdr_at, len) != 0)
			_exit(13);
		sys_clock(CLOCK_MONOTONIC, &ts);
		clock_gettime(CLOCK_MONOTONIC, &ts); /* libc calls the vDSO: SIGSEGV */
		_exit(14);
	}
	st = reap(pid);
	check_eq("child: mprotect, write, MADV_DONTNEED, munmap (exit status)",
		 WIFEXITED(st) ? WEXITSTATUS(st) : 0, 0);
	CHECK("child: libc's clock_gettime then dies of SIGSEGV",
	      WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	CHECK("the parent's vDSO is unchanged", ehdr_at[EI_PAD] == original);
	CHECK("and still works", agrees(CLOCK_REALTIME, libc_clock_gettime) &&
					 agrees(CLOCK_MONOTONIC, vdso_gettime));

	return finish();
}
