// Monitor socket files removed when SIGTERM ends the process: see CAsyncTopSupport.h.
#define _GNU_SOURCE
#include "CAsyncTopSupport.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLEANUP_SLOTS 16
#define CLEANUP_PATH_SIZE 128  // a socket path fits in 108 bytes

// Written under `cleanup_lock`; read by the handler without it: a slot's path is written
// before its flag is set, and its flag cleared before the path changes.
static char cleanup_paths[CLEANUP_SLOTS][CLEANUP_PATH_SIZE];
static atomic_int cleanup_used[CLEANUP_SLOTS];
static pthread_mutex_t cleanup_lock = PTHREAD_MUTEX_INITIALIZER;
static int cleanup_considered = 0;
static int cleanup_installed = 0;

void asynctop_unlink_monitor_sockets(void) {
    for (int i = 0; i < CLEANUP_SLOTS; i++) {
        if (atomic_load(&cleanup_used[i])) unlink(cleanup_paths[i]);
    }
}

static void cleanup_on_term(int sig) {
    int saved = errno;
    asynctop_unlink_monitor_sockets();
    // SA_RESETHAND restored the default action: raising again ends the process as SIGTERM
    // would have without us (its wait status says so).
    signal(sig, SIG_DFL);
    raise(sig);
    errno = saved;
}

int asynctop_remember_monitor_socket(const char *path) {
    size_t length = strlen(path);
    if (length >= CLEANUP_PATH_SIZE) return ENAMETOOLONG;
    pthread_mutex_lock(&cleanup_lock);
    if (!cleanup_considered) {
        cleanup_considered = 1;
        // A program that returns from main (or calls exit) with a server still up.
        atexit(asynctop_unlink_monitor_sockets);
        struct sigaction old;
        if (sigaction(SIGTERM, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
            struct sigaction action;
            memset(&action, 0, sizeof action);
            action.sa_handler = cleanup_on_term;
            sigemptyset(&action.sa_mask);
            action.sa_flags = SA_RESETHAND;
            cleanup_installed = sigaction(SIGTERM, &action, NULL) == 0;
        }
    }
    int result = ENOSPC;
    for (int i = 0; i < CLEANUP_SLOTS; i++) {
        if (atomic_load(&cleanup_used[i])) continue;
        memcpy(cleanup_paths[i], path, length + 1);
        atomic_store(&cleanup_used[i], 1);
        result = 0;
        break;
    }
    pthread_mutex_unlock(&cleanup_lock);
    return result;
}

void asynctop_forget_monitor_socket(const char *path) {
    pthread_mutex_lock(&cleanup_lock);
    for (int i = 0; i < CLEANUP_SLOTS; i++) {
        if (atomic_load(&cleanup_used[i]) && strcmp(cleanup_paths[i], path) == 0) {
            atomic_store(&cleanup_used[i], 0);
            break;
        }
    }
    pthread_mutex_unlock(&cleanup_lock);
}

int asynctop_monitor_cleanup_installed(void) {
    pthread_mutex_lock(&cleanup_lock);
    int installed = cleanup_installed;
    pthread_mutex_unlock(&cleanup_lock);
    return installed;
}
