/*
 * sandbox.c - what a worker gives up before it serves (after Kore).
 *
 * The parent binds the socket, loads modules and imports rule packs as
 * whoever started it. Each worker then drops to the unprivileged `user`
 * (when started as root), keeps no capability and no way to regain one
 * (no_new_privs), and enters a seccomp filter that allows only the system
 * calls serving needs. Anything else - execve, ptrace, mount, setuid, a
 * raw socket - ends the worker: the filter traps, the handler notes the
 * call's number in a page shared with the parent and the worker dies of
 * SIGSYS; the parent logs which call it was and starts a new worker.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <seccomp.h>

#include "kasus.h"

#define SB_SLOTS	64

/*
 * The system calls a worker makes while it serves: network and files
 * (libmicrohttpd, libpq, hiredis, the document spool), memory, threads
 * waiting on each other, time and randomness. Found by tracing the whole
 * test suite and then read through; names unknown on an architecture are
 * skipped. Not here on purpose: execve, fork/clone, ptrace, mount, setuid
 * and friends, bpf, keyctl, personality, process_vm_*, kill of others.
 */
static const char *const allowed[] = {
	/* files and descriptors */
	"read", "write", "readv", "writev", "pread64", "pwrite64",
	"open", "openat", "close", "lseek", "fstat", "stat", "lstat",
	"newfstatat", "statx", "access", "faccessat", "faccessat2",
	"readlink", "getdents64", "fcntl", "dup", "dup2", "dup3", "pipe2",
	"ftruncate", "fsync", "fdatasync", "unlink", "unlinkat", "sendfile",
	"ioctl", "umask",
	/* the audit seals' anchor is replaced whole (core/audit/audit_seal.c) */
	"rename", "renameat", "renameat2",
	/* network (socket domains are checked below) */
	"connect", "accept", "accept4", "shutdown", "getsockopt",
	"setsockopt", "getsockname", "getpeername", "sendto", "recvfrom",
	"sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "bind",
	/* waiting */
	"poll", "ppoll", "select", "pselect6", "epoll_create1",
	"epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"eventfd2", "futex", "nanosleep", "clock_nanosleep", "sched_yield",
	/* memory */
	"brk", "mmap", "munmap", "mremap", "mprotect", "madvise",
	/* threads and signals of this process */
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigaltstack",
	"rt_sigtimedwait", "set_robust_list", "rseq", "exit", "exit_group",
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid",
	"getegid", "getresuid", "getresgid", "prlimit64", "getrlimit",
	"sched_getaffinity", "uname", "sysinfo", "getrusage", "times",
	/* time and randomness */
	"clock_gettime", "clock_getres", "gettimeofday", "time",
	"getrandom",
	NULL
};

/*
 * AddressSanitizer and LeakSanitizer stop the world at exit to look for
 * leaks: a helper task (clone) lists the threads (getdents), attaches to
 * each (ptrace) and the report goes to a file. Without every call it
 * makes, the filter kills the helper, the worker waits for it until the
 * parent kills the worker, and no leak of a worker is ever reported.
 * Only the test build has them.
 */
#if defined(__SANITIZE_ADDRESS__)
static const char *const allowed_sanitizer[] = {
	"clone", "ptrace", "wait4", "waitid", "kill", "tgkill", "getdents",
	"tkill", "getpgid", "sched_getparam", "sched_getscheduler",
	"mincore", "msync", "setrlimit", "set_tid_address",
	NULL
};
#endif

static volatile int *forbidden;	/* per slot, shared with the parent */
static uid_t drop_uid;
static gid_t drop_gid;
static int drop;

