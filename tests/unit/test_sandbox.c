// SPDX-License-Identifier: MIT
/*
 * The worker sandbox (daemon/sandbox.c): after sandbox_enter a process can
 * still read files and allocate memory, but cannot open for writing, map
 * executable memory, gain privileges, start programs or processes, or open
 * sockets; and its rlimits are set.  Each case runs in a forked child, as
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
#include <sys/wait.h>
#include <unistd.h>

/* The daemon is not a library: its sandbox is compiled into this test. */
#include "../../daemon/sandbox.c"

enum { OK = 0, WRONG = 1 };

/* Run body in a sandboxed child; return its wait status. */
static int run_sandboxed(int (*body)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (sandbox_enter(30, 0) < 0)
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

static int reads_and_allocates(void)
{
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	char buf[256];
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0)
		return 2;
	close(fd);
	void *p = malloc(64 << 20);
	if (!p)
		return 3;
	memset(p, 1, 64 << 20);
	free(p);
	return write(2, "", 0) == 0 ? OK : 4; /* its own descriptors stay writable */
}

static int cannot_open_for_writing(void)
{
	int fd = open("/tmp/kt-sandbox-must-not-exist", O_WRONLY | O_CREAT, 0600);
	if (fd >= 0 || errno != EPERM)
		return WRONG;
	fd = open("/proc/self/status", O_RDWR);
	return fd < 0 && errno == EPERM ? OK : WRONG;
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

static int limits_and_no_new_privileges(void)
{
	struct rlimit core, cpu;
	if (getrlimit(RLIMIT_CORE, &core) < 0 || core.rlim_max != 0)
		return 5;
	if (getrlimit(RLIMIT_CPU, &cpu) < 0 || cpu.rlim_max != 35)
		return 6;
	/* prctl itself is refused in the sandbox: ask /proc. */
	char status[4096] = "";
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, status, sizeof(status) - 1) <= 0)
		return 7;
	close(fd);
	if (!strstr(status, "NoNewPrivs:\t1"))
		return 8;
	return strstr(status, "Seccomp:\t2") ? OK : 9; /* 2: filter mode */
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
	expect_exit(run_sandboxed(limits_and_no_new_privileges), OK, "rlimits, no new privileges");
}

static void what_is_refused(void **state)
{
	expect_exit(run_sandboxed(cannot_open_for_writing), OK, "open for writing");
	expect_exit(run_sandboxed(cannot_map_executable), OK, "executable memory");
}

static void what_kills(void **state)
{
	expect_killed(run_sandboxed(runs_a_program), SIGSYS, "execve");
	expect_killed(run_sandboxed(forks), SIGSYS, "fork");
	expect_killed(run_sandboxed(opens_a_socket), SIGSYS, "socket");
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
