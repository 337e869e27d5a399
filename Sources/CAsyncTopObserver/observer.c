// The observer of a program's plain Swift tasks, preloaded into it by `asynctop run`
// (libAsyncTopPreload.so). Plain C, so nothing here depends on the program's Swift
// runtime beyond the functions it exports and the few layout facts checked at load.
//
// What it sees, and through what (each verified at load; anything missing turns it off):
// - task creation: `swift_task_create`, which a program calls through its PLT (a
//   preloaded definition comes first): id, parent (the current task), kind (create flags
//   and the job's flags), name (the TaskName option record), spawn site (return address);
// - every job the global executor runs: its dispatch executor hands each job to
//   `dispatch_async_f` (or `dispatch_after_f`, a dispatch timer source for a sleep with
//   tolerance) with the runtime's own run function, from libswift_Concurrency's PLT. The
//   interposed dispatch functions keep the same queue and deadline and wrap only the run
//   function: enqueue time, start, end, the thread, the task's status after its step;
// - waits the program's own code announces: `swift_continuation_await`,
//   `swift_asyncLet_get`; sleeps from the timers above;
// - cancellation: `Task.cancel()` and the groups' `cancelAll()` (Swift entry points a
//   program calls through its PLT).
// Calls made inside the runtime itself are not interposed (and are not seen).
#define _GNU_SOURCE
#include "../CAsyncTopObserverAPI/include/asynctop_observer.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SWIFTCC __attribute__((swiftcall))
#define ASYNCCC __attribute__((swiftasynccall))
#define EXPORT __attribute__((visibility("default")))

// MARK: - Runtime facts (checked in `check_runtime`)

enum { JOB_FLAGS_OFFSET = 32, TASK_STATUS_OFFSET = 96 };
enum { STATUS_CANCELLED = 0x100, STATUS_COMPLETE = 0x2000 };
enum { JOB_KIND_TASK = 0 };
enum { JOB_IS_CHILD = 1u << 24, JOB_IS_FUTURE = 1u << 25, JOB_IS_GROUP_CHILD = 1u << 26, JOB_IS_ASYNC_LET = 1u << 28,
       JOB_HAS_EXECUTOR_PREFERENCE = 1u << 29 };
// A future's fragment follows the 208-byte task and the child (16 bytes) and group child
// (8 bytes) fragments it has: its wait queue word ends as 1 (returned) or 2 (threw), then
// the result type, then the error (a box whose type metadata is at 16).
enum { TASK_SIZE = 208, CHILD_FRAGMENT = 16, GROUP_CHILD_FRAGMENT = 8, ERROR_TYPE_OFFSET = 16, ERROR_BOXED_VALUE_OFFSET = 32,
       EXISTENTIAL_METADATA_KIND = 0x303 };
enum { CREATE_IS_CHILD = 1u << 8, CREATE_COPY_LOCALS = 1u << 10, CREATE_INHERIT_CONTEXT = 1u << 11 };
enum { OPTION_TASK_GROUP = 1, OPTION_TASK_NAME = 7 };
static const uint32_t expected_layout_version = 1;
static const size_t expected_task_size = 208;

typedef struct { void *task; void *context; } task_and_context;
typedef task_and_context (*create_fn)(size_t, void *, const void *, void *, void *) SWIFTCC;
typedef void (*one_pointer_fn)(void *) SWIFTCC;
typedef uint64_t (*task_id_fn)(void *) SWIFTCC;
typedef void *(*current_fn)(void) SWIFTCC;
// A TaskExecutorRef: the executor's identity (0: none preferred) and its witness table.
typedef struct { void *identity; uintptr_t implementation; } executor_ref;
typedef executor_ref (*preferred_fn)(void) SWIFTCC;
typedef void *(*retain_fn)(void *);
typedef void (*release_fn)(void *);
typedef void (*dispatch_fn)(void *, void *, void (*)(void *));
typedef void (*dispatch_after_fn)(uint64_t, void *, void *, void (*)(void *));
typedef void (*set_timer_fn)(void *, uint64_t, uint64_t, uint64_t);
typedef void (*set_context_fn)(void *, void *);
typedef void (*set_handler_fn)(void *, void (*)(void *));
// Its one argument is the continuation's context, in the first argument register.
typedef void (*continuation_await_fn)(void *) ASYNCCC;
typedef void (*job_run_fn)(void *, void *, uintptr_t) SWIFTCC;
// The caller's context goes in the async context register (r14), the rest as usual.
typedef void (*async_let_get_fn)(void *__attribute__((swift_async_context)), void *, void *, void *, void *) ASYNCCC;

static struct {
    create_fn create;
    one_pointer_fn task_cancel_method;        // $sScT6cancelyyF: Task.cancel()
    one_pointer_fn task_cancel;               // swift_task_cancel
    one_pointer_fn group_cancel_all[4];
    task_id_fn task_id;
    current_fn current;
    preferred_fn preferred;                   // swift_task_getPreferredTaskExecutor (optional)
    retain_fn retain;
    release_fn release;
    dispatch_fn async_f;
    dispatch_after_fn after_f;
    set_timer_fn set_timer;
    set_context_fn set_context;
    set_handler_fn set_handler;
    continuation_await_fn continuation_await;
    async_let_get_fn async_let_get;
    async_let_get_fn async_let_get_throwing;
    async_let_get_fn async_let_finish;
    job_run_fn job_run;
    uintptr_t runtime_start, runtime_end;     // libswift_Concurrency's code
} real;

// The interposed functions' own: resolved at load, or at the first call that comes first
// (another library's initializer), whether or not the observer turns itself on.
#define RESOLVED(field, symbol) (real.field ? real.field : (real.field = (__typeof__(real.field))dlsym(RTLD_NEXT, symbol)))

static const char *group_cancel_symbols[4] = {
    "$sScG9cancelAllyyF", "$sScg9cancelAllyyF",
    "$ss19DiscardingTaskGroupV9cancelAllyyF", "$ss27ThrowingDiscardingTaskGroupV9cancelAllyyF",
};

static atomic_int active;
// For the benchmark only (`asynctop-bench observer_floor`), from ASYNCTOP_OBSERVE_FLOOR at
// load: 1 keeps every interposed function and the wrapped run function but records nothing;
// 2 also reads the clock where a step's records would (three reads a step). What any
// observer that sees each job pays before it records anything.
static int floor_mode;
static char off_reason[256];
static void (*runtime_run_job)(void *);        // the runtime's dispatch run function
static void (*runtime_run_leeway)(void *);     // ... and its timer-source handler

EXPORT int asynctop_obs_active(void) { return atomic_load_explicit(&active, memory_order_acquire); }
EXPORT const char *asynctop_obs_off_reason(void) { return off_reason; }

EXPORT uint64_t asynctop_obs_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int in_runtime(const void *address) {
    uintptr_t a = (uintptr_t)address;
    return a >= real.runtime_start && a < real.runtime_end;
}

static inline uint32_t job_flags(void *job) { return *(uint32_t *)((char *)job + JOB_FLAGS_OFFSET); }
static inline int is_task(void *job) { return (job_flags(job) & 0xff) == JOB_KIND_TASK; }
static inline uint32_t status_flags(void *task) {
    return __atomic_load_n((uint32_t *)((char *)task + TASK_STATUS_OFFSET), __ATOMIC_ACQUIRE);
}

static __thread int32_t thread_id;
static inline int32_t my_tid(void) {
    if (!thread_id) thread_id = (int32_t)syscall(SYS_gettid);
    return thread_id;
}

// MARK: - The task table: 64 shards of chained hash tables, keyed by task id

