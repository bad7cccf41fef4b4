// SPDX-License-Identifier: MIT
/*
 * The worker's sandbox, entered after fork and before the dump is opened.
 * A dump is hostile input: a bug in a decoder must not become the daemon's
 * privileges.  So the worker gets
 *   - resource limits: no core files, CPU time just above the wall-time
 *     limit, address space (memory_limit_mb), file size (nothing but its
 *     report), a few descriptors;
 *   - no new privileges (set-uid binaries are inert, seccomp is allowed);
 *   - a seccomp allowlist: read files read-only, memory without PROT_EXEC,
 *     write to the descriptors it already has.  Everything else fails with
 *     EPERM; starting programs or processes, sockets and ptrace kill it.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "ktriaged.h"

static int limit(int resource, rlim_t value)
{
	struct rlimit old;
	if (getrlimit(resource, &old) == 0 && old.rlim_max != RLIM_INFINITY &&
	    old.rlim_max < value)
		value = old.rlim_max;
	struct rlimit rl = { .rlim_cur = value, .rlim_max = value };
	return setrlimit(resource, &rl);
}

static int set_limits(double timeout_seconds, unsigned long memory_limit_mb)
{
	if (limit(RLIMIT_CORE, 0) < 0 || limit(RLIMIT_NOFILE, 64) < 0 ||
	    limit(RLIMIT_FSIZE, 256ul << 20) < 0 ||
	    limit(RLIMIT_CPU, (rlim_t)timeout_seconds + 5) < 0)
		return -errno;
#if !defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer reserves terabytes of shadow: only without it. */
	if (memory_limit_mb && limit(RLIMIT_AS, (rlim_t)memory_limit_mb << 20) < 0)
		return -errno;
#endif
	return 0;
}

/* Allowed without condition: reading, memory, time, signals, leaving. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv),
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(lseek), SCMP_SYS(close),
	SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(stat),
	SCMP_SYS(lstat), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
	SCMP_SYS(getdents64), SCMP_SYS(fcntl), SCMP_SYS(fadvise64),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity), SCMP_SYS(getrlimit), SCMP_SYS(prlimit64),
	SCMP_SYS(getrusage), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Killing, not refusing: no decoder bug needs these. */
static const int fatal[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(ptrace), SCMP_SYS(socket),
	SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(process_vm_writev), SCMP_SYS(process_vm_readv), SCMP_SYS(kill),
	SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(mount), SCMP_SYS(unshare),
};

static int add_rules(scmp_filter_ctx ctx)
{
	int r;
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0)) < 0)
			return r;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, fatal[i], 0)) < 0)
			return r;
	/* Open read-only: no O_WRONLY, O_RDWR, O_CREAT or O_TRUNC. */
	const scmp_datum_t writing = O_ACCMODE | O_CREAT | O_TRUNC;
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, writing, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
				  SCMP_A1(SCMP_CMP_MASKED_EQ, writing, 0))) < 0)
		return r;
	/* Memory, but never executable: the dump's bytes stay data. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0)
		return r;
	return 0;
}

static int install_filter(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		return -ENOMEM;
	int r = add_rules(ctx);
	if (r >= 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

int sandbox_enter(double timeout_seconds, unsigned long memory_limit_mb)
{
	int r = set_limits(timeout_seconds, memory_limit_mb);
	if (r < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return install_filter();
}
