#define _GNU_SOURCE
#include "CAsyncTopSupport.h"
#include "spawn_defaults.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

/// One standard descriptor's file action: a pipe end, /dev/null, the child's stdout, or nothing.
static void add_standard(posix_spawn_file_actions_t *actions, int source, int target, int flags) {
    if (source >= 0) {
        posix_spawn_file_actions_adddup2(actions, source, target);
    } else if (source == ASYNCTOP_SPAWN_DEVNULL) {
        posix_spawn_file_actions_addopen(actions, target, "/dev/null", flags, 0);
    } else if (source == ASYNCTOP_SPAWN_STDOUT) {
        posix_spawn_file_actions_adddup2(actions, 1, target);
    }
}

int asynctop_spawn_process(const char *path, char *const argv[], char *const envp[], const char *cwd,
                           int stdin_fd, int stdout_fd, int stderr_fd, int *pid_out) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    // In order: stdout before stderr, so that stderr = STDOUT copies the new descriptor 1.
    add_standard(&actions, stdin_fd, 0, O_RDONLY);
    add_standard(&actions, stdout_fd, 1, O_WRONLY);
    add_standard(&actions, stderr_fd, 2, O_WRONLY);
    // Nothing but 0, 1 and 2 crosses over (Python's close_fds), even a descriptor some
    // other code opened without close-on-exec.
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (cwd) posix_spawn_file_actions_addchdir_np(&actions, cwd);
    // The loop's thread blocks SIGPIPE, and a program may ignore or catch signals: the
    // child starts with every signal unblocked and at its default action.
    asynctop_spawn_default_signals(&attr);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path, &actions, &attr, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc == 0) *pid_out = (int)pid;
    return rc;
}

int asynctop_pidfd_open(int pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

int asynctop_reap(int pid, int blocking, int *returncode) {
    int status = 0;
    pid_t r;
    do { r = waitpid((pid_t)pid, &status, blocking ? 0 : WNOHANG); } while (r < 0 && errno == EINTR);
    if (r < 0) return -errno;
    if (r == 0) return 0;
    if (WIFEXITED(status)) *returncode = WEXITSTATUS(status);
    else if (WIFSIGNALED(status)) *returncode = -WTERMSIG(status);
    else return 0;  // stopped or continued: not an exit
    return 1;
}

int asynctop_eventfd(void) {
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    return fd < 0 ? -errno : fd;
}

int asynctop_is_executable_file(const char *path) {
    struct stat info;
    if (stat(path, &info) != 0) return errno;
    if (!S_ISREG(info.st_mode)) return EACCES;
    return access(path, X_OK) == 0 ? 0 : errno;
}
