/**
 * The seccomp profile of learner nodes: an allow-list (anything not named is refused with EPERM,
 * including syscalls newer kernels add), derived from Docker's default profile for x86-64:
 * - every syscall Docker's default allows any container (`DOCKER_BASE`), except io_uring (a large
 *   kernel surface that hardened profiles refuse; nothing in the lab uses it) and clock_adjtime;
 * - what Docker's default grants a container with CAP_SYS_ADMIN, CAP_SYS_CHROOT and CAP_SYS_NICE
 *   (which a node has), but only the parts a nested Docker Engine needs (`NESTED_ENGINE`): mounts,
 *   namespaces and hostnames, never bpf, perf_event_open, fanotify_init, lookup_dcookie, quotactl
 *   or syslog;
 * - plus one Docker's default never allows and a nested engine needs: pivot_root (runc enters every
 *   container's root with it).
 * The kernel keyring (keyctl, add_key, request_key) answers ENOSYS, as on a kernel without keys:
 * its quota belongs to the host uid every node's root is, so one learner's keys (or one per inner
 * container, which runc makes when it can) would leave the others' nodes unable to start. runc
 * skips its session keyring on ENOSYS (on EPERM it would fail every container).
 * New user namespaces are refused (clone and unshare with CLONE_NEWUSER): inside a node they would
 * hand a learner a fresh set of capabilities over kernel code that a node never needs.
 * Module loading, kexec, reboot, swap, the kernel log, clock setting, open_by_handle_at, raw I/O
 * ports and userfaultfd stay refused, as Docker's default
 * refuses them to a container without the matching capability.
 */

const DOCKER_BASE = [
  // files and directories
  'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd', 'chmod', 'fchmod', 'fchmodat',
  'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32', 'creat', 'open', 'openat', 'openat2',
  'close', 'close_range', 'dup', 'dup2', 'dup3', 'fcntl', 'fcntl64', 'flock', 'link', 'linkat', 'symlink', 'symlinkat',
  'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat',
  'readlink', 'readlinkat', 'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx',
  'statfs', 'statfs64', 'fstatfs', 'fstatfs64', 'getdents', 'getdents64', 'truncate', 'truncate64', 'ftruncate', 'ftruncate64',
  'fallocate', 'fadvise64', 'fadvise64_64', 'readahead', 'umask', 'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  'getxattr', 'lgetxattr', 'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr', 'listxattr', 'llistxattr', 'flistxattr',
  'removexattr', 'lremovexattr', 'fremovexattr', 'name_to_handle_at', 'inotify_init', 'inotify_init1', 'inotify_add_watch',
  'inotify_rm_watch', 'fanotify_mark', 'sync', 'syncfs', 'fsync', 'fdatasync', 'sync_file_range',
  // reading and writing
  'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2', 'lseek', '_llseek',
  'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
  'ioctl', 'ioprio_get', 'ioprio_set',
  // waiting on many descriptors
  'poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6', 'pselect6_time64',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old', 'epoll_pwait', 'epoll_pwait2',
  'eventfd', 'eventfd2', 'signalfd', 'signalfd4', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64',
  'timerfd_settime', 'timerfd_settime64',
  // memory
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'remap_file_pages',
  'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'membarrier', 'memfd_create', 'memfd_secret',
  'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'process_mrelease',
  // processes, threads and signals
  'execve', 'execveat', 'fork', 'vfork', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid', 'kill', 'tkill', 'tgkill',
  'pidfd_open', 'pidfd_send_signal', 'pause', 'restart_syscall', 'rseq', 'prctl', 'seccomp', 'set_tid_address',
  'set_robust_list', 'get_robust_list', 'set_thread_area', 'get_thread_area', 'futex', 'futex_time64', 'futex_waitv',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sigaltstack', 'sigprocmask', 'sigreturn',
  'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam', 'sched_setparam',
  'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max', 'sched_get_priority_min',
  'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_yield', 'getcpu', 'getpriority', 'setpriority',
  'getrlimit', 'setrlimit', 'ugetrlimit', 'prlimit64', 'getrusage', 'times', 'sysinfo', 'uname',
  'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self',
  // credentials
  'capget', 'capset', 'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
  'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32', 'setuid', 'setuid32',
  'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32', 'setresuid', 'setresuid32',
  'setresgid', 'setresgid32', 'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32', 'setgroups', 'setgroups32',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  // time (reading it, timers, sleeping)
  'adjtimex', 'clock_getres', 'clock_getres_time64', 'clock_gettime', 'clock_gettime64', 'clock_nanosleep',
  'clock_nanosleep_time64', 'gettimeofday', 'time', 'nanosleep', 'alarm', 'getitimer', 'setitimer',
  'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime', 'timer_settime64',
  // sockets (socket itself is below, without AF_VSOCK)
  'accept', 'accept4', 'bind', 'connect', 'listen', 'getpeername', 'getsockname', 'getsockopt', 'setsockopt',
  'recv', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvmmsg_time64', 'send', 'sendto', 'sendmsg', 'sendmmsg',
  'shutdown', 'socketpair', 'socketcall', 'pipe', 'pipe2',
  // System V and POSIX IPC
  'ipc', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'semctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64',
  'shmat', 'shmctl', 'shmdt', 'shmget', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive',
  'mq_timedreceive_time64', 'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink',
  // getrandom, and what Docker allows on kernels >= 4.8 (where seccomp holds under ptrace)
  'getrandom', 'ptrace', 'process_vm_readv', 'process_vm_writev',
  // x86-64
  'arch_prctl', 'modify_ldt',
];