typedef struct record {
    asynctop_obs_task_t info;
    void *task;               // retained while alive; NULL for async let children (never retained)
    void *group;              // a group child's group
    uint64_t enqueued_at;
    uint64_t run_seq;
    int hidden;               // Task.sleep's wake-up job: its sleeper shows the sleep
    void *waited_child;       // the async let child it awaits (alive until its scope ends)
    int ending_scope;         // its async let scope is ending: the child is cancelled and awaited
    struct record *next;
} record;

// Finished tasks stay for a while so a client sees how they ended, then are forgotten:
// at most this many per shard (1,024 in all), for at most `finished_linger`.
enum { FINISHED_PER_SHARD = 16 };

typedef struct shard {
    pthread_mutex_t lock;
    record **buckets;
    size_t bucket_count;
    size_t count;
    record *free_records;     // forgotten records, reused
    uint64_t finished_ids[FINISHED_PER_SHARD];
    uint64_t finished_at[FINISHED_PER_SHARD];
    unsigned finished_head, finished_count;
} shard;

enum { SHARDS = 64 };
static shard shards[SHARDS];

static inline size_t hash_id(uint64_t id) { return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20); }
static inline shard *shard_of(uint64_t id) { return &shards[hash_id(id) % SHARDS]; }

static record *find(shard *s, uint64_t id) {
    if (!s->bucket_count) return NULL;
    for (record *r = s->buckets[(hash_id(id) / SHARDS) % s->bucket_count]; r; r = r->next)
        if (r->info.id == id) return r;
    return NULL;
}

static void grow(shard *s) {
    size_t count = s->bucket_count ? s->bucket_count * 2 : 64;
    record **buckets = calloc(count, sizeof(record *));
    if (!buckets) return;
    for (size_t i = 0; i < s->bucket_count; i++) {
        record *r = s->buckets[i];
        while (r) {
            record *next = r->next;
            size_t b = (hash_id(r->info.id) / SHARDS) % count;
            r->next = buckets[b];
            buckets[b] = r;
            r = next;
        }
    }
    free(s->buckets);
    s->buckets = buckets;
    s->bucket_count = count;
}

static record *insert(shard *s, uint64_t id) {
    if (s->count >= s->bucket_count) grow(s);
    if (!s->bucket_count) return NULL;
    record *r = s->free_records;
    if (r) {
        s->free_records = r->next;
        memset(r, 0, sizeof *r);
    } else if (!(r = calloc(1, sizeof(record)))) {
        return NULL;
    }
    r->info.id = id;
    size_t b = (hash_id(id) / SHARDS) % s->bucket_count;
    r->next = s->buckets[b];
    s->buckets[b] = r;
    s->count++;
    return r;
}

static void unlink_record(shard *s, record *gone) {
    record **at = &s->buckets[(hash_id(gone->info.id) / SHARDS) % s->bucket_count];
    while (*at && *at != gone) at = &(*at)->next;
    if (*at) {
        *at = gone->next;
        s->count--;
    }
}

static const uint64_t finished_linger = 5ull * 1000000000ull;

// Counters: each thread counts in its own slot (no cache line shared between threads);
// threads past the slots count here.
static atomic_uint_fast64_t spawned, steps_run, jobs_run, busy_total, queued_jobs, dequeued_jobs, dropped_finished;
static atomic_uint_fast64_t step_buckets[32], latency_buckets[32];

typedef struct counters {
    uint64_t spawned, steps, jobs, busy, queued, dequeued, dropped;
    uint64_t step_buckets[32], latency_buckets[32];
} counters;

static inline int bucket_of(uint64_t ns) {
    int b = 0;
    ns >>= 6;
    while (ns && b < 31) { ns >>= 1; b++; }
    return b;
}

static counters *my_counters(void);

#define COUNT(field, amount, global)                                                        \
    do {                                                                                    \
        counters *c_ = my_counters();                                                       \
        if (c_) __atomic_store_n(&c_->field, c_->field + (amount), __ATOMIC_RELAXED);       \
        else atomic_fetch_add_explicit(&(global), (amount), memory_order_relaxed);          \
    } while (0)

/// Forgets this shard's finished tasks past their time or its room (under its lock).
static void forget_finished_locked(shard *s, uint64_t now, int making_room) {
    while (s->finished_count) {
        int full = making_room && s->finished_count == FINISHED_PER_SHARD;
        if (!full && now - s->finished_at[s->finished_head] <= finished_linger) return;
        uint64_t id = s->finished_ids[s->finished_head];
        s->finished_head = (s->finished_head + 1) % FINISHED_PER_SHARD;
        s->finished_count--;
        record *r = find(s, id);
        if (r && r->info.state == ASYNCTOP_OBS_STATE_FINISHED) {
            unlink_record(s, r);
            r->next = s->free_records;
            s->free_records = r;
            if (full) COUNT(dropped, 1, dropped_finished);
        }
    }
}

/// Keeps `id` among its shard's finished tasks (under its lock).
static void remember_finished_locked(shard *s, uint64_t id, uint64_t now) {
    forget_finished_locked(s, now, 1);
    unsigned at = (s->finished_head + s->finished_count) % FINISHED_PER_SHARD;
    s->finished_ids[at] = id;
    s->finished_at[at] = now;
    s->finished_count++;
}

// When a client last read the tasks: with nobody watching, a finished task is forgotten at
// once (nobody would see it), which costs nothing later.
static atomic_uint_fast64_t last_read_at;
static const uint64_t watched_window = 2ull * 1000000000ull;

/// How a completed task ended, from its future fragment (the task is alive: retained, or
/// an async let child whose scope has not ended).
static void read_result(record *r, void *task) {
    uint32_t flags = job_flags(task);
    if (!(flags & JOB_IS_FUTURE) || (flags & JOB_HAS_EXECUTOR_PREFERENCE)) return;
    uintptr_t *future = (uintptr_t *)((char *)task + TASK_SIZE + (flags & JOB_IS_CHILD ? CHILD_FRAGMENT : 0)
                                      + (flags & JOB_IS_GROUP_CHILD ? GROUP_CHILD_FRAGMENT : 0));
    uintptr_t queue = __atomic_load_n(&future[0], __ATOMIC_ACQUIRE);
    if (queue == 1) {
        r->info.result = ASYNCTOP_OBS_RESULT_RETURNED;
    } else if (queue == 2 && future[2]) {
        r->info.result = ASYNCTOP_OBS_RESULT_THREW;
        // An error rethrown as `any Error` can be boxed again: its value (at 32) is the
        // first box. The type named is the innermost one's.
        uintptr_t box = future[2], type = *(uintptr_t *)(box + ERROR_TYPE_OFFSET);
        for (int depth = 0; depth < 4 && type && *(uintptr_t *)type == EXISTENTIAL_METADATA_KIND; depth++) {
            uintptr_t inner = *(uintptr_t *)(box + ERROR_BOXED_VALUE_OFFSET);
            if (!inner) break;
            box = inner;
            type = *(uintptr_t *)(box + ERROR_TYPE_OFFSET);
        }
        r->info.error_type = type;
    }
}

/// Marks `r` finished (under its shard's lock) and returns the task object to release.
/// Unless `keep`, `r` is gone when nobody watches: touch it no more.
static void *finish_locked(shard *s, record *r, uint32_t status, uint64_t now, int keep) {
    if (r->task) read_result(r, r->task);
    uint64_t read = atomic_load_explicit(&last_read_at, memory_order_relaxed);
    if (!keep && (!read || now - read > watched_window)) {
        void *task = r->task;
        r->task = NULL;
        r->info.state = ASYNCTOP_OBS_STATE_FINISHED;
        unlink_record(s, r);
        r->next = s->free_records;
        s->free_records = r;
        return task;
    }
    remember_finished_locked(s, r->info.id, now);
    r->info.state = ASYNCTOP_OBS_STATE_FINISHED;
    r->info.finished = now;
    r->info.state_since = now;
    r->info.cancelled = (status & STATUS_CANCELLED) != 0;
    r->info.worker_tid = 0;
    r->info.wait_kind = ASYNCTOP_OBS_WAIT_NONE;
    r->info.version++;
    void *task = r->task;
    r->task = NULL;
    return task;
}

