// The observer of a program's own Swift tasks: what the preloaded library
// (libAsyncTopPreload.so) records from the runtime's hooks and exported functions, and
// the calls the monitor (libAsyncTopObserver.so) reads it with.
//
// Declarations only: the functions live in the preloaded library, which the monitor
// library finds in the process when it is loaded.
#ifndef ASYNCTOP_OBSERVER_H
#define ASYNCTOP_OBSERVER_H

#include <stddef.h>
#include <stdint.h>

enum {
    ASYNCTOP_OBS_KIND_UNKNOWN = 0,   // first seen when enqueued: created inside the runtime
    ASYNCTOP_OBS_KIND_UNSTRUCTURED = 1,
    ASYNCTOP_OBS_KIND_DETACHED = 2,
    ASYNCTOP_OBS_KIND_GROUP_CHILD = 3,
    ASYNCTOP_OBS_KIND_ASYNC_LET = 4,
    ASYNCTOP_OBS_KIND_MAIN = 5,
    ASYNCTOP_OBS_KIND_CHILD = 6,     // another child task (a structured child not in a group)
};

enum {
    ASYNCTOP_OBS_STATE_PENDING = 0,   // created, not yet enqueued
    ASYNCTOP_OBS_STATE_READY = 1,     // enqueued on the global executor, waiting for a thread
    ASYNCTOP_OBS_STATE_RUNNING = 2,
    ASYNCTOP_OBS_STATE_SUSPENDED = 3,
    ASYNCTOP_OBS_STATE_SLEEPING = 4,  // enqueued with a deadline (Task.sleep)
    ASYNCTOP_OBS_STATE_FINISHED = 5,
};

enum {
    ASYNCTOP_OBS_WAIT_NONE = 0,
    ASYNCTOP_OBS_WAIT_ASYNC_LET = 1,      // wait_on: the child's id (0 when unknown)
    ASYNCTOP_OBS_WAIT_CONTINUATION = 2,
};

enum {
    ASYNCTOP_OBS_RESULT_UNKNOWN = 0,    // not read (an async let child whose scope ended, a layout not known)
    ASYNCTOP_OBS_RESULT_RETURNED = 1,
    ASYNCTOP_OBS_RESULT_THREW = 2,
};

enum {
    ASYNCTOP_OBS_CANCEL_NONE = 0,
    ASYNCTOP_OBS_CANCEL_TASK = 1,       // cancel_by: the task that called cancel()
    ASYNCTOP_OBS_CANCEL_THREAD = 2,     // cancel_tid: a thread running no task
    ASYNCTOP_OBS_CANCEL_DASHBOARD = 3,
    ASYNCTOP_OBS_CANCEL_GROUP = 4,      // its group's cancelAll(), by cancel_by (task) or cancel_tid
    ASYNCTOP_OBS_CANCEL_SCOPE_END = 5,  // an async let child not awaited: its scope ended (cancel_by: the parent)
};

/// One task as the observer knows it (a copy: safe to read after the call).
typedef struct asynctop_obs_task {
    uint64_t id;
    uint64_t parent;          // 0: none known
    uint64_t version;         // grows with every change
    uint64_t created;         // monotonic ns
    uint64_t state_since;
    uint64_t started;         // first step, 0 before
    uint64_t finished;        // 0 while alive
    uint64_t steps;
    uint64_t busy;            // total step time, ns
    uint64_t last_step, max_step;
    uint64_t last_latency, max_latency;   // enqueue → step start
    uint64_t deadline;        // SLEEPING: monotonic ns it is due
    uint64_t wait_on;
    uint64_t cancel_at;
    uint64_t cancel_by;
    uint64_t sites[4];        // return addresses of the call that created it and its callers, 0: unknown
    int32_t cancel_tid;
    int32_t worker_tid;       // RUNNING: the thread
    uint32_t kind;
    uint32_t state;
    uint32_t wait_kind;
    uint32_t cancel_from;
    uint32_t cancelled;       // the runtime's IsCancelled bit, as last read
    uint32_t result;          // finished: ASYNCTOP_OBS_RESULT_*
    uint64_t error_type;      // RESULT_THREW: the error's type metadata (0 when unread)
    uint32_t name_truncated;
    char name[120];
} asynctop_obs_task_t;

/// A thread that has run jobs of the global executor (a worker of the cooperative pool,
/// or the main thread draining the main queue).
typedef struct asynctop_obs_worker {
    int32_t tid;
    uint32_t is_main;
    uint64_t task;            // the task it runs now, 0: none
    uint64_t since;           // when the current job began, 0 when idle
    uint32_t running_job;     // 1 while it runs a job that is not a task (an actor's drain)
    uint32_t reserved;
    char name[16];
} asynctop_obs_worker_t;

typedef struct asynctop_obs_stats {
    uint64_t now;
    uint64_t spawned;         // tasks seen
    uint64_t steps;           // task steps run
    uint64_t jobs;            // jobs that are not tasks, run
    uint64_t busy;            // total time threads spent running jobs, ns
    uint64_t queued_jobs;     // jobs that are not tasks, enqueued and not yet run
    uint64_t dropped_finished;// finished tasks forgotten before anyone saw them
    uint64_t step_buckets[32];// step durations, powers of two of ns (bucket i: < 2^(i+6) ns)
    uint64_t latency_buckets[32];
} asynctop_obs_stats_t;

enum {
    ASYNCTOP_OBS_ENABLE_ON = 1,
    ASYNCTOP_OBS_ENABLE_NOT_PRELOADED = 2,  // loaded, but the process's calls do not reach it
    ASYNCTOP_OBS_ENABLE_UNSUPPORTED = 3,    // this runtime is not the one the observer knows
};

/// 1 once the preloaded library checked the runtime and records; 0 otherwise.
int asynctop_obs_active(void);
/// Checks the runtime and starts recording (once; later calls give the same answer):
/// ASYNCTOP_OBS_ENABLE_*. Off: `asynctop_obs_off_reason` says why.
int asynctop_obs_enable(void);
/// Why the observer is off (empty when it is on). Static storage.
const char *asynctop_obs_off_reason(void);
/// The monotonic clock the records use.
uint64_t asynctop_obs_now(void);
/// Copies up to `max` tasks into `out`; returns how many there are in all (call again
/// with more room when larger than `max`). Refreshes each live task's cancelled bit and
/// notices tasks that completed away from the global executor.
size_t asynctop_obs_copy_tasks(asynctop_obs_task_t *out, size_t max);
/// Says someone reads the tasks now: finished tasks are then kept a while for them (with
/// nobody reading for 2 s, a finished task is forgotten at once).
void asynctop_obs_note_reader(void);
size_t asynctop_obs_copy_workers(asynctop_obs_worker_t *out, size_t max);
void asynctop_obs_copy_stats(asynctop_obs_stats_t *out);
/// Cancels a task the observer holds. 0: requested; 1: no such task; 2: already finished.
int asynctop_obs_cancel(uint64_t id);
/// The task object of a live task (retained by the observer until it finishes), for
/// reading its async stack; NULL when unknown or finished. The pointer is valid only while
/// the task is alive: read it with fault-safe reads.
void *asynctop_obs_task_object(uint64_t id);

#endif
