// SPDX-License-Identifier: MIT
/*
 * The worker's sandbox, entered after fork.  A dump is hostile input: a bug
 * in a decoder must not become the daemon's privileges.  The daemon opens
 * the dump itself and hands the worker the descriptor, so the worker needs
 * no file system at all.  It gets
 *   - an unprivileged identity: when the daemon is root, the `nobody` user
 *     and its group (looked up before the fork; 65534 when there is none),
 *     no supplementary groups; under the unit, whose daemon already runs as
 *     a DynamicUser uid, that uid.  Either way no capabilities at all, and
 *     not dumpable (no other process of that uid may ptrace or read it);
 *   - resource limits: no core files, CPU time just above the wall-time
 *     limit, address space (memory_limit_mb), file size, a few descriptors;
 *   - no new privileges (set-uid binaries are inert, seccomp is allowed);
 *   - a seccomp allowlist: read and write the descriptors it was given,
 *     memory without PROT_EXEC, signals to itself only, its own rlimits
 *     read but not changed.  No open of any kind, no signal, rlimit or
 *     priority change for another process: those fail with EPERM; starting
 *     programs or processes, sockets and ptrace kill it.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ktriaged.h"

/* The overflow uid/gid: what `nobody` is on Linux when no user database says. */
#define FALLBACK_NOBODY 65534

void sandbox_worker_identity(uid_t *uid, gid_t *gid)
{
	const struct passwd *pw = getpwnam("nobody");
	*uid = pw && pw->pw_uid != 0 ? pw->pw_uid : FALLBACK_NOBODY;
	*gid = pw && pw->pw_gid != 0 ? pw->pw_gid : FALLBACK_NOBODY;
}

static int clear_capabilities(void)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { { 0 } };
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (syscall(SYS_capset, &header, none) < 0)
		return -errno;
	return 0;
}

/* Root becomes uid/gid; anyone else keeps its (unprivileged) uid.  Then no capabilities. */
static int drop_identity(uid_t uid, gid_t gid)
{
	/* A change of credentials clears the parent-death signal: set it again. */
	int death_signal = 0;
	if (prctl(PR_GET_PDEATHSIG, &death_signal, 0, 0, 0) < 0)
		return -errno;
	if (geteuid() == 0 || getuid() == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			return -errno;
	} else if (getgroups(0, NULL) > 0 && setgroups(0, NULL) < 0) {
		return -errno; /* supplementary groups it cannot shed */
	}
	int r = clear_capabilities();
	if (r < 0)
		return r;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    (death_signal && prctl(PR_SET_PDEATHSIG, death_signal, 0, 0, 0) < 0))
		return -errno;
	uid_t ruid, euid, suid;
	if (getresuid(&ruid, &euid, &suid) < 0 || !ruid || !euid || !suid)
		return -EPERM;
	return 0;
}

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

/* Allowed without condition: descriptors it has, memory, time, leaving. */
static const int allowed[] = {
	SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(preadv),
	SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pwrite64), SCMP_SYS(lseek),
	SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(fcntl), SCMP_SYS(fadvise64),
	SCMP_SYS(dup), SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(getppid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid), SCMP_SYS(getresuid), SCMP_SYS(getresgid), SCMP_SYS(getgroups),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
	SCMP_SYS(sigaltstack), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	SCMP_SYS(getrlimit), SCMP_SYS(getrusage), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* Killing, not refusing: no decoder bug needs these. */
static const int fatal[] = {
	SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork), SCMP_SYS(vfork),
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(ptrace), SCMP_SYS(socket),
	SCMP_SYS(socketpair), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(process_vm_writev), SCMP_SYS(process_vm_readv),
	SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(mount), SCMP_SYS(unshare),
};

static int add_list(scmp_filter_ctx ctx, uint32_t action, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, action, list[i], 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Calls allowed only on itself, or only in a harmless form. */
static int add_conditional(scmp_filter_ctx ctx)
{
	const scmp_datum_t self = (scmp_datum_t)getpid();
	int r;
	/* Signals to itself (abort, raise); to anyone else EPERM. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				  SCMP_A0(SCMP_CMP_EQ, self))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				  SCMP_A0(SCMP_CMP_EQ, self))) < 0)
		return r;
	/* Its own limits read (pid 0, no new value), never set. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
				  SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0))) < 0)
		return r;
	/* fstat as glibc makes it: a descriptor and an empty path. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
				  SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(statx), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH))) < 0)
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
	int r = add_list(ctx, SCMP_ACT_ALLOW, allowed, sizeof(allowed) / sizeof(allowed[0]));
	if (r >= 0)
		r = add_list(ctx, SCMP_ACT_KILL_PROCESS, fatal, sizeof(fatal) / sizeof(fatal[0]));
	if (r >= 0)
		r = add_conditional(ctx);
	if (r >= 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

int sandbox_enter(const struct sandbox_limits *limits)
{
	int r = drop_identity(limits->uid, limits->gid);
	if (r < 0)
		return r;
	if ((r = set_limits(limits->timeout_seconds, limits->memory_limit_mb)) < 0)
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return install_filter();
}