static inline uint64_t current_task_id(void) {
    void *current = real.current();
    return current ? real.task_id(current) : 0;
}

/// The record of `job`'s task, made when first seen (under the shard's lock). A task the
/// program did not create itself (an async let) is first seen when it is enqueued.
static record *record_for(shard *s, uint64_t id, void *job, uint64_t now) {
    record *r = find(s, id);
    if (r) return r;
    r = insert(s, id);
    if (!r) return NULL;
    uint32_t flags = job_flags(job);
    r->info.kind = flags & JOB_IS_ASYNC_LET ? ASYNCTOP_OBS_KIND_ASYNC_LET
                 : flags & JOB_IS_GROUP_CHILD ? ASYNCTOP_OBS_KIND_GROUP_CHILD
                 : flags & JOB_IS_CHILD ? ASYNCTOP_OBS_KIND_CHILD : ASYNCTOP_OBS_KIND_UNKNOWN;
    r->info.parent = current_task_id();
    if (r->info.parent == id) r->info.parent = 0;
    r->info.created = now;
    r->info.state_since = now;
    // Async let children live in their parent's allocator and are freed with the scope,
    // whatever their reference count: never retained, read only with fault-safe reads.
    if (!(flags & JOB_IS_ASYNC_LET)) r->task = real.retain(job);
    COUNT(spawned, 1, spawned);
    return r;
}

// MARK: - Creation

// The stack's bounds of this thread, for walking frame pointers without leaving it.
static __thread uintptr_t stack_low, stack_high;

/// Fills sites[1…3] with the return addresses of the callers above the creating call (a
/// debug build's `Task.init` is a function of the program's own), walking frame pointers
/// only while they stay in this thread's stack and go up it.
static void caller_sites(uintptr_t sites[4]) {
    if (!stack_high) {
        pthread_attr_t attr;
        void *base;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
        if (pthread_attr_getstack(&attr, &base, &size) == 0) {
            stack_low = (uintptr_t)base;
            stack_high = (uintptr_t)base + size;
        }
        pthread_attr_destroy(&attr);
        if (!stack_high) return;
    }
    uintptr_t *frame = __builtin_frame_address(0);
    // frame[0]: our caller's frame; frame[1]: the return address into it (sites[0]).
    for (int i = 1; i < 4;) {
        uintptr_t next = frame[0];
        if (next <= (uintptr_t)frame || next & 7 || next < stack_low || next + 16 > stack_high) return;
        frame = (uintptr_t *)next;
        if (frame[1] != sites[i - 1]) sites[i++] = frame[1];
    }
}

EXPORT SWIFTCC task_and_context swift_task_create(size_t flags, void *options, const void *type, void *entry, void *context) {
    task_and_context made = RESOLVED(create, "swift_task_create")(flags, options, type, entry, context);
    if (!atomic_load_explicit(&active, memory_order_relaxed) || !made.task || floor_mode) return made;
    // A task that prefers a task executor of its own (an asynctop loop's, with
    // `Task(executorPreference:)`) runs there, not on the global executor: it is that
    // executor's to show. So is a structured child of a task that prefers one (it inherits
    // the preference; an unstructured `Task {}` does not).
    if (job_flags(made.task) & JOB_HAS_EXECUTOR_PREFERENCE) return made;
    if ((flags & CREATE_IS_CHILD) && real.preferred && real.preferred().identity) return made;
    uintptr_t sites[4] = {(uintptr_t)__builtin_return_address(0), 0, 0, 0};
    caller_sites(sites);
    uint64_t now = asynctop_obs_now();
    const char *name = NULL;
    void *group = NULL;
    for (uintptr_t *option = options; option; option = (uintptr_t *)option[1]) {
        uint8_t kind = (uint8_t)(option[0] & 0xff);
        if (kind == OPTION_TASK_NAME) name = (const char *)option[2];
        else if (kind == OPTION_TASK_GROUP) group = (void *)option[2];
    }
    uint64_t id = real.task_id(made.task);
    shard *s = shard_of(id);
    pthread_mutex_lock(&s->lock);
    record *r = record_for(s, id, made.task, now);
    if (r) {
        r->info.kind = group ? ASYNCTOP_OBS_KIND_GROUP_CHILD
                     : flags & CREATE_IS_CHILD ? ASYNCTOP_OBS_KIND_CHILD
                     : flags & CREATE_COPY_LOCALS ? ASYNCTOP_OBS_KIND_UNSTRUCTURED
                     : flags & CREATE_INHERIT_CONTEXT ? ASYNCTOP_OBS_KIND_MAIN : ASYNCTOP_OBS_KIND_DETACHED;
        if (r->info.kind == ASYNCTOP_OBS_KIND_DETACHED || r->info.kind == ASYNCTOP_OBS_KIND_MAIN) r->info.parent = 0;
        else r->info.parent = current_task_id();
        r->group = group;
        memcpy(r->info.sites, sites, sizeof sites);
        if (name) {
            size_t length = strlen(name);
            size_t kept = length < sizeof r->info.name - 1 ? length : sizeof r->info.name - 1;
            // Cut on a UTF-8 boundary.
            while (kept < length && kept > 0 && ((unsigned char)name[kept] & 0xC0) == 0x80) kept--;
            memcpy(r->info.name, name, kept);
            r->info.name[kept] = 0;
            r->info.name_truncated = kept < length;
        }
        r->info.version++;
    }
    pthread_mutex_unlock(&s->lock);
    return made;
}

// MARK: - Enqueue and run

// A job's first scheduler-private word belongs to the executor that holds the job, from its
// enqueue until it runs (the runtime's dispatch executor uses only the second, the queue,
// on this path). The observer, wrapping that executor, leaves the job's record there at
// enqueue, tagged with bit 0 (a runtime pointer there is aligned), so the step's start
// finds it without a lookup; it puts 0 back before the job runs.
enum { JOB_HINT_OFFSET = 16 };
static inline void set_hint(void *job, record *r) {
    *(uintptr_t *)((char *)job + JOB_HINT_OFFSET) = r ? (uintptr_t)r | 1 : 0;
}
static inline record *take_hint(void *job) {
    uintptr_t *word = (uintptr_t *)((char *)job + JOB_HINT_OFFSET);
    uintptr_t hint = *word;
    if (!(hint & 1)) return NULL;
    *word = 0;
    return (record *)(hint & ~(uintptr_t)1);
}