/** Docker's default gives these only with CAP_SYS_ADMIN / CAP_SYS_CHROOT / CAP_SYS_NICE, all of which a node has. */
const NESTED_ENGINE = [
  'mount', 'umount', 'umount2', 'mount_setattr', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick',
  'setns', 'sethostname', 'setdomainname', 'chroot', 'get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node',
  // not in Docker's default at all
  'pivot_root',
];

const CLONE_NEWUSER = 0x10000000;
const ENOSYS = 38;
/** The kernel keyring's calls (see the header: ENOSYS, never allowed). */
export const KEYRING = ['keyctl', 'add_key', 'request_key'];
const AF_VSOCK = 40;
/** The personality values Docker's default allows: Linux, UNAME26, ADDR_NO_RANDOMIZE (and both), and the query. */
const PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

type Rule = { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo?: number; op: string }[] };

export interface SeccompProfile {
  comment: string;
  defaultAction: 'SCMP_ACT_ERRNO';
  defaultErrnoRet: number;
  architectures: string[];
  syscalls: Rule[];
}

export function nodeSeccomp(): SeccompProfile {
  const allow = (names: string[], args?: Rule['args']): Rule => ({ names, action: 'SCMP_ACT_ALLOW', ...(args && { args }) });
  const noNewUserns = [{ index: 0, value: CLONE_NEWUSER, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }];
  return {
    comment: 'Learner nodes: Docker\'s default allow-list plus what a nested Docker Engine needs (sandbox-server/src/isolation/seccomp.ts)',
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      allow([...DOCKER_BASE, ...NESTED_ENGINE]),
      allow(['socket'], [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }]),
      ...PERSONALITIES.map((p) => allow(['personality'], [{ index: 0, value: p, op: 'SCMP_CMP_EQ' }])),
      allow(['clone', 'unshare'], noNewUserns),
      // clone3 passes its flags in memory, which seccomp cannot read: ENOSYS makes libc fall back to clone.
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
      { names: KEYRING, action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    ],
  };
}

/** Every syscall the profile lets through, with some arguments at least. */
export function allowedSyscalls(profile: SeccompProfile): Set<string> {
  return new Set(profile.syscalls.filter((r) => r.action === 'SCMP_ACT_ALLOW').flatMap((r) => r.names));
}
