#ifndef CASYNCTOPSUPPORT_H
#define CASYNCTOPSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Names the calling thread (at most 15 bytes are kept; longer names are cut). Returns 0 on success.
int asynctop_set_thread_name(const char *name);

/// Writes the calling thread's name into buf (size bytes). Returns 0 on success.
int asynctop_get_thread_name(char *buf, int size);

/// The kernel's id of the calling thread.
int64_t asynctop_gettid(void);

/// Nanoseconds of CLOCK_MONOTONIC.
uint64_t asynctop_monotonic_ns(void);

/// A per-thread slot the runtime uses to hand a spawn's record to the executor's enqueue,
/// which the Swift runtime calls synchronously on the same thread while creating the task.
void *asynctop_tls_spawn_slot(void);
void asynctop_set_tls_spawn_slot(void *value);

/// A per-thread slot naming the event loop whose thread this is (null elsewhere).
void *asynctop_tls_loop(void);
void asynctop_set_tls_loop(void *value);

/// A pipe whose two ends are close-on-exec and numbered 10 or above, so that a spawn's
/// dup2 onto low descriptors never collides with them. Returns 0, or an errno.
int asynctop_cloexec_pipe(int fds[2]);

/// Spawns `path` (argv as given; the parent's environment plus `extra_env`, which replaces
/// an entry of the same name) with `request_fd` as its descriptor 3, `result_fd` as its
/// descriptor 4, standard input from /dev/null, and every signal unblocked and at its
/// default action. Returns 0 and the pid in `pid_out`, or an errno.
int asynctop_spawn_worker(const char *path, char *const argv[], const char *extra_env,
                          int request_fd, int result_fd, int *pid_out);

/// Waits for a child (retrying on EINTR). Returns 0 with its exit status in `exit_code`
/// (-1 when it did not exit) and the signal that ended it in `signal_out` (0 when none),
/// or an errno.
int asynctop_reap_child(int pid, int *exit_code, int *signal_out);

/// A Unix domain stream socket bound to `path` (mode 0600) and listening, close-on-exec.
/// Returns the descriptor, or minus an errno (-ENAMETOOLONG when the path does not fit).
int asynctop_unix_listen(const char *path, int backlog);

/// A Unix domain stream socket connected to `path`, close-on-exec. Returns the
/// descriptor, or minus an errno.
int asynctop_unix_connect(const char *path);

/// Remembers a monitor socket file to remove if SIGTERM ends the process. The first call
/// installs a SIGTERM handler if the program has none (SIG_DFL): it unlinks the remembered
/// files (async-signal-safe calls only) and raises SIGTERM again with the default action;
/// and an atexit handler that unlinks them too.
/// Returns 0, ENAMETOOLONG or ENOSPC (16 sockets at most).
int asynctop_remember_monitor_socket(const char *path);
/// Forgets a socket file remembered above (the server removed it itself).
void asynctop_forget_monitor_socket(const char *path);
/// Unlinks the remembered socket files; async-signal-safe, for a program's own handler.
void asynctop_unlink_monitor_sockets(void);
/// 1 when the SIGTERM handler above was installed.
int asynctop_monitor_cleanup_installed(void);

/// Accepts a connection, close-on-exec, retrying on EINTR. Returns the descriptor, or minus an errno.
int asynctop_accept(int fd);

/// The user and process ids of the peer of a connected Unix socket (SO_PEERCRED).
/// Returns 0, or an errno.
int asynctop_peer_credentials(int fd, uint32_t *uid, int32_t *pid);

/// The address ranges of every loaded image's executable segments, as [start, end) pairs
/// in `ranges` (2 * capacity entries). Returns how many there are, which may exceed
/// `capacity` (then only the first `capacity` are written).
int asynctop_code_ranges(uintptr_t *ranges, int capacity);

/// Reads `size` bytes at `address` of this process into `buffer` without faulting on an
/// unmapped address (process_vm_readv on itself). Returns 0, or an errno (EFAULT).
int asynctop_safe_read(uintptr_t address, void *buffer, size_t size);

// MARK: The event loop's reactor (epoll) and non-blocking I/O

/// The readiness bits of the reactor (epoll's values).
#define ASYNCTOP_IO_IN 0x001u
#define ASYNCTOP_IO_OUT 0x004u
#define ASYNCTOP_IO_ERR 0x008u
#define ASYNCTOP_IO_HUP 0x010u
#define ASYNCTOP_IO_RDHUP 0x2000u
#define ASYNCTOP_IO_ET 0x80000000u

/// An epoll instance and an eventfd registered in it for wake-ups, both close-on-exec.
/// Returns 0, or an errno.
int asynctop_reactor_create(int *epoll_fd, int *wake_fd);
/// epoll_ctl with the descriptor as the event's data: op 0 adds, 1 modifies, 2 removes.
/// Returns 0, or an errno.
int asynctop_reactor_ctl(int epoll_fd, int op, int fd, uint32_t events);
/// Waits for readiness for up to timeout_ns (negative: no limit; 0: poll) with nanosecond
/// precision where the kernel has epoll_pwait2 (milliseconds rounded up otherwise), and
/// writes each ready descriptor and its bits. Returns how many (0 on EINTR), or minus an errno.
int asynctop_reactor_wait(int epoll_fd, int32_t *fds, uint32_t *events, int max, int64_t timeout_ns);
/// Wakes a reactor's wait from any thread.
void asynctop_reactor_wake(int wake_fd);
/// Takes a wake-up's count out of the eventfd.
void asynctop_reactor_drain(int wake_fd);
/// Blocks SIGPIPE on the calling thread (the loop's): a write to a closed pipe fails with EPIPE.
void asynctop_block_sigpipe(void);