static void note_enqueue(void *job, uint64_t deadline) {
    if (__builtin_expect(floor_mode, 0)) {
        if (floor_mode == 2 && is_task(job)) (void)asynctop_obs_now();
        return;
    }
    if (!is_task(job)) {
        COUNT(queued, 1, queued_jobs);
        return;
    }
    uint64_t now = asynctop_obs_now();
    uint64_t id = real.task_id(job);
    shard *s = shard_of(id);
    pthread_mutex_lock(&s->lock);
    record *r = find(s, id);
    if (!r && deadline) {
        // `Task.sleep` enqueues a small task of the runtime's own with the deadline; the
        // task that sleeps is the one running now.
        r = record_for(s, id, job, now);
        if (r) r->hidden = 1;
        pthread_mutex_unlock(&s->lock);
        COUNT(spawned, (uint64_t)-1, spawned);
        void *current = real.current();
        uint64_t sleeper = current ? real.task_id(current) : 0;
        if (!sleeper) return;
        shard *ss = shard_of(sleeper);
        pthread_mutex_lock(&ss->lock);
        record *sr = find(ss, sleeper);
        if (sr && sr->info.state != ASYNCTOP_OBS_STATE_FINISHED) {
            sr->info.state = ASYNCTOP_OBS_STATE_SLEEPING;
            sr->info.deadline = deadline;
            sr->info.state_since = now;
            sr->info.version++;
        }
        pthread_mutex_unlock(&ss->lock);
        return;
    }
    r = record_for(s, id, job, now);
    if (r && r->info.state != ASYNCTOP_OBS_STATE_FINISHED) {
        r->info.state = deadline ? ASYNCTOP_OBS_STATE_SLEEPING : ASYNCTOP_OBS_STATE_READY;
        r->info.deadline = deadline;
        r->info.state_since = now;
        // Its wait stays noted: on its next step, an awaited async let child is settled.
        r->info.worker_tid = 0;
        r->enqueued_at = deadline ? deadline : now;
        r->info.version++;
        set_hint(job, r);
    }
    pthread_mutex_unlock(&s->lock);
}

// The threads that ran jobs: slots handed out once per thread.
enum { WORKER_SLOTS = 256 };
typedef struct worker_slot {
    counters counts;          // written by its thread only
    atomic_int ran_jobs;
    atomic_int tid;
    atomic_uint_fast64_t task;
    atomic_uint_fast64_t since;
    atomic_int running_job;
    int is_main;
} worker_slot;
static worker_slot workers[WORKER_SLOTS];
static atomic_int worker_count;
static __thread worker_slot *my_slot;
static __thread int my_slot_tried;

static counters *my_counters(void);
static worker_slot *slot(void);
static counters *my_counters(void) {
    worker_slot *w = slot();
    return w ? &w->counts : NULL;
}

static worker_slot *slot(void) {
    if (my_slot || my_slot_tried) return my_slot;
    my_slot_tried = 1;
    int index = atomic_fetch_add(&worker_count, 1);
    if (index >= WORKER_SLOTS) return NULL;
    my_slot = &workers[index];
    my_slot->is_main = getpid() == my_tid();
    atomic_store(&my_slot->tid, my_tid());
    return my_slot;
}

// Reads `length` bytes of `address` without faulting when it is unmapped.
static int safe_read(const void *address, void *into, size_t length) {
    struct iovec local = {into, length}, remote = {(void *)address, length};
    return syscall(SYS_process_vm_readv, getpid(), &local, 1, &remote, 1, 0) == (ssize_t)length ? 0 : -1;
}

typedef struct step { uint64_t id; uint64_t seq; uint64_t start; int async_let; record *r; } step;

/// A parent resumes after awaiting its async let child (`task`, alive: the scope has not
/// ended, and the parent is about to run), or after ending the scope (`gone`: the runtime
/// cancelled the child, awaited it and freed it): the child is finished if it completed.
static void settle_async_let(uint64_t id, void *task, int gone, uint64_t now) {
    if (__builtin_expect(floor_mode, 0)) return;
    uint32_t status = gone ? (STATUS_COMPLETE | STATUS_CANCELLED) : task ? status_flags(task) : 0;
    if (!(status & STATUS_COMPLETE)) return;
    shard *s = shard_of(id);
    pthread_mutex_lock(&s->lock);
    record *r = find(s, id);
    if (r && r->info.kind == ASYNCTOP_OBS_KIND_ASYNC_LET && r->info.state != ASYNCTOP_OBS_STATE_FINISHED) {
        if (task && !gone) read_result(r, task);
        if (gone && !r->info.cancel_from) {
            r->info.cancel_from = ASYNCTOP_OBS_CANCEL_SCOPE_END;
            r->info.cancel_by = r->info.parent;
            r->info.cancel_at = now;
        }
        finish_locked(s, r, status, now, 0);
    }
    pthread_mutex_unlock(&s->lock);
}

static step begin_step(void *job, record *hint) {
    if (__builtin_expect(floor_mode, 0)) {
        step none = {0, 0, floor_mode == 2 ? asynctop_obs_now() : 0, 0, NULL};
        (void)job, (void)hint;
        return none;
    }
    step st = {0, 0, asynctop_obs_now(), 0, NULL};
    worker_slot *w = slot();
    if (w && !atomic_load_explicit(&w->ran_jobs, memory_order_relaxed)) atomic_store(&w->ran_jobs, 1);
    if (!is_task(job)) {
        COUNT(dequeued, 1, dequeued_jobs);
        if (w) {
            atomic_store_explicit(&w->since, st.start, memory_order_relaxed);
            atomic_store_explicit(&w->running_job, 1, memory_order_relaxed);
        }
        return st;
    }
    st.id = real.task_id(job);
    st.async_let = (job_flags(job) & JOB_IS_ASYNC_LET) != 0;
    shard *s = shard_of(st.id);
    uint64_t child = 0;
    void *child_task = NULL;
    int child_gone = 0;
    pthread_mutex_lock(&s->lock);
    // The hint is a record (records are reused, never freed): this task's while its id says so.
    record *r = hint && hint->info.id == st.id ? hint : record_for(s, st.id, job, st.start);
    if (r && r->info.wait_kind == ASYNCTOP_OBS_WAIT_ASYNC_LET && r->info.wait_on) {
        child = r->info.wait_on;
        child_task = r->waited_child;
        child_gone = r->ending_scope;
        r->waited_child = NULL;
        r->ending_scope = 0;
    }
    if (r) {
        uint64_t latency = r->enqueued_at && st.start > r->enqueued_at ? st.start - r->enqueued_at : 0;
        r->info.last_latency = latency;
        if (latency > r->info.max_latency) r->info.max_latency = latency;
        COUNT(latency_buckets[bucket_of(latency)], 1, latency_buckets[bucket_of(latency)]);
        if (!r->info.started) r->info.started = st.start;
        if (r->info.state != ASYNCTOP_OBS_STATE_FINISHED) {
            r->info.state = ASYNCTOP_OBS_STATE_RUNNING;
            r->info.state_since = st.start;
            r->info.deadline = 0;
            r->info.wait_kind = ASYNCTOP_OBS_WAIT_NONE;
            r->info.worker_tid = my_tid();
        }
        st.seq = ++r->run_seq;
        st.r = r;
        r->info.version++;
    }
    pthread_mutex_unlock(&s->lock);
    if (child) settle_async_let(child, child_task, child_gone, st.start);
    if (w) {
        atomic_store_explicit(&w->task, st.id, memory_order_relaxed);
        atomic_store_explicit(&w->since, st.start, memory_order_relaxed);
    }
    return st;
}

