// SPDX-License-Identifier: MIT
/*
 * The worker sandbox (daemon/sandbox.c): after sandbox_enter a process can
 * still read the descriptors it was given and allocate memory, but runs as
 * an unprivileged user with no capabilities, and cannot open any file, map
 * executable memory, signal or change another process, write to the
 * journal, gain privileges, start programs or processes, or open sockets;
 * its rlimits are set.  Each case runs hostile code in a forked child, as
 * the daemon's workers do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <systemd/sd-journal.h>
#include <sys/wait.h>
#include <unistd.h>

/* The daemon is not a library: its sandbox is compiled into this test. */
#include "../../daemon/sandbox.c"

enum { OK = 0, WRONG = 1 };

/* Opened before the sandbox, as the daemon opens the dump for its worker. */
static int status_fd = -1;
/* A process that is not the worker's: it must survive the worker. */
static pid_t bystander;

/* Run body in a sandboxed child; return its wait status. */
static int run_sandboxed(int (*body)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
		if (status_fd < 0)
			_exit(98);
		uid_t uid;
		gid_t gid;
		sandbox_worker_identity(&uid, &gid);
		const struct sandbox_limits limits = { .timeout_seconds = 30, .uid = uid,
						       .gid = gid };
		if (sandbox_enter(&limits) < 0)
			_exit(99);
		_exit(body());
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_exit(int status, int code, const char *what)
{
	if (!WIFEXITED(status) || WEXITSTATUS(status) != code) {
		print_error("%s: status 0x%x, expected exit %d\n", what, status, code);
		fail();
	}
}

static void expect_killed(int status, int sig, const char *what)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != sig) {
		print_error("%s: status 0x%x, expected death by signal %d\n", what, status, sig);
		fail();
	}
}

/* The worker's own /proc status, read through the descriptor it was given. */
static bool read_status(char *buf, size_t size)
{
	ssize_t n = pread(status_fd, buf, size - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

static int reads_and_allocates(void)
{
	char buf[256];
	if (pread(status_fd, buf, sizeof(buf), 0) <= 0)
		return 2;
	void *p = malloc(64 << 20);
	if (!p)
		return 3;
	memset(p, 1, 64 << 20);
	free(p);
	return write(2, "", 0) == 0 ? OK : 4; /* its own descriptors stay writable */
}

static int cannot_open_any_file(void)
{
	int fd = open("/tmp/kt-sandbox-must-not-exist", O_WRONLY | O_CREAT, 0600);
	if (fd >= 0 || errno != EPERM)
		return 2;
	if (open("/proc/self/status", O_RDWR) >= 0 || errno != EPERM)
		return 3;
	/* Reading is no better: not the shadow file, not the daemon's memory. */
	if (open("/etc/shadow", O_RDONLY) >= 0 || errno != EPERM)
		return 4;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)getppid());
	if (openat(AT_FDCWD, path, O_RDONLY) >= 0 || errno != EPERM)
		return 5;
	if (syscall(SYS_creat, "/tmp/kt-sandbox-must-not-exist", 0600) >= 0 || errno != EPERM)
		return 6;
	return OK;
}

static int cannot_touch_another_process(void)
{
	if (kill(bystander, SIGKILL) == 0 || errno != EPERM)
		return 2;
	if (syscall(SYS_tgkill, bystander, bystander, SIGKILL) == 0 || errno != EPERM)
		return 3;
	if (syscall(SYS_tkill, bystander, SIGKILL) == 0 || errno != EPERM)
		return 4;
	if (kill(getppid(), SIGKILL) == 0 || errno != EPERM)
		return 5;
	/* A compromised parser once set the daemon's RLIMIT_NOFILE to 5. */
	struct rlimit five = { 5, 5 };
	if (prlimit(getppid(), RLIMIT_NOFILE, &five, NULL) == 0 || errno != EPERM)
		return 6;
	if (prlimit(0, RLIMIT_NOFILE, &five, NULL) == 0 || errno != EPERM)
		return 7;
	if (setpriority(PRIO_PROCESS, (id_t)bystander, 19) == 0 || errno != EPERM)
		return 8;
	struct rlimit own;
	if (getrlimit(RLIMIT_NOFILE, &own) < 0)
		return 9; /* reading its own limits stays allowed */
	raise(0); /* and signals to itself */
	return OK;
}

static int writes_to_the_journal(void)
{
	sd_journal_print(LOG_EMERG, "forged by a sandboxed worker");
	return WRONG;
}

static int cannot_map_executable(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED || errno != EPERM)
		return WRONG;
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return WRONG;
	return mprotect(p, 4096, PROT_READ | PROT_EXEC) < 0 && errno == EPERM ? OK : WRONG;
}

static int unprivileged_and_limited(void)
{
	struct rlimit core, cpu;
	if (getrlimit(RLIMIT_CORE, &core) < 0 || core.rlim_max != 0)
		return 5;
	if (getrlimit(RLIMIT_CPU, &cpu) < 0 || cpu.rlim_max != 35)
		return 6;
	char status[4096];
	if (!read_status(status, sizeof(status)))
		return 7;
	if (!strstr(status, "NoNewPrivs:\t1"))
		return 8;
	if (!strstr(status, "Seccomp:\t2")) /* 2: filter mode */
		return 9;
	if (!strstr(status, "CapEff:\t0000000000000000") ||
	    !strstr(status, "CapPrm:\t0000000000000000") ||
	    !strstr(status, "CapAmb:\t0000000000000000"))
		return 10;
	if (getuid() == 0 || geteuid() == 0 || getgid() == 0 || getgroups(0, NULL) != 0)
		return 11;
	return OK;
}

static int runs_a_program(void)
{
	char *argv[] = { (char *)"/bin/true", NULL };
	execv("/bin/true", argv);
	return WRONG;
}

static int forks(void)
{
	pid_t pid = fork();
	return pid == 0 ? OK : WRONG;
}

static int opens_a_socket(void)
{
	socket(AF_UNIX, SOCK_STREAM, 0);
	return WRONG;
}

static void what_is_allowed(void **state)
{
	expect_exit(run_sandboxed(reads_and_allocates), OK, "reading and allocating");
	expect_exit(run_sandboxed(unprivileged_and_limited),
		    OK, "unprivileged uid, no capabilities, seccomp, rlimits");
}

static void what_is_refused(void **state)
{
	bystander = fork();
	assert_true(bystander >= 0);
	if (bystander == 0) {
		pause();
		_exit(0);
	}
	expect_exit(run_sandboxed(cannot_open_any_file), OK, "opening a file");
	expect_exit(run_sandboxed(cannot_touch_another_process), OK,
		    "signals and limits of another process");
	expect_exit(run_sandboxed(cannot_map_executable), OK, "executable memory");
	int status;
	assert_int_equal(waitpid(bystander, &status, WNOHANG), 0); /* still alive */
	kill(bystander, SIGKILL);
	waitpid(bystander, &status, 0);
}

static void what_kills(void **state)
{
	expect_killed(run_sandboxed(runs_a_program), SIGSYS, "execve");
	expect_killed(run_sandboxed(forks), SIGSYS, "fork");
	expect_killed(run_sandboxed(opens_a_socket), SIGSYS, "socket");
	/* The journal is a socket: a worker never reaches it. */
	expect_killed(run_sandboxed(writes_to_the_journal), SIGSYS, "sd_journal_print");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(what_is_allowed),
		cmocka_unit_test(what_is_refused),
		cmocka_unit_test(what_kills),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
