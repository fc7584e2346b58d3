/*
 * Processes: fork and copy-on-write, shared mappings (anonymous and a file
 * in /dev/shm), pipes between processes, execve (of this same program, in
 * a "mode" named by argv[1]) with O_CLOEXEC and the signal state it resets
 * or keeps, wait4/waitpid/waitid and their options, SIGCHLD, zombies,
 * process groups and sessions, vfork, posix_spawn, a three-stage pipeline,
 * killing children, exit from a thread, fork and execve from a thread, and
 * orphans.
 *
 * The program finds itself through /proc/self/exe. Exec'd children print
 * their own lines while the parent waits for them.
 */
#include "proc.h"
#include <spawn.h>
#include <sys/prctl.h>

extern char **environ;

/* --- the modes an exec'd copy runs in ------------------------------------------ */

static int mode_exit3(int argc, char **argv)
{
	/* argv: renamed-child exit3 <arg> <expected pid> <parent's exe path> */
	SAY("exec'd child: argv[0] = %s, argc = %d, argv[2] = %s", argv[0], argc,
	    argc > 2 ? argv[2] : "(none)");
	const char *x = getenv("LINTEL_X");
	int envc = 0;
	while (environ[envc])
		envc++;
	SAY("exec'd child: LINTEL_X = %s, %d environment strings", x ? x : "(unset)", envc);
	if (argc > 4) {
		CHECK("exec'd child: same pid as before execve", getpid() == atoi(argv[3]));
		CHECK("exec'd child: /proc/self/exe is the program", strcmp(self_path(), argv[4]) == 0);
	}
	fflush(stdout);
	return 3;
}

static void usr1_handler(int sig)
{
	(void)sig;
}

static int mode_cloexec(int argc, char **argv)
{
	if (argc < 4)
		return 100;
	int closed = atoi(argv[2]), kept = atoi(argv[3]);
	E(fcntl(closed, F_GETFD), EBADF);
	V(fcntl(kept, F_GETFD), 0);
	char b = 0;
	V(read(kept, &b, 1), 1);
	CHECK("the kept pipe still works", b == 'k');
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	CHECK("caught SIGUSR1 reset to SIG_DFL", sa.sa_handler == SIG_DFL);
	sigaction(SIGUSR2, NULL, &sa);
	CHECK("ignored SIGUSR2 still SIG_IGN", sa.sa_handler == SIG_IGN);
	CHECK("blocked SIGINT still blocked", is_blocked(SIGINT));
	CHECK("pending SIGTERM still pending", is_pending(SIGTERM));
	stack_t ss;
	sigaltstack(NULL, &ss);
	CHECK("no alternate signal stack", ss.ss_flags == SS_DISABLE);
	fflush(stdout);
	return proc_unexpected;
}