static void end_step(void *job, step st) {
    if (__builtin_expect(floor_mode, 0)) {
        if (floor_mode == 2) (void)asynctop_obs_now();
        (void)job, (void)st;
        return;
    }
    uint64_t end = asynctop_obs_now();
    uint64_t duration = end - st.start;
    worker_slot *w = my_slot;
    if (w) {
        atomic_store_explicit(&w->task, 0, memory_order_relaxed);
        atomic_store_explicit(&w->since, 0, memory_order_relaxed);
        atomic_store_explicit(&w->running_job, 0, memory_order_relaxed);
    }
    COUNT(busy, duration, busy_total);
    COUNT(step_buckets[bucket_of(duration)], 1, step_buckets[bucket_of(duration)]);
    if (!st.id) {
        COUNT(jobs, 1, jobs_run);
        return;
    }
    COUNT(steps, 1, steps_run);
    shard *s = shard_of(st.id);
    void *release = NULL;
    uint32_t status = 0;
    int known_status = 0;
    // An async let child is not read after its step: its parent may have ended the scope
    // and freed it already. Its end is seen from its parent (see `settle_async_let`).
    uint64_t child = 0;
    void *child_task = NULL;
    pthread_mutex_lock(&s->lock);
    // The record of the step's start, still this task's and alive (records are reused, never
    // freed; one forgotten meanwhile says finished, one reused has another id); else look.
    record *r = st.r && st.r->info.id == st.id && st.r->info.state != ASYNCTOP_OBS_STATE_FINISHED ? st.r : find(s, st.id);
    if (r && r->info.wait_kind == ASYNCTOP_OBS_WAIT_ASYNC_LET && r->info.wait_on && r->waited_child && !r->ending_scope) {
        // It got its async let's value without suspending (the child had ended), or it
        // waits for it now: the child is alive either way (its scope did not end in this step).
        child = r->info.wait_on;
        child_task = r->waited_child;
    }
    if (r) {
        r->info.steps++;
        r->info.busy += duration;
        r->info.last_step = duration;
        if (duration > r->info.max_step) r->info.max_step = duration;
        if (r->task && !known_status) { status = status_flags(r->task); known_status = 1; }
        if (known_status) r->info.cancelled = (status & STATUS_CANCELLED) != 0;
        r->info.version++;
        if (r->info.state != ASYNCTOP_OBS_STATE_FINISHED && known_status && (status & STATUS_COMPLETE)) {
            release = finish_locked(s, r, status, end, 0);
        } else if (r->run_seq == st.seq && r->info.state == ASYNCTOP_OBS_STATE_RUNNING) {
            r->info.state = ASYNCTOP_OBS_STATE_SUSPENDED;
            r->info.state_since = end;
            r->info.worker_tid = 0;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (release) real.release(release);
    if (child) settle_async_let(child, child_task, 0, end);
}

static void run_job(void *job) {
    // Only this executor's jobs carry a hint, and only tasks (see `set_hint`).
    step st = begin_step(job, is_task(job) ? take_hint(job) : NULL);
    runtime_run_job(job);
    end_step(job, st);
}

// A program runs its async main's first step itself, with `swift_job_run`.


EXPORT SWIFTCC void swift_job_run(void *job, void *identity, uintptr_t implementation) {
    if (!atomic_load_explicit(&active, memory_order_relaxed) || !job) {
        RESOLVED(job_run, "swift_job_run")(job, identity, implementation);
        return;
    }
    if (!is_task(job)) COUNT(queued, 1, queued_jobs);  // begin_step takes it back
    // Another executor's job: its scheduler-private words are that executor's.
    step st = begin_step(job, NULL);
    RESOLVED(job_run, "swift_job_run")(job, identity, implementation);
    end_step(job, st);
}

// The runtime's timer-source context: {source, job}.
static void run_leeway(void *context) {
    void *job = ((void **)context)[1];
    step st = begin_step(job, is_task(job) ? take_hint(job) : NULL);
    runtime_run_leeway(context);
    end_step(job, st);
}

// dispatch_time_t → the monotonic clock, decoded as libdispatch does: a non-negative value
// is uptime (CLOCK_MONOTONIC ns); with bit 63 set, bit 62 marks the wall clock (stored
// negated), otherwise the continuous clock (CLOCK_BOOTTIME) in the low bits.
static uint64_t deadline_of(uint64_t when) {
    if (when == ~0ull) return ~0ull >> 1;
    uint64_t now = asynctop_obs_now();
    if ((int64_t)when >= 0) return when ? when : now;
    struct timespec ts;
    uint64_t at, base;
    if (when & (1ull << 62)) {
        clock_gettime(CLOCK_REALTIME, &ts);
        at = (uint64_t)-(int64_t)when;
    } else {
        clock_gettime(CLOCK_BOOTTIME, &ts);
        at = when & ~(1ull << 63);
    }
    base = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return at > base ? now + (at - base) : now;
}

EXPORT void dispatch_async_f(void *queue, void *context, void (*work)(void *)) {
    if (atomic_load_explicit(&active, memory_order_relaxed) && in_runtime((void *)work) && context) {
        if (!runtime_run_job) runtime_run_job = work;
        if (work == runtime_run_job) {
            note_enqueue(context, 0);
            RESOLVED(async_f, "dispatch_async_f")(queue, context, run_job);
            return;
        }
    }
    RESOLVED(async_f, "dispatch_async_f")(queue, context, work);
}

EXPORT void dispatch_after_f(uint64_t when, void *queue, void *context, void (*work)(void *)) {
    if (atomic_load_explicit(&active, memory_order_relaxed) && in_runtime((void *)work) && context) {
        if (!runtime_run_job) runtime_run_job = work;
        if (work == runtime_run_job) {
            note_enqueue(context, deadline_of(when));
            RESOLVED(after_f, "dispatch_after_f")(when, queue, context, run_job);
            return;
        }
    }
    RESOLVED(after_f, "dispatch_after_f")(when, queue, context, work);
}

static __thread uint64_t timer_start;

EXPORT void dispatch_source_set_timer(void *source, uint64_t start, uint64_t interval, uint64_t leeway) {
    if (in_runtime(__builtin_return_address(0))) timer_start = start;
    RESOLVED(set_timer, "dispatch_source_set_timer")(source, start, interval, leeway);
}

EXPORT void dispatch_set_context(void *object, void *context) {
    if (atomic_load_explicit(&active, memory_order_relaxed) && timer_start && in_runtime(__builtin_return_address(0)) && context) {
        note_enqueue(((void **)context)[1], deadline_of(timer_start));
        timer_start = 0;
    }
    RESOLVED(set_context, "dispatch_set_context")(object, context);
}

EXPORT void dispatch_source_set_event_handler_f(void *source, void (*handler)(void *)) {
    if (atomic_load_explicit(&active, memory_order_relaxed) && in_runtime((void *)handler)) {
        if (!runtime_run_leeway) runtime_run_leeway = handler;
        if (handler == runtime_run_leeway) {
            RESOLVED(set_handler, "dispatch_source_set_event_handler_f")(source, run_leeway);
            return;
        }
    }
    RESOLVED(set_handler, "dispatch_source_set_event_handler_f")(source, handler);
}

// MARK: - Waits

static void note_wait(uint32_t kind, uint64_t on, void *child, int ending_scope) {
    if (__builtin_expect(floor_mode, 0)) return;
    void *current = real.current();
    if (!current) return;
    uint64_t id = real.task_id(current);
    shard *s = shard_of(id);
    pthread_mutex_lock(&s->lock);
    record *r = find(s, id);
    if (r) {
        r->info.wait_kind = kind;
        r->info.wait_on = on;
        r->waited_child = child;
        r->ending_scope = ending_scope;
        r->info.version++;
    }
    pthread_mutex_unlock(&s->lock);
}

EXPORT ASYNCCC void swift_continuation_await(void *context) {
    if (atomic_load_explicit(&active, memory_order_relaxed)) note_wait(ASYNCTOP_OBS_WAIT_CONTINUATION, 0, NULL, 0);
    __attribute__((musttail)) return RESOLVED(continuation_await, "swift_continuation_await")(context);
}

// An AsyncLet begins with its child-task status record (flags, parent, first child), then
// the child task pointer with flag bits in its low four. The first reads are fault-safe and
// believed only for a known async let child of the task that waits; once one was, the
// layout holds and reads are plain.
enum { ASYNC_LET_TASK_OFFSET = 24 };
static atomic_int async_let_layout;  // 0: unchecked, 1: checked, -1: not as expected

static void *async_let_task(void *alet) {
    if (__builtin_expect(floor_mode, 0)) return NULL;
    int layout = atomic_load_explicit(&async_let_layout, memory_order_relaxed);
    if (layout < 0) return NULL;
    uintptr_t word;
    if (layout > 0) return (void *)(*(uintptr_t *)((char *)alet + ASYNC_LET_TASK_OFFSET) & ~(uintptr_t)0xF);
    uint32_t header[2];
    if (safe_read((char *)alet + ASYNC_LET_TASK_OFFSET, &word, sizeof word) != 0) return NULL;
    void *task = (void *)(word & ~(uintptr_t)0xF);
    if (!task || safe_read((char *)task + JOB_FLAGS_OFFSET, header, sizeof header) != 0 ||
        (header[0] & 0xff) != JOB_KIND_TASK || !(header[0] & JOB_IS_ASYNC_LET)) {
        atomic_store(&async_let_layout, -1);
        return NULL;
    }
    uint64_t id = header[1], parent = current_task_id();
    shard *s = shard_of(id);
    pthread_mutex_lock(&s->lock);
    record *r = find(s, id);
    int known = r && r->info.kind == ASYNCTOP_OBS_KIND_ASYNC_LET && r->info.parent == parent;
    pthread_mutex_unlock(&s->lock);
    if (!known) return NULL;
    atomic_store(&async_let_layout, 1);
    return task;
}

static void note_async_let_wait(void *alet) {
    if (__builtin_expect(floor_mode, 0)) return;
    void *task = async_let_task(alet);
    note_wait(ASYNCTOP_OBS_WAIT_ASYNC_LET, task ? real.task_id(task) : 0, task, 0);
}

EXPORT ASYNCCC void swift_asyncLet_get(void *caller __attribute__((swift_async_context)), void *alet, void *buffer, void *resume,
                                        void *context) {
    if (atomic_load_explicit(&active, memory_order_relaxed)) note_async_let_wait(alet);
    __attribute__((musttail)) return RESOLVED(async_let_get, "swift_asyncLet_get")(caller, alet, buffer, resume, context);
}

EXPORT ASYNCCC void swift_asyncLet_get_throwing(void *caller __attribute__((swift_async_context)), void *alet, void *buffer,
                                                 void *resume, void *context) {
    if (atomic_load_explicit(&active, memory_order_relaxed)) note_async_let_wait(alet);
    __attribute__((musttail)) return RESOLVED(async_let_get_throwing, "swift_asyncLet_get_throwing")(caller, alet, buffer, resume, context);
}

/// The end of an async let's scope: a child that completed is finished now (it is freed
/// before the parent resumes); one still running is cancelled and awaited by the runtime,
/// and finished when the parent resumes.
EXPORT ASYNCCC void swift_asyncLet_finish(void *caller __attribute__((swift_async_context)), void *alet, void *buffer,
                                           void *resume, void *context) {
    if (atomic_load_explicit(&active, memory_order_relaxed)) {
        void *task = async_let_task(alet);
        if (task) {
            uint64_t id = real.task_id(task);
            uint32_t status = status_flags(task);
            if (status & STATUS_COMPLETE) settle_async_let(id, task, 0, asynctop_obs_now());
            else note_wait(ASYNCTOP_OBS_WAIT_ASYNC_LET, id, NULL, 1);
        }
    }
    __attribute__((musttail)) return RESOLVED(async_let_finish, "swift_asyncLet_finish")(caller, alet, buffer, resume, context);
}

// MARK: - Cancellation

static void note_cancel(uint64_t id, uint32_t from) {
    uint64_t now = asynctop_obs_now(), by = from == ASYNCTOP_OBS_CANCEL_DASHBOARD ? 0 : current_task_id();
    shard *s = shard_of(id);
    pthread_mutex_lock(&s->lock);
    record *r = find(s, id);
    if (r && !r->info.cancel_from && r->info.state != ASYNCTOP_OBS_STATE_FINISHED) {
        r->info.cancel_from = from == ASYNCTOP_OBS_CANCEL_TASK && !by ? ASYNCTOP_OBS_CANCEL_THREAD : from;
        r->info.cancel_by = by;
        r->info.cancel_tid = by ? 0 : my_tid();
        r->info.cancel_at = now;
        r->info.version++;
    }
    pthread_mutex_unlock(&s->lock);
}

EXPORT SWIFTCC void $sScT6cancelyyF(void *task) {
    if (atomic_load_explicit(&active, memory_order_relaxed) && task) note_cancel(real.task_id(task), ASYNCTOP_OBS_CANCEL_TASK);
    RESOLVED(task_cancel_method, "$sScT6cancelyyF")(task);
}

static void note_group_cancel(void *group) {
    uint64_t now = asynctop_obs_now(), by = current_task_id();
    int32_t tid = by ? 0 : my_tid();
    for (int i = 0; i < SHARDS; i++) {
        shard *s = &shards[i];
        pthread_mutex_lock(&s->lock);
        for (size_t b = 0; b < s->bucket_count; b++)
            for (record *r = s->buckets[b]; r; r = r->next)
                if (r->group == group && !r->info.cancel_from && r->info.state != ASYNCTOP_OBS_STATE_FINISHED) {
                    r->info.cancel_from = ASYNCTOP_OBS_CANCEL_GROUP;
                    r->info.cancel_by = by;
                    r->info.cancel_tid = tid;
                    r->info.cancel_at = now;
                    r->info.version++;
                }
        pthread_mutex_unlock(&s->lock);
    }
}

#define GROUP_CANCEL(index, symbol)                                                      \
    EXPORT SWIFTCC void symbol(void *group) {                                            \
        if (atomic_load_explicit(&active, memory_order_relaxed)) note_group_cancel(group); \
        RESOLVED(group_cancel_all[index], group_cancel_symbols[index])(group);                                             \
    }
GROUP_CANCEL(0, $sScG9cancelAllyyF)
GROUP_CANCEL(1, $sScg9cancelAllyyF)
GROUP_CANCEL(2, $ss19DiscardingTaskGroupV9cancelAllyyF)
GROUP_CANCEL(3, $ss27ThrowingDiscardingTaskGroupV9cancelAllyyF)

EXPORT int asynctop_obs_cancel(uint64_t id) {
    shard *s = shard_of(id);
    pthread_mutex_lock(&s->lock);
    record *r = find(s, id);
    int answer = !r ? 1 : r->info.state == ASYNCTOP_OBS_STATE_FINISHED ? 2 : 0;
    void *task = answer == 0 && r->task ? real.retain(r->task) : NULL;
    pthread_mutex_unlock(&s->lock);
    if (answer == 0 && !task) return 3;  // an async let child: cancel its parent
    if (!task) return answer;
    note_cancel(id, ASYNCTOP_OBS_CANCEL_DASHBOARD);
    real.task_cancel(task);
    real.release(task);
    return 0;
}

EXPORT void *asynctop_obs_task_object(uint64_t id) {
    shard *s = shard_of(id);
    pthread_mutex_lock(&s->lock);
    record *r = find(s, id);
    void *task = r ? r->task : NULL;
    pthread_mutex_unlock(&s->lock);
    return task;
}

// MARK: - Reading

EXPORT void asynctop_obs_note_reader(void) {
    atomic_store_explicit(&last_read_at, asynctop_obs_now(), memory_order_relaxed);
}

EXPORT size_t asynctop_obs_copy_tasks(asynctop_obs_task_t *out, size_t max) {
    uint64_t now = asynctop_obs_now();
    size_t total = 0;
    for (int i = 0; i < SHARDS; i++) {
        shard *s = &shards[i];
        void *released[64];
        size_t releasing = 0;
        pthread_mutex_lock(&s->lock);
        forget_finished_locked(s, now, 0);
        for (size_t b = 0; b < s->bucket_count; b++)
            for (record *r = s->buckets[b]; r; r = r->next) {
                // A task that ended away from the global executor (on an actor, on a
                // custom executor): its status word says so.
                if (r->task && releasing < 64) {
                    uint32_t status = status_flags(r->task);
                    uint32_t cancelled = (status & STATUS_CANCELLED) != 0;
                    if (cancelled != r->info.cancelled) {
                        r->info.cancelled = cancelled;
                        r->info.version++;
                    }
                    if ((status & STATUS_COMPLETE) && r->info.state != ASYNCTOP_OBS_STATE_RUNNING) {
                        released[releasing++] = finish_locked(s, r, status, now, 1);
                    }
                }
                if (r->hidden) continue;
                if (total < max) out[total] = r->info;
                total++;
            }
        pthread_mutex_unlock(&s->lock);
        for (size_t k = 0; k < releasing; k++) real.release(released[k]);
    }
    return total;
}

EXPORT size_t asynctop_obs_copy_workers(asynctop_obs_worker_t *out, size_t max) {
    int count = atomic_load(&worker_count);
    if (count > WORKER_SLOTS) count = WORKER_SLOTS;
    size_t n = 0;
    for (int i = 0; i < count && n < max; i++) {
        worker_slot *w = &workers[i];
        int tid = atomic_load(&w->tid);
        if (!tid || !atomic_load(&w->ran_jobs)) continue;
        asynctop_obs_worker_t *o = &out[n++];
        memset(o, 0, sizeof *o);
        o->tid = tid;
        o->is_main = w->is_main;
        o->task = atomic_load_explicit(&w->task, memory_order_relaxed);
        o->since = atomic_load_explicit(&w->since, memory_order_relaxed);
        o->running_job = atomic_load_explicit(&w->running_job, memory_order_relaxed);
        char path[64];
        snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            ssize_t got = read(fd, o->name, sizeof o->name - 1);
            close(fd);
            if (got > 0 && o->name[got - 1] == '\n') got--;
            o->name[got > 0 ? got : 0] = 0;
        } else {
            atomic_store(&w->tid, 0);  // the thread is gone
            n--;
        }
    }
    return n;
}

EXPORT void asynctop_obs_copy_stats(asynctop_obs_stats_t *out) {
    memset(out, 0, sizeof *out);
    out->now = asynctop_obs_now();
    uint64_t queued = atomic_load(&queued_jobs), dequeued = atomic_load(&dequeued_jobs);
    out->spawned = atomic_load(&spawned);
    out->steps = atomic_load(&steps_run);
    out->jobs = atomic_load(&jobs_run);
    out->busy = atomic_load(&busy_total);
    out->dropped_finished = atomic_load(&dropped_finished);
    for (int b = 0; b < 32; b++) {
        out->step_buckets[b] = atomic_load_explicit(&step_buckets[b], memory_order_relaxed);
        out->latency_buckets[b] = atomic_load_explicit(&latency_buckets[b], memory_order_relaxed);
    }
    int count = atomic_load(&worker_count);
    if (count > WORKER_SLOTS) count = WORKER_SLOTS;
    for (int i = 0; i < count; i++) {
        const counters *c = &workers[i].counts;
        out->spawned += __atomic_load_n(&c->spawned, __ATOMIC_RELAXED);
        out->steps += __atomic_load_n(&c->steps, __ATOMIC_RELAXED);
        out->jobs += __atomic_load_n(&c->jobs, __ATOMIC_RELAXED);
        out->busy += __atomic_load_n(&c->busy, __ATOMIC_RELAXED);
        out->dropped_finished += __atomic_load_n(&c->dropped, __ATOMIC_RELAXED);
        queued += __atomic_load_n(&c->queued, __ATOMIC_RELAXED);
        dequeued += __atomic_load_n(&c->dequeued, __ATOMIC_RELAXED);
        for (int b = 0; b < 32; b++) {
            out->step_buckets[b] += __atomic_load_n(&c->step_buckets[b], __ATOMIC_RELAXED);
            out->latency_buckets[b] += __atomic_load_n(&c->latency_buckets[b], __ATOMIC_RELAXED);
        }
    }
    out->queued_jobs = queued > dequeued ? queued - dequeued : 0;
}

// MARK: - Loading: checks, then the monitor library

static void *next_symbol(const char *name, int *missing) {
    void *found = dlsym(RTLD_NEXT, name);
    if (!found && !*missing) {
        *missing = 1;
        snprintf(off_reason, sizeof off_reason, "the Swift runtime does not export %s", name);
    }
    return found;
}

static int find_runtime_code(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    uintptr_t probe = (uintptr_t)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
        uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
        if (probe >= start && probe < end) {
            real.runtime_start = start;
            real.runtime_end = end;
            return 1;
        }
    }
    return 0;
}

