#define _GNU_SOURCE
#include "CAsyncTopSupport.h"
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

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