static int mode_gen(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 0;
	for (int i = 1; i <= n; i++)
		printf("line %d\n", i);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int mode_grep7(void)
{
	char line[256];
	while (fgets(line, sizeof line, stdin))
		if (strchr(line, '7'))
			fputs(line, stdout);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int mode_count(void)
{
	char line[256];
	int n = 0, last = 0;
	while (fgets(line, sizeof line, stdin)) {
		n++;
		last = atoi(line + 5);
	}
	SAY("pipeline: count = %d, last = %d", n, last);
	fflush(stdout);
	return 0;
}

static int child_mode(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *m = argv[1];
	if (!strcmp(m, "exit3"))
		return mode_exit3(argc, argv);
	if (!strcmp(m, "cloexec"))
		return mode_cloexec(argc, argv);
	if (!strcmp(m, "gen"))
		return mode_gen(argc, argv);
	if (!strcmp(m, "grep7"))
		return mode_grep7();
	if (!strcmp(m, "count"))
		return mode_count();
	if (!strcmp(m, "spawned")) {
		printf("spawned: %s\n", argc > 2 ? argv[2] : "(no argument)");
		fflush(stdout);
		return 4;
	}
	fprintf(stderr, "unknown mode %s\n", m);
	return 99;
}

/* --- the parent's sections ------------------------------------------------------ */

static const char *self;
static char *exec_env[] = { "LINTEL_X=42", "OTHER=1", NULL };

static void no_core(void)
{
	struct rlimit rl = { 0, 0 };
	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

static void basics(void)
{
	SECTION("fork and waitpid");
	int st = 0;
	E(waitpid(-1, &st, 0), ECHILD);
	E(wait(&st), ECHILD);
	pid_t parent = getpid();
	pid_t c = xfork();
	if (c == 0)
		_exit(getppid() == parent && getpid() != parent ? 7 : 1);
	CHECK("fork returned a positive pid", c > 0);
	pid_t r = waitpid(c, &st, 0);
	CHECK("waitpid returned the child's pid", r == c);
	CHECK("WIFEXITED", WIFEXITED(st));
	check_eq("WEXITSTATUS (7: getppid() was our pid)", WEXITSTATUS(st), 7);
	E(waitpid(c, &st, 0), ECHILD);

	c = xfork();
	if (c == 0)
		exit(256 + 9);
	check_status("exit(256 + 9)", reap(c), "exited 9");

	/* Five children, reaped with waitpid(-1) in whatever order. */
	int seen = 0;
	for (int i = 1; i <= 5; i++)
		if (xfork() == 0)
			_exit(i);
	for (int i = 0; i < 5; i++) {
		if (wait(&st) > 0 && WIFEXITED(st))
			seen |= 1 << WEXITSTATUS(st);
	}
	check_eq("wait() reaped statuses 1..5 (bit mask)", seen, 0x3e);
	E(wait(&st), ECHILD);
}

static int global = 1;

static void cow(void)
{
	SECTION("copy-on-write");
	size_t big = 1 << 20;
	char *heap = malloc(big);
	memset(heap, 'p', big);
	volatile int on_stack = 10;
	char *priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	priv[0] = 'p';
	priv[4096] = 'p';
	int go[2];
	if (pipe(go) != 0)
		die("pipe");
	pid_t c = xfork();
	if (c == 0) {
		int bits = 0;
		if (global == 1 && heap[big - 1] == 'p' && on_stack == 10 && priv[4096] == 'p')
			bits |= 1;
		global = 2;
		memset(heap, 'c', big);
		on_stack = 20;
		priv[0] = 'c';
		char b;
		read(go[0], &b, 1);
		/* The parent wrote global = 3 meanwhile: not seen here. */
		if (global == 2 && heap[12345] == 'c' && priv[0] == 'c' && on_stack == 20)
			bits |= 2;
		_exit(bits);
	}
	global = 3;
	priv[4096] = 'P';
	write(go[1], "g", 1);
	check_status("child: saw the values at fork (1), kept its own writes (2)", reap(c),
		     "exited 3");
	check_eq("global in the parent", global, 3);
	int same = 1;
	for (size_t i = 0; i < big; i++)
		same &= heap[i] == 'p';
	CHECK("the parent's heap untouched by the child", same);
	check_eq("the parent's stack variable", on_stack, 10);
	CHECK("the parent's private mapping untouched", priv[0] == 'p' && priv[4096] == 'P');
	free(heap);
	munmap(priv, 8192);
	close(go[0]);
	close(go[1]);
}

static void shared_memory(void)
{
	SECTION("shared mappings");
	volatile int *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				  -1, 0);
	anon[0] = 1;
	pid_t c = xfork();
	if (c == 0) {
		anon[0] = 0x5a5a;
		anon[1] = anon[0] + 1;
		_exit(0);
	}
	reap(c);
	check_eq("MAP_SHARED|MAP_ANONYMOUS: the child's store", anon[0], 0x5a5a);
	check_eq("MAP_SHARED|MAP_ANONYMOUS: the child's second store", anon[1], 0x5a5b);
	munmap((void *)anon, 4096);

	char name[64];
	snprintf(name, sizeof name, "/lintel-fork-%d", (int)getpid());
	int fd = OK(shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600));
	V(ftruncate(fd, 8192), 0);
	char *file = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK("mmap of the /dev/shm file", file != MAP_FAILED);
	if (file == MAP_FAILED)
		return;
	strcpy(file, "parent");
	c = xfork();
	if (c == 0) {
		int ok = strcmp(file, "parent") == 0;
		strcpy(file + 4096 + 10, "from the child");
		_exit(ok ? 0 : 1);
	}
	check_status("child (saw the parent's string)", reap(c), "exited 0");
	CHECK("the child's store seen through the parent's mapping",
	      strcmp(file + 4096 + 10, "from the child") == 0);
	char buf[32] = { 0 };
	V(pread(fd, buf, 14, 4096 + 10), 14);
	CHECK("and through read()", strcmp(buf, "from the child") == 0);
	V(munmap(file, 8192), 0);
	close(fd);
	V(shm_unlink(name), 0);
	E(shm_open(name, O_RDWR, 0), ENOENT);
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

#define PIPE_BYTES (100 * 1024)

static void pipes(void)
{
	SECTION("pipes between processes");
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	pid_t c = xfork();
	if (c == 0) {
		close(p[0]);
		unsigned char chunk[1000];
		size_t off = 0;
		while (off < PIPE_BYTES) {
			size_t n = PIPE_BYTES - off < sizeof chunk ? PIPE_BYTES - off : sizeof chunk;
			for (size_t i = 0; i < n; i++)
				chunk[i] = pattern(off + i);
			write_all(p[1], chunk, n);
			off += n;
		}
		_exit(0);
	}
	close(p[1]);
	unsigned char buf[4096];
	size_t total = 0;
	int right = 1;
	ssize_t n;
	while ((n = read(p[0], buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			right &= buf[i] == pattern(total + i);
		total += n;
	}
	check_eq("bytes read from the child", (long)total, PIPE_BYTES);
	CHECK("in order and intact", right);
	check_status("writer child", reap(c), "exited 0");
	close(p[0]);

	if (pipe(p) != 0)
		die("pipe");
	c = xfork();
	if (c == 0) {
		close(p[1]);
		size_t got = 0;
		int ok = 1;
		while ((n = read(p[0], buf, sizeof buf)) > 0) {
			for (ssize_t i = 0; i < n; i++)
				ok &= buf[i] == pattern(got + i);
			got += n;
		}
		_exit(got != PIPE_BYTES ? 1 : ok ? 0 : 2);
	}
	close(p[0]);
	unsigned char *all = malloc(PIPE_BYTES);
	for (size_t i = 0; i < PIPE_BYTES; i++)
		all[i] = pattern(i);
	write_all(p[1], all, PIPE_BYTES);
	close(p[1]);
	free(all);
	check_status("reader child (0: all bytes, intact)", reap(c), "exited 0");
}

static void exec_self(void)
{
	SECTION("execve");
	char pid_arg[32];
	pid_t c = xfork();
	if (c == 0) {
		snprintf(pid_arg, sizeof pid_arg, "%d", (int)getpid());
		char *argv[] = { "renamed-child", "exit3", "an argument", pid_arg, (char *)self, NULL };
		execve(self, argv, exec_env);
		_exit(127);
	}
	check_status("exec'd child", reap(c), "exited 3");

	/* O_CLOEXEC, and the signal state execve resets or keeps. */
	int cx[2], kept[2];
	if (pipe2(cx, O_CLOEXEC) != 0 || pipe(kept) != 0)
		die("pipe");
	write(kept[1], "k", 1);
	c = xfork();
	if (c == 0) {
		signal(SIGUSR1, usr1_handler);
		signal(SIGUSR2, SIG_IGN);
		mask_one(SIG_BLOCK, SIGINT);
		mask_one(SIG_BLOCK, SIGTERM);
		kill(getpid(), SIGTERM);
		static char alt[65536];
		stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
		sigaltstack(&ss, NULL);
		char a[16], b[16];
		snprintf(a, sizeof a, "%d", cx[1]);
		snprintf(b, sizeof b, "%d", kept[0]);
		char *argv[] = { "fork", "cloexec", a, b, NULL };
		execve(self, argv, exec_env);
		_exit(127);
	}
	check_status("cloexec child (its unexpected count)", reap(c), "exited 0");
	close(cx[0]);
	close(cx[1]);
	close(kept[0]);
	close(kept[1]);

	char *argv[] = { "x", NULL };
	E(execve("/nonexistent/program", argv, exec_env), ENOENT);
	E(execve("/", argv, exec_env), EACCES);
	E(execve("/proc/self/exe/x", argv, exec_env), ENOTDIR);
}

static void deaths(void)
{
	SECTION("children killed by signals");
	pid_t c = xfork();
	if (c == 0) {
		no_core();
		*(volatile int *)0 = 1;
		_exit(0);
	}
	int st = reap(c);
	check_status("child dereferencing NULL", st, "killed by SIGSEGV");
	CHECK("WIFSIGNALED and WTERMSIG == SIGSEGV", WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	CHECK("no WCOREDUMP (RLIMIT_CORE 0, not dumpable)", !WCOREDUMP(st));

	int ready[2];
	pipe(ready);
	c = xfork();
	if (c == 0) {
		close(ready[0]);
		write(ready[1], "r", 1);
		sleep_ms(10000);
		_exit(0);
	}
	close(ready[1]);
	char b;
	read(ready[0], &b, 1);
	close(ready[0]);
	V(kill(c, SIGKILL), 0);
	st = reap(c);
	check_status("sleeping child after SIGKILL", st, "killed by SIGKILL");
	check_eq("WTERMSIG", WTERMSIG(st), 9);

	int p[2];
	pipe(p);
	c = xfork();
	if (c == 0) {
		close(p[1]);
		read(p[0], &b, 1);
		_exit(0);
	}
	sleep_ms(20);
	V(kill(c, SIGTERM), 0);
	check_status("child blocked in read after SIGTERM", reap(c), "killed by SIGTERM");
	close(p[0]);
	close(p[1]);
}

static volatile int chld_count, chld_code, chld_status, chld_pid_ok;
static volatile pid_t chld_expect;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	chld_count++;
	chld_code = si->si_code;
	chld_status = si->si_status;
	chld_pid_ok = si->si_pid == chld_expect;
}

static void waits(void)
{
	SECTION("SIGCHLD");
	on_signal(SIGCHLD, on_chld, SA_RESTART);
	mask_one(SIG_BLOCK, SIGCHLD);
	chld_count = 0;
	pid_t c = xfork();
	if (c == 0)
		_exit(3);
	chld_expect = c;
	sigset_t none;
	sigemptyset(&none);
	E(sigsuspend(&none), EINTR);
	check_eq("SIGCHLD handled", chld_count, 1);
	check_eq("si_code (CLD_EXITED)", chld_code, CLD_EXITED);
	check_eq("si_status", chld_status, 3);
	CHECK("si_pid == the child", chld_pid_ok);
	check_status("child", reap(c), "exited 3");
	mask_one(SIG_UNBLOCK, SIGCHLD);
	set_disposition(SIGCHLD, SIG_DFL);

	SECTION("wait4, waitid");
	int p[2];
	pipe(p);
	c = xfork();
	if (c == 0) {
		close(p[1]);
		char b;
		read(p[0], &b, 1);
		burn_ms(20);
		_exit(4);
	}
	close(p[0]);
	int st = -1;
	struct rusage ru;
	V(wait4(c, &st, WNOHANG, &ru), 0);
	siginfo_t si;
	memset(&si, 0xff, sizeof si);
	V(waitid(P_PID, c, &si, WEXITED | WNOHANG), 0);
	CHECK("waitid WNOHANG with nothing to report: si_pid == 0", si.si_pid == 0);
	close(p[1]);
	memset(&ru, 0, sizeof ru);
	CHECK("wait4 returned the child", wait4(c, &st, 0, &ru) == c);
	check_status("child", st, "exited 4");
	CHECK("wait4's rusage: the child's CPU time",
	      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec > 0);
	getrusage(RUSAGE_CHILDREN, &ru);
	CHECK("getrusage(RUSAGE_CHILDREN) counts it",
	      ru.ru_utime.tv_sec + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec > 0);

	c = xfork();
	if (c == 0)
		_exit(5);
	memset(&si, 0, sizeof si);
	V(waitid(P_PID, c, &si, WEXITED | WNOWAIT), 0);
	CHECK("waitid: si_pid == the child", si.si_pid == c);
	check_eq("waitid: si_signo (SIGCHLD)", si.si_signo, SIGCHLD);
	check_eq("waitid: si_code (CLD_EXITED)", si.si_code, CLD_EXITED);
	check_eq("waitid: si_status", si.si_status, 5);
	check_status("WNOWAIT left it for waitpid", reap(c), "exited 5");

	c = xfork();
	if (c == 0) {
		for (;;)
			pause();
	}
	kill(c, SIGKILL);
	memset(&si, 0, sizeof si);
	V(waitid(P_ALL, 0, &si, WEXITED), 0);
	check_eq("waitid: si_code (CLD_KILLED)", si.si_code, CLD_KILLED);
	check_eq("waitid: si_status (SIGKILL)", si.si_status, SIGKILL);
	E(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), ECHILD);
	E(waitid(P_ALL, 0, &si, 0), EINVAL);
	E(waitpid(-1, &st, 0x100), EINVAL);

	SECTION("zombies");
	c = xfork();
	if (c == 0)
		_exit(6);
	sleep_ms(50);
	V(kill(c, 0), 0);
	check_status("zombie reaped after 50 ms", reap(c), "exited 6");
	E(kill(c, 0), ESRCH);
	E(waitpid(c, &st, 0), ECHILD);
	E(waitpid(1, &st, WNOHANG), ECHILD);

	/* With SIGCHLD ignored, children are reaped by the kernel: wait
	 * blocks until they are gone, then fails with ECHILD. */
	set_disposition(SIGCHLD, SIG_IGN);
	c = xfork();
	if (c == 0) {
		sleep_ms(20);
		_exit(0);
	}
	E(waitpid(c, &st, 0), ECHILD);
	E(kill(c, 0), ESRCH);
	set_disposition(SIGCHLD, SIG_DFL);
}

static void groups(void)
{
	SECTION("process groups and sessions");
	pid_t parent = getpid();
	pid_t my_pgid = getpgid(0), my_sid = getsid(0);
	CHECK("getpgid(0) == getpgrp()", my_pgid == getpgrp());
	CHECK("getpgid(getpid()) == getpgid(0)", getpgid(parent) == my_pgid);
	pid_t c = xfork();
	if (c == 0) {
		proc_unexpected = 0;
		CHECK("child: getppid() == the parent", getppid() == parent);
		CHECK("child: same process group as the parent", getpgid(0) == my_pgid);
		CHECK("child: same session as the parent", getsid(0) == my_sid);
		CHECK("child: setsid() == getpid()", setsid() == getpid());
		CHECK("child: getsid(0) == getpid()", getsid(0) == getpid());
		CHECK("child: getpgid(0) == getpid()", getpgid(0) == getpid());
		E(setsid(), EPERM);
		E(setpgid(0, my_pgid), EPERM);
		CHECK("child: getsid(parent) is still the parent's session", getsid(parent) == my_sid);
		fflush(stdout);
		_exit(proc_unexpected);
	}
	check_status("setsid child (its unexpected count)", reap(c), "exited 0");

	int p[2];
	pipe(p);
	c = xfork();
	if (c == 0) {
		close(p[1]);
		char b;
		read(p[0], &b, 1);
		_exit(0);
	}
	close(p[0]);
	V(setpgid(c, c), 0);
	CHECK("getpgid(child) == the child", getpgid(c) == c);
	CHECK("getsid(child) == our session", getsid(c) == my_sid);
	CHECK("our own group unchanged", getpgid(0) == my_pgid);
	E(setpgid(c, 0x3fffffff), EPERM);
	E(setpgid(0x3fffffff, 0), ESRCH);
	V(kill(-c, SIGTERM), 0);
	check_status("child after kill(-its group, SIGTERM)", reap(c), "killed by SIGTERM");
	close(p[1]);
	E(kill(-c, 0), ESRCH);
	E(getpgid(0x3fffffff), ESRCH);
}

static void vforks(void)
{
	SECTION("vfork");
	static volatile int touched;
	touched = 0;
	fflush(stdout);
	pid_t c = vfork();
	if (c == 0) {
		touched = 1;
		_exit(9);
	}
	CHECK("vfork returned a pid", c > 0);
	check_status("vfork child", reap(c), "exited 9");
	CHECK("the child ran first, in our memory", touched == 1);

	fflush(stdout);
	c = vfork();
	if (c == 0) {
		char *argv[] = { "vforked", "exit3", "via vfork", NULL };
		execve(self, argv, exec_env);
		_exit(127);
	}
	check_status("vfork + execve child", reap(c), "exited 3");
}

static void spawns(void)
{
	SECTION("posix_spawn");
	pid_t c = 0;
	char *argv[] = { "spawned-child", "spawned", "hello", NULL };
	fflush(stdout);
	/* The child prints: our lines wait until it is reaped. */
	int r = posix_spawn(&c, self, NULL, NULL, argv, exec_env);
	int st = r == 0 ? reap(c) : 0;
	PT(r, 0);
	if (r == 0)
		check_status("spawned child", st, "exited 4");

	int p[2];
	pipe(p);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclose(&fa, p[0]);
	char *argv2[] = { "spawned-child", "spawned", "through a pipe", NULL };
	PT(posix_spawn(&c, self, &fa, NULL, argv2, exec_env), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	char buf[128] = { 0 };
	size_t got = 0;
	ssize_t n;
	while (got < sizeof buf - 1 && (n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += n;
	close(p[0]);
	SAY("read from the spawned child: %s", got ? strtok(buf, "\n") : "(nothing)");
	check_status("spawned child", reap(c), "exited 4");

	PT(posix_spawn(&c, "/nonexistent/program", NULL, NULL, argv, exec_env), ENOENT);
	E(waitpid(-1, &st, WNOHANG), ECHILD);
}

static void pipeline(void)
{
	SECTION("gen | grep7 | count");
	int a[2], b[2];
	if (pipe(a) != 0 || pipe(b) != 0)
		die("pipe");
	pid_t g = xfork();
	if (g == 0) {
		dup2(a[1], 1);
		close(a[0]); close(a[1]); close(b[0]); close(b[1]);
		char *argv[] = { "gen", "gen", "1000", NULL };
		execve(self, argv, exec_env);
		_exit(127);
	}
	pid_t f = xfork();
	if (f == 0) {
		dup2(a[0], 0);
		dup2(b[1], 1);
		close(a[0]); close(a[1]); close(b[0]); close(b[1]);
		char *argv[] = { "grep7", "grep7", NULL };
		execve(self, argv, exec_env);
		_exit(127);
	}
	pid_t k = xfork();
	if (k == 0) {
		dup2(b[0], 0);
		close(a[0]); close(a[1]); close(b[0]); close(b[1]);
		char *argv[] = { "count", "count", NULL };
		execve(self, argv, exec_env);
		_exit(127);
	}
	close(a[0]); close(a[1]); close(b[0]); close(b[1]);
	/* count prints: our lines wait until all three are reaped. */
	int sg = reap(g), sf = reap(f), sk = reap(k);
	check_status("gen", sg, "exited 0");
	check_status("grep7", sf, "exited 0");
	check_status("count", sk, "exited 0");
}

static void *exit_from_thread(void *arg)
{
	(void)arg;
	sleep_ms(10);
	exit(6);
}

static void *fork_in_thread(void *arg)
{
	(void)arg;
	pid_t c = fork();
	if (c == 0)
		_exit(8);
	int st;
	if (waitpid(c, &st, 0) != c)
		return (void *)-1;
	return (void *)(long)st;
}

static void *exec_in_thread(void *arg)
{
	char *pid_arg = arg;
	char *argv[] = { "from-a-thread", "exit3", "exec from a thread", pid_arg, (char *)self, NULL };
	execve(self, argv, exec_env);
	return NULL;
}

static void threads_and_processes(void)
{
	SECTION("threads and processes");
	pid_t c = xfork();
	if (c == 0) {
		pthread_t t;
		pthread_create(&t, NULL, exit_from_thread, NULL);
		for (;;)
			pause();
	}
	check_status("child whose second thread calls exit(6)", reap(c), "exited 6");

	pthread_t t;
	void *r;
	fflush(stdout);
	pthread_create(&t, NULL, fork_in_thread, NULL);
	pthread_join(t, &r);
	check_status("child forked by a second thread", (int)(long)r, "exited 8");

	c = xfork();
	if (c == 0) {
		static char pid_arg[32];
		snprintf(pid_arg, sizeof pid_arg, "%d", (int)getpid());
		pthread_create(&t, NULL, exec_in_thread, pid_arg);
		for (;;)
			pause();
	}
	check_status("child whose second thread calls execve", reap(c), "exited 3");
}

static void orphans(void)
{
	SECTION("orphans");
	int p[2];
	pipe(p);
	pid_t c = xfork();
	if (c == 0) {
		pid_t me = getpid();
		if (fork() == 0) {
			close(p[0]);
			while (getppid() == me)
				sleep_ms(1);
			write(p[1], "y", 1);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	check_status("middle child", reap(c), "exited 0");
	char b = 0;
	V(read(p[0], &b, 1), 1);
	CHECK("the grandchild saw its parent change", b == 'y');
	close(p[0]);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return child_mode(argc, argv);
	setup("fork");
	self = self_path();
	basics();
	cow();
	shared_memory();
	pipes();
	exec_self();
	deaths();
	waits();
	groups();
	vforks();
	spawns();
	pipeline();
	threads_and_processes();
	orphans();
	return finish();
}