/// Whether the program itself (not this library) links libswift_Concurrency.so.
static int main_needs_concurrency(void) {
    struct link_map *main_map = dlopen(NULL, RTLD_NOW | RTLD_NOLOAD);
    if (!main_map) return 0;
    const ElfW(Dyn) *dyn = main_map->l_ld;
    const char *strtab = NULL;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_STRTAB) strtab = (const char *)(d->d_un.d_ptr < main_map->l_addr ? d->d_un.d_ptr + main_map->l_addr : d->d_un.d_ptr);
    if (!strtab) return 0;
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_NEEDED && strstr(strtab + d->d_un.d_val, "libswift_Concurrency.so")) return 1;
    return 0;
}

static int check_runtime(void) {
    int missing = 0;
    real.create = (create_fn)next_symbol("swift_task_create", &missing);
    real.task_cancel_method = (one_pointer_fn)next_symbol("$sScT6cancelyyF", &missing);
    real.task_cancel = (one_pointer_fn)next_symbol("swift_task_cancel", &missing);
    for (int i = 0; i < 4; i++) real.group_cancel_all[i] = (one_pointer_fn)next_symbol(group_cancel_symbols[i], &missing);
    real.task_id = (task_id_fn)next_symbol("swift_task_getJobTaskId", &missing);
    real.current = (current_fn)next_symbol("swift_task_getCurrent", &missing);
    // Optional: without it a structured child of a task on another executor is shown here too.
    real.preferred = (preferred_fn)dlsym(RTLD_DEFAULT, "swift_task_getPreferredTaskExecutor");
    real.retain = (retain_fn)next_symbol("swift_retain", &missing);
    real.release = (release_fn)next_symbol("swift_release", &missing);
    real.continuation_await = (continuation_await_fn)next_symbol("swift_continuation_await", &missing);
    real.async_let_get = (async_let_get_fn)next_symbol("swift_asyncLet_get", &missing);
    real.async_let_get_throwing = (async_let_get_fn)next_symbol("swift_asyncLet_get_throwing", &missing);
    real.async_let_finish = (async_let_get_fn)next_symbol("swift_asyncLet_finish", &missing);
    real.job_run = (job_run_fn)next_symbol("swift_job_run", &missing);
    if (missing) return 0;
    const uint32_t *layout = dlsym(RTLD_DEFAULT, "_swift_concurrency_debug_internal_layout_version");
    const size_t *task_size = dlsym(RTLD_DEFAULT, "_swift_concurrency_debug_asyncTaskSize");
    const uint8_t *escalation = dlsym(RTLD_DEFAULT, "_swift_concurrency_debug_supportsPriorityEscalation");
    uint32_t expected = expected_layout_version;
    const char *override = getenv("ASYNCTOP_OBSERVE_EXPECT_LAYOUT");  // for the tests of this path
    if (override && *override) expected = (uint32_t)strtoul(override, NULL, 10);
    if (!layout || *layout != expected) {
        snprintf(off_reason, sizeof off_reason, "the Swift runtime's task layout is version %u; the observer knows version %u",
                 layout ? *layout : 0, expected);
        return 0;
    }
    if (!task_size || *task_size != expected_task_size) {
        snprintf(off_reason, sizeof off_reason, "the Swift runtime's tasks are %zu bytes; the observer knows %zu-byte tasks",
                 task_size ? *task_size : 0, expected_task_size);
        return 0;
    }
    if (escalation && *escalation) {
        snprintf(off_reason, sizeof off_reason, "the Swift runtime escalates priorities (another status layout)");
        return 0;
    }
    Dl_info info;
    if (!dladdr((void *)real.create, &info) || !strstr(info.dli_fname, "libswift_Concurrency") ||
        !dl_iterate_phdr(find_runtime_code, (void *)real.create)) {
        snprintf(off_reason, sizeof off_reason, "swift_task_create is not in libswift_Concurrency.so");
        return 0;
    }
    return 1;
}

