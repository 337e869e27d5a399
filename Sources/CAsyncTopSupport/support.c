#define _GNU_SOURCE
#include "CAsyncTopSupport.h"
#include "spawn_defaults.h"
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <stdio.h>

extern char **environ;

int asynctop_set_thread_name(const char *name) {
    char cut[16];
    strncpy(cut, name, 15);
    cut[15] = 0;
    return pthread_setname_np(pthread_self(), cut);
}

int asynctop_get_thread_name(char *buf, int size) {
    return pthread_getname_np(pthread_self(), buf, (size_t)size);
}

int64_t asynctop_gettid(void) { return (int64_t)syscall(SYS_gettid); }

uint64_t asynctop_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static __thread void *spawn_slot __attribute__((tls_model("initial-exec")));
void *asynctop_tls_spawn_slot(void) { return spawn_slot; }
void asynctop_set_tls_spawn_slot(void *value) { spawn_slot = value; }

static __thread void *loop_slot __attribute__((tls_model("initial-exec")));
void *asynctop_tls_loop(void) { return loop_slot; }
void asynctop_set_tls_loop(void *value) { loop_slot = value; }

static int raise_fd(int fd) {
    if (fd >= 10) return fd;
    int raised = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    int saved = errno;
    close(fd);
    errno = saved;
    return raised;
}

int asynctop_cloexec_pipe(int fds[2]) {
    int raw[2];
    if (pipe2(raw, O_CLOEXEC) != 0) return errno;
    int r = raise_fd(raw[0]);
    if (r < 0) { int e = errno; close(raw[1]); return e; }
    int w = raise_fd(raw[1]);
    if (w < 0) { int e = errno; close(r); return e; }
    fds[0] = r;
    fds[1] = w;
    return 0;
}

int asynctop_spawn_worker(const char *path, char *const argv[], const char *extra_env,
                          int request_fd, int result_fd, int *pid_out) {
    size_t name_len = strchr(extra_env, '=') ? (size_t)(strchr(extra_env, '=') - extra_env) + 1 : strlen(extra_env);
    size_t count = 0;
    for (char **e = environ; e && *e; e++) count++;
    char **envp = malloc((count + 2) * sizeof(char *));
    if (!envp) return ENOMEM;
    size_t n = 0;
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, extra_env, name_len) != 0) envp[n++] = *e;
    }
    envp[n++] = (char *)extra_env;
    envp[n] = NULL;

    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_adddup2(&actions, request_fd, 3);
    posix_spawn_file_actions_adddup2(&actions, result_fd, 4);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    asynctop_spawn_default_signals(&attr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path, &actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    free(envp);
    if (rc == 0) *pid_out = (int)pid;
    return rc;
}

int asynctop_reap_child(int pid, int *exit_code, int *signal_out) {
    int status = 0;
    pid_t r;
    do { r = waitpid((pid_t)pid, &status, 0); } while (r < 0 && errno == EINTR);
    if (r < 0) return errno;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    *signal_out = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return 0;
}

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>

static int asynctop_fill_unix_address(const char *path, struct sockaddr_un *address) {
    memset(address, 0, sizeof *address);
    address->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof address->sun_path) return -ENAMETOOLONG;
    strcpy(address->sun_path, path);
    return 0;
}