int
ks_sandbox_prepare(int nslots)
{
	struct passwd *pw;

	(void)nslots;
	forbidden = mmap(NULL, SB_SLOTS * sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (forbidden == MAP_FAILED) {
		forbidden = NULL;
		return KS_ERROR;
	}
	if (!ks_conf.seccomp)
		ks_log(KS_LOG_WARN, "seccomp = 0: workers run without a "
		    "system call filter");
	if (geteuid() != 0) {
		ks_log(KS_LOG_INFO, "running as uid %d, not root: workers "
		    "keep this user", (int)geteuid());
		return KS_OK;
	}
	if ((pw = getpwnam(ks_conf.user)) == NULL || pw->pw_uid == 0) {
		ks_log(KS_LOG_ERROR, "started as root, but user \"%s\" %s; "
		    "workers never serve as root (create it with useradd "
		    "--system, or set user =)", ks_conf.user, pw == NULL ?
		    "does not exist" : "is root");
		return KS_ERROR;
	}
	drop_uid = pw->pw_uid;
	drop_gid = pw->pw_gid;
	drop = 1;
	ks_log(KS_LOG_INFO, "workers drop to user %s (uid %d)", ks_conf.user,
	    (int)drop_uid);
	return KS_OK;
}

int
ks_sandbox_drop(void)
{
	struct rlimit no = { 0, 0 };

	/* A core file would hold the master key and session data. */
	setrlimit(RLIMIT_CORE, &no);
	if (drop) {
		if (setgroups(1, &drop_gid) != 0 || setgid(drop_gid) != 0 ||
		    setuid(drop_uid) != 0) {
			ks_log(KS_LOG_ERROR, "cannot drop to user %s: %s",
			    ks_conf.user, strerror(errno));
			return KS_ERROR;
		}
		/* The way back must be closed. */
		if (setuid(0) == 0 || geteuid() == 0) {
			ks_log(KS_LOG_ERROR, "root could be regained after the "
			    "drop");
			return KS_ERROR;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		ks_log(KS_LOG_ERROR, "cannot set no_new_privs: %s",
		    strerror(errno));
		return KS_ERROR;
	}
	return KS_OK;
}

/* Async-signal-safe: one store, then the default action (SA_RESETHAND). */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (forbidden != NULL && ks_worker_slot >= 0 &&
	    ks_worker_slot < SB_SLOTS)
		forbidden[ks_worker_slot] = si->si_syscall;
	raise(sig);
}

static int
allow_list(scmp_filter_ctx f, const char *const *names)
{
	int nr;

	for (; *names != NULL; names++) {
		if ((nr = seccomp_syscall_resolve_name(*names)) ==
		    __NR_SCMP_ERROR)
			continue;	/* not on this architecture */
		if (seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0) != 0)
			return KS_ERROR;
	}
	return KS_OK;
}

/* Calls allowed only with some arguments. */
static int
allow_narrow(scmp_filter_ctx f)
{
	static const int domains[] = { AF_UNIX, AF_INET, AF_INET6,
	    AF_NETLINK };
	static const int prctls[] = { PR_SET_NAME, PR_GET_NAME,
#if defined(__SANITIZE_ADDRESS__)
	    /* LeakSanitizer's helper attaches to the threads, dies with us. */
	    PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_SET_PTRACER,
	    PR_SET_PDEATHSIG,
#endif
	};
	size_t i;

	/* Sockets of the kinds a client of TCP and DNS opens, no raw ones. */
	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++)
		if (seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)domains[i])) != 0)
			return KS_ERROR;
#if !defined(__SANITIZE_ADDRESS__)
	/* Signals only to this process (raise, abort, pthread_kill). */
	if (seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid())) != 0 ||
	    seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
	    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid())) != 0)
		return KS_ERROR;
#endif
	/* Threads name themselves (libmicrohttpd's pool, as they start). */
	for (i = 0; i < sizeof(prctls) / sizeof(prctls[0]); i++)
		if (seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)prctls[i])) != 0)
			return KS_ERROR;
	/* glibc asks for clone3 first; "not implemented" sends it to clone. */
	if (seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
	    0) != 0)
		return KS_ERROR;
	return KS_OK;
}

int
ks_sandbox_enter(void)
{
	struct sigaction sa;
	scmp_filter_ctx f;
	int rc;

	if (!ks_conf.seccomp)
		return KS_OK;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) != 0)
		return KS_ERROR;
	if ((f = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		return KS_ERROR;
	/* Every thread libmicrohttpd and the listener already started. */
	rc = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1) == 0 &&
	    allow_list(f, allowed) == KS_OK && allow_narrow(f) == KS_OK;
#if defined(__SANITIZE_ADDRESS__)
	rc = rc && allow_list(f, allowed_sanitizer) == KS_OK;
#endif
	if (rc)
		rc = seccomp_load(f) == 0;
	seccomp_release(f);
	if (!rc) {
		ks_log(KS_LOG_ERROR, "cannot enter the system call filter");
		return KS_ERROR;
	}
	return KS_OK;
}

int
ks_sandbox_forbidden(int slot, char *name, size_t len)
{
	char *s;
	int nr;

	if (forbidden == NULL || slot < 0 || slot >= SB_SLOTS ||
	    (nr = forbidden[slot]) <= 0)
		return 0;
	forbidden[slot] = 0;
	s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	snprintf(name, len, "%s", s != NULL ? s : "unknown");
	free(s);
	return nr;
}
