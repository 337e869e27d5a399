#ifndef CASYNCTOPSUPPORT_H
#define CASYNCTOPSUPPORT_H

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

#endif