int asynctop_unix_listen(const char *path, int backlog) {
    struct sockaddr_un address;
    int failed = asynctop_fill_unix_address(path, &address);
    if (failed) return failed;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    // Linux gives the bound socket file the socket inode's mode: 0600 from the start.
    fchmod(fd, 0600);
    if (bind(fd, (struct sockaddr *)&address, sizeof address) != 0 || listen(fd, backlog) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int asynctop_unix_connect(const char *path) {
    struct sockaddr_un address;
    int failed = asynctop_fill_unix_address(path, &address);
    if (failed) return failed;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int result;
    do { result = connect(fd, (struct sockaddr *)&address, sizeof address); } while (result != 0 && errno == EINTR);
    if (result != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int asynctop_peer_credentials(int fd, uint32_t *uid, int32_t *pid) {
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return errno;
    *uid = credentials.uid;
    *pid = credentials.pid;
    return 0;
}

int asynctop_accept(int fd) {
    int accepted;
    do { accepted = accept4(fd, NULL, NULL, SOCK_CLOEXEC); } while (accepted < 0 && errno == EINTR);
    return accepted < 0 ? -errno : accepted;
}

// MARK: Code ranges and fault-proof reads (for async stacks)

#include <link.h>
#include <sys/uio.h>

struct code_ranges { uintptr_t *ranges; int capacity; int count; };

static int note_code_ranges(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct code_ranges *out = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        if (out->count < out->capacity) {
            out->ranges[2 * out->count] = info->dlpi_addr + ph->p_vaddr;
            out->ranges[2 * out->count + 1] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
        }
        out->count++;
    }
    return 0;
}

int asynctop_code_ranges(uintptr_t *ranges, int capacity) {
    struct code_ranges out = { ranges, capacity, 0 };
    dl_iterate_phdr(note_code_ranges, &out);
    return out.count;
}

int asynctop_safe_read(uintptr_t address, void *buffer, size_t size) {
    struct iovec local = { buffer, size };
    struct iovec remote = { (void *)address, size };
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (n == (ssize_t)size) return 0;
    return n < 0 ? errno : EFAULT;
}

/// The signal mask of the process's main thread (its "SigBlk" in /proc), or 0 when unread.
static int main_thread_mask(sigset_t *mask) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)getpid());
    FILE *status = fopen(path, "re");
    if (!status) return 0;
    int found = 0;
    while (fgets(line, sizeof line, status)) {
        if (strncmp(line, "SigBlk:", 7) != 0) continue;
        unsigned long long bits = strtoull(line + 7, NULL, 16);
        sigemptyset(mask);
        for (int signal = 1; signal <= 64; signal++)
            if (bits & (1ull << (signal - 1))) sigaddset(mask, signal);
        found = 1;
        break;
    }
    fclose(status);
    return found;
}

int asynctop_reexec_preloaded(const char *library, const char *marker) {
    // The arguments, as the kernel keeps them.
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    size_t capacity = 4096, length = 0;
    char *text = malloc(capacity);
    for (;;) {
        if (!text) { close(fd); return ENOMEM; }
        ssize_t got = read(fd, text + length, capacity - length);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { int error = errno; close(fd); free(text); return error; }
        if (got == 0) break;
        length += (size_t)got;
        if (length == capacity) text = realloc(text, capacity *= 2);
    }
    close(fd);
    size_t argc = 0;
    for (size_t i = 0; i < length; i++) if (!text[i]) argc++;
    char **argv = calloc(argc + 1, sizeof(char *));
    if (!argv) { free(text); return ENOMEM; }
    for (size_t i = 0, start = 0, n = 0; i < length; i++)
        if (!text[i]) { argv[n++] = text + start; start = i + 1; }

    // The environment, LD_PRELOAD with `library` first, and the marker.
    size_t count = 0;
    for (char **e = environ; e && *e; e++) count++;
    char **envp = calloc(count + 3, sizeof(char *));
    const char *preloaded = getenv("LD_PRELOAD");
    size_t size = strlen("LD_PRELOAD=") + strlen(library) + (preloaded && *preloaded ? strlen(preloaded) + 1 : 0) + 1;
    char *preload = malloc(size);
    if (!envp || !preload) { free(text); free(argv); free(envp); free(preload); return ENOMEM; }
    snprintf(preload, size, "LD_PRELOAD=%s%s%s", library, preloaded && *preloaded ? ":" : "", preloaded && *preloaded ? preloaded : "");
    size_t marker_name = strcspn(marker, "=");
    size_t n = 0;
    for (char **e = environ; e && *e; e++) {
        if (!strncmp(*e, "LD_PRELOAD=", 11)) continue;
        if (!strncmp(*e, marker, marker_name + 1)) continue;
        envp[n++] = *e;
    }
    envp[n++] = preload;
    envp[n++] = (char *)marker;
    envp[n] = NULL;

    sigset_t mask, old;
    int restore = main_thread_mask(&mask) && pthread_sigmask(SIG_SETMASK, &mask, &old) == 0;
    execve("/proc/self/exe", argv, envp);
    int error = errno;
    if (restore) pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(text);
    free(argv);
    free(envp);
    free(preload);
    return error;
}