/// Writes the observer's verdict where `asynctop run` reads it (a file of its own).
static void write_status(const char *path, const char *text) {
    if (!path || !*path) return;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return;
    size_t length = strlen(text);
    while (length) {
        ssize_t wrote = write(fd, text, length);
        if (wrote < 0 && errno == EINTR) continue;
        if (wrote <= 0) break;
        text += wrote;
        length -= (size_t)wrote;
    }
    close(fd);
}

typedef int (*serve_fn)(const char *socket, const char *status_path);

static void asynctop_preload_start(void);

/// Whether the process calls `symbol` here: its first definition in the process is this
/// library's (preloaded), not the runtime's or libdispatch's.
static int interposed(const char *symbol) {
    Dl_info mine, found;
    void *definition = dlsym(RTLD_DEFAULT, symbol);
    return definition && dladdr((void *)asynctop_preload_start, &mine) && dladdr(definition, &found) &&
           mine.dli_fbase == found.dli_fbase;
}

static pthread_mutex_t turning_on = PTHREAD_MUTEX_INITIALIZER;
static int verdict;  // 0: not tried; else an ASYNCTOP_OBS_ENABLE_* answer (under `turning_on`)

/// Checks the runtime and starts recording, once; the answer is kept.
static int turn_on(void) {
    pthread_mutex_lock(&turning_on);
    if (!verdict) {
        static const char *entry_points[] = {"swift_task_create", "dispatch_async_f", "dispatch_after_f", "swift_job_run",
                                             "swift_continuation_await", "$sScT6cancelyyF"};
        verdict = ASYNCTOP_OBS_ENABLE_ON;
        for (size_t i = 0; i < sizeof entry_points / sizeof *entry_points && verdict == ASYNCTOP_OBS_ENABLE_ON; i++) {
            if (!interposed(entry_points[i])) {
                snprintf(off_reason, sizeof off_reason,
                         "libAsyncTopPreload.so is loaded but not first: the program's calls to %s do not reach it "
                         "(it must be preloaded, with LD_PRELOAD)", entry_points[i]);
                verdict = ASYNCTOP_OBS_ENABLE_NOT_PRELOADED;
            }
        }
        if (verdict == ASYNCTOP_OBS_ENABLE_ON) {
            if (!real.async_f || !real.after_f || !real.set_timer || !real.set_context || !real.set_handler) {
                snprintf(off_reason, sizeof off_reason, "libdispatch's functions were not found");
                verdict = ASYNCTOP_OBS_ENABLE_UNSUPPORTED;
            } else if (!check_runtime()) {
                verdict = ASYNCTOP_OBS_ENABLE_UNSUPPORTED;
            } else {
                for (int i = 0; i < SHARDS; i++) pthread_mutex_init(&shards[i].lock, NULL);
                atomic_store_explicit(&active, 1, memory_order_release);
            }
        }
    }
    int answer = verdict;
    pthread_mutex_unlock(&turning_on);
    return answer;
}