/// read(2), retrying on EINTR: the count, or minus an errno.
int64_t asynctop_read(int fd, void *buffer, size_t size);
/// send(2) with MSG_NOSIGNAL on a socket, write(2) otherwise (taking the SIGPIPE it leaves
/// pending on a thread that blocks it), retrying on EINTR: the count, or minus an errno.
int64_t asynctop_write(int fd, const void *buffer, size_t size, int is_socket);
/// Sets O_NONBLOCK. Returns 0, or an errno.
int asynctop_set_nonblocking(int fd);

/// A socket address of any family, as bytes.
struct asynctop_address {
    int32_t family;
    uint32_t length;
    uint8_t bytes[112];
};

/// getaddrinfo for stream sockets: writes up to `capacity` addresses. Returns -1000 - count
/// when it found some; otherwise a getaddrinfo error (see asynctop_resolve_error), or minus an errno.
int asynctop_resolve(const char *host, int port, int passive, struct asynctop_address *out, int capacity);
const char *asynctop_resolve_error(int code);
/// A Unix domain address. Returns 0 or ENAMETOOLONG.
int asynctop_unix_address(const char *path, struct asynctop_address *out);
/// A non-blocking, close-on-exec stream socket (TCP_NODELAY for TCP). The descriptor, or minus an errno.
int asynctop_stream_socket(int family);
/// connect(2), retrying on EINTR: 0, or an errno (EINPROGRESS while it connects).
int asynctop_connect(int fd, const struct asynctop_address *address);
/// SO_ERROR: the outcome of a non-blocking connect.
int asynctop_socket_error(int fd);
/// A non-blocking listening socket bound to `address`. The descriptor, or minus an errno.
int asynctop_listen(const struct asynctop_address *address, int backlog, int reuse_address);
/// accept4, non-blocking and close-on-exec (TCP_NODELAY for TCP): the descriptor, or minus an errno.
int asynctop_accept_nonblocking(int fd, struct asynctop_address *peer);
int asynctop_local_address(int fd, struct asynctop_address *out);
int asynctop_peer_address(int fd, struct asynctop_address *out);
/// "127.0.0.1:8080", "[::1]:8080" or a socket path. Returns the length snprintf would write.
int asynctop_format_address(const struct asynctop_address *address, char *buffer, int size);
int asynctop_address_port(const struct asynctop_address *address);
int asynctop_shutdown_write(int fd);

// MARK: Subprocesses

/// What a standard descriptor of a spawned process is, when not a descriptor of ours.
#define ASYNCTOP_SPAWN_INHERIT (-1)
#define ASYNCTOP_SPAWN_DEVNULL (-2)
/// For stderr: the child's stdout (asyncio's STDOUT).
#define ASYNCTOP_SPAWN_STDOUT (-3)

/// Spawns `path` (no PATH search) with `argv`, `envp` (null: this process's environment)
/// and `cwd` (null: ours). Each of stdin_fd/stdout_fd/stderr_fd is a descriptor to dup2
/// onto 0/1/2 (numbered 3 or above), or one of the ASYNCTOP_SPAWN_ values. Every other
/// descriptor is closed in the child; every signal is unblocked and at its default action.
/// Returns 0 and the pid in `pid_out`, or an errno (the exec's: ENOENT, EACCES, ENOEXEC…).
int asynctop_spawn_process(const char *path, char *const argv[], char *const envp[], const char *cwd,
                           int stdin_fd, int stdout_fd, int stderr_fd, int *pid_out);
/// pidfd_open(2): a close-on-exec descriptor readable once the process exits. The
/// descriptor, or minus an errno (-ENOSYS before Linux 5.3).
int asynctop_pidfd_open(int pid);
/// waitpid for one child, blocking or not, retrying on EINTR. Returns 1 with asyncio's
/// returncode (the exit status, or minus the signal that ended it), 0 when it has not
/// exited, or minus an errno (-ECHILD: not a child, or reaped already).
int asynctop_reap(int pid, int blocking, int *returncode);
/// A non-blocking, close-on-exec eventfd. The descriptor, or minus an errno.
int asynctop_eventfd(void);
/// 0 when `path` is a regular file this process may execute; else an errno (ENOENT, EACCES).
int asynctop_is_executable_file(const char *path);

/// Replaces this process's image with the same program (`/proc/self/exe`), the same
/// arguments (`/proc/self/cmdline`, byte for byte) and environment, with `library` put first
/// in `LD_PRELOAD` and `marker` ("NAME=VALUE") added, and the main thread's signal mask
/// (a thread of the cooperative pool blocks most signals). Returns only on failure: an errno.
int asynctop_reexec_preloaded(const char *library, const char *marker);

#endif