EXPORT int asynctop_obs_enable(void) { return turn_on(); }

/// The observer turned on, then could not serve: off for good, and said so to later asks.
static void turn_off(void) {
    pthread_mutex_lock(&turning_on);
    atomic_store(&active, 0);
    verdict = ASYNCTOP_OBS_ENABLE_UNSUPPORTED;
    pthread_mutex_unlock(&turning_on);
}

__attribute__((constructor)) static void asynctop_preload_start(void) {
    // Every interposed function passes on to the real one, observed or not.
    (void)RESOLVED(create, "swift_task_create");
    (void)RESOLVED(task_cancel_method, "$sScT6cancelyyF");
    for (int i = 0; i < 4; i++) (void)RESOLVED(group_cancel_all[i], group_cancel_symbols[i]);
    (void)RESOLVED(async_f, "dispatch_async_f");
    (void)RESOLVED(after_f, "dispatch_after_f");
    (void)RESOLVED(set_timer, "dispatch_source_set_timer");
    (void)RESOLVED(set_context, "dispatch_set_context");
    (void)RESOLVED(set_handler, "dispatch_source_set_event_handler_f");
    (void)RESOLVED(continuation_await, "swift_continuation_await");
    (void)RESOLVED(async_let_get, "swift_asyncLet_get");
    (void)RESOLVED(async_let_get_throwing, "swift_asyncLet_get_throwing");
    (void)RESOLVED(async_let_finish, "swift_asyncLet_finish");
    (void)RESOLVED(job_run, "swift_job_run");
    // Without a socket to serve, the observer waits to be asked: a program that linked
    // asynctop calls `GlobalExecutorMonitor.install()`, which turns it on (`asynctop_obs_enable`).
    const char *floor = getenv("ASYNCTOP_OBSERVE_FLOOR");
    if (floor && (*floor == '1' || *floor == '2')) floor_mode = *floor - '0';
    const char *socket = getenv("ASYNCTOP_OBSERVE_SOCKET");
    if (!socket || !*socket) return;
    const char *status = getenv("ASYNCTOP_OBSERVE_STATUS");
    // `asynctop run` watches the process it started (through exec: a wrapper script keeps
    // its pid and parent), not the program's own children, which inherit the environment.
    // (The environment is left as it is: changing it this early broke the Swift runtime.)
    const char *parent = getenv("ASYNCTOP_OBSERVE_PARENT");
    if (parent && *parent && atoi(parent) != (int)getppid()) return;
    // A wrapper (a shell script, env) is passed through: the Swift program it runs is the one.
    if (!main_needs_concurrency()) return;
    char message[512];
    if (turn_on() == ASYNCTOP_OBS_ENABLE_ON) {
        // The monitor: the socket server, in Swift, loaded only now that the checks passed.
        const char *library = getenv("ASYNCTOP_OBSERVE_LIBRARY");
        char path[4096];
        if (!library || !*library) {
            Dl_info self;
            if (dladdr((void *)asynctop_preload_start, &self) && self.dli_fname) {
                snprintf(path, sizeof path, "%s", self.dli_fname);
                char *slash = strrchr(path, '/');
                snprintf(slash ? slash + 1 : path, sizeof path - (size_t)(slash ? slash + 1 - path : 0), "libAsyncTopObserver.so");
                library = path;
            }
        }
        void *monitor = library ? dlopen(library, RTLD_NOW | RTLD_LOCAL) : NULL;
        serve_fn serve = monitor ? (serve_fn)dlsym(monitor, "asynctop_observer_serve") : NULL;
        if (!serve) {
            snprintf(off_reason, sizeof off_reason, "the monitor library did not load: %s", dlerror());
            turn_off();
        } else if (serve(socket, status) != 0) {
            // It said why (in the status file, or on standard error).
            snprintf(off_reason, sizeof off_reason, "the observer's own socket (ASYNCTOP_OBSERVE_SOCKET) could not be served");
            turn_off();
            return;
        } else {
            return;
        }
    }
    snprintf(message, sizeof message, "off %s\n", off_reason);
    write_status(status, message);
    if (!status || !*status) fprintf(stderr, "asynctop: the observer is off: %s; the program runs unobserved\n", off_reason);
}
