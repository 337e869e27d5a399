#!/usr/bin/env python3
"""The Python side of scripts/bench-compare: asynctop-bench's workloads written for asyncio.

    scripts/asyncio_workloads.py WORKLOAD N [--loop asyncio|uvloop] [--conns C] [--size S]

Each workload does what the Swift workload of the same name in Sources/asynctop-bench does
(that code is the definition; see Runner.swift, ToolkitWorkloads.swift and
ExecutorWorkloads.swift), with a Swift `spawn` as `asyncio.create_task`, `sleep(0)` as
`asyncio.sleep(0)`, `toThread` as `asyncio.to_thread` on a 16-thread default executor, and the
toolkit's Queue, Semaphore and Event as asyncio's. The loop is made by asyncio.Runner, with
uvloop's loop for `--loop uvloop` (an error when uvloop is not importable: pip install uvloop).
Needs Python 3.11 or later (asyncio.Runner). Loop start-up and tear-down are not timed: the
timed region is measured inside the main coroutine with time.perf_counter() (CLOCK_MONOTONIC,
as the Swift side's clock), and result checks stay outside it.

Prints one JSON line on stdout, as asynctop-bench does:
    {"workload", "n", "loop", "seconds", "ops", "ops_per_s", "us_per_op", "peak_rss_kib",
     "python", "uvloop", ...the workload's extras}
peak_rss_kib is getrusage's ru_maxrss of the whole process (the interpreter included).

Workloads and their extras:
  spawn_gather        N tasks returning i, awaited one by one and summed.
  yield_pingpong      one task doing N `await asyncio.sleep(0)`.
  timers              N tasks sleeping splitmix64 delays (seed 42) on [0, 10 ms), each
                      returning its lateness: ideal_s, overhead_s, late_{mean,p50,p99,max}_ms.
  all_tasks_snapshot  N tasks parked on an Event; 100 timed `asyncio.all_tasks()` calls
                      (ops = 100): per_call_us, ns_per_task. snapshot_per_call_us (untimed,
                      20 calls) is the nearest asyncio analog of the loop's snapshot: every
                      task's name, state, coroutine and innermost frame, as aiomonitor's `ps`.
  memory_per_task     RSS (/proc/self/statm) before and after parking N tasks on an Event:
                      bytes_per_task.
  queue_pipeline      one producer puts 0..<N then 4 sentinels into a Queue(maxsize=1024);
                      4 consumers sum until their sentinel.
  semaphore_fanout    N tasks each hold a Semaphore(100) across one sleep(0): max_active.
  cancel_storm        N tasks parked on an Event, all cancelled, gathered with
                      return_exceptions: cancel_phase_s, cancelled.
  to_thread           16 worker tasks share a counter and add `await to_thread(trivial, i)`
                      until N calls were made, on a pre-warmed 16-thread default executor.
  echo                an echo server (asyncio.start_server on 127.0.0.1, port 0) whose handler
                      loops read(65536) / write / drain until EOF, then closes; C connections
                      (--conns, 10) opened untimed; timed: C client tasks, gathered, share N
                      round trips of one S-byte message (--size, 1024) each: write, drain,
                      readexactly(S), checked equal. Untimed: the clients close, every handler
                      sees EOF, the server closes and wait_closed(). ops = N round trips:
                      conns, size, us_per_roundtrip, mib_per_s.
  idle_connections    N idle loopback connections accepted by the loop, their far ends in a
                      second process (RLIMIT_NOFILE's soft limit raised to the hard one), then
                      the process CPU time over 3 s of idling: idle_cpu_percent (seconds: the
                      time to open them).
"""
import argparse
import asyncio
import concurrent.futures
import json
import os
import platform
import resource
import sys
import threading
import time

now = time.perf_counter

CONSUMERS = 4
SEMAPHORE_LIMIT = 100
WIDTH = 16
MASK64 = (1 << 64) - 1


def check(condition, message):
    """A workload's result check (not an assert: it holds under python -O too)."""
    if not condition:
        raise SystemExit(f"asyncio_workloads.py: {message}")


def current_rss_bytes():
    """Resident memory now, in bytes, from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGESIZE")


def timer_delays(n):
    """splitmix64 with seed 42, uniform on [0, 10 ms): the same delays as the Swift side's."""
    state = 42
    delays = []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & MASK64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        z ^= z >> 31
        delays.append((z >> 11) * 2.0 ** -53 * 0.010)
    return delays


def lateness_extras(lateness, delays, seconds):
    ordered = sorted(lateness)
    ideal = max(delays) if delays else 0.0

    def quantile(q):
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]

    return {
        "ideal_s": ideal, "overhead_s": seconds - ideal,
        "late_mean_ms": sum(ordered) / len(ordered) * 1e3, "late_p50_ms": quantile(0.5) * 1e3,
        "late_p99_ms": quantile(0.99) * 1e3, "late_max_ms": ordered[-1] * 1e3,
    }


# Each workload returns (seconds, ops, extras).

async def spawn_gather(n):
    async def leaf(i):
        return i

    start = now()
    tasks = [asyncio.create_task(leaf(i)) for i in range(n)]
    total = 0
    for task in tasks:
        total += await task
    seconds = now() - start
    check(total == n * (n - 1) // 2, "spawn_gather: bad sum")
    return seconds, n, {}


async def yield_pingpong(n):
    async def spin():
        for _ in range(n):
            await asyncio.sleep(0)
        return n

    start = now()
    spun = await asyncio.create_task(spin())
    seconds = now() - start
    check(spun == n, f"yield_pingpong: spun {spun}")
    return seconds, n, {}


async def timers(n):
    delays = timer_delays(n)

    async def sleeper(delay):
        t0 = now()
        await asyncio.sleep(delay)
        return now() - t0 - delay

    start = now()
    tasks = [asyncio.create_task(sleeper(delay)) for delay in delays]
    lateness = []
    for task in tasks:
        lateness.append(await task)
    seconds = now() - start
    return seconds, n, lateness_extras(lateness, delays, seconds)


def describe_tasks():
    """Every task of the running loop as a monitor would list it."""
    rows = []
    for task in asyncio.all_tasks():
        state = "cancelled" if task.cancelled() else "done" if task.done() else "pending"
        stack = task.get_stack(limit=1)
        where = (stack[0].f_code.co_filename, stack[0].f_lineno) if stack else None
        rows.append((id(task), task.get_name(), state, task.get_coro().__qualname__, where))
    return rows


async def all_tasks_snapshot(n):
    event = asyncio.Event()
    parked = [asyncio.create_task(event.wait()) for _ in range(n)]
    await asyncio.sleep(0)
    start = now()
    for _ in range(100):
        count = len(asyncio.all_tasks())
        check(count == n + 1, f"all_tasks_snapshot: {count} tasks")
    seconds = now() - start
    snap_start = now()
    for _ in range(20):
        check(len(describe_tasks()) >= n + 1, "all_tasks_snapshot: short snapshot")
    snapshot_seconds = (now() - snap_start) / 20
    for task in parked:
        task.cancel()
    await asyncio.gather(*parked, return_exceptions=True)
    return seconds, 100, {
        "per_call_us": seconds / 100 * 1e6, "ns_per_task": seconds / 100 / (n + 1) * 1e9,
        "snapshot_per_call_us": snapshot_seconds * 1e6,
    }


async def memory_per_task(n):
    event = asyncio.Event()
    rss0 = current_rss_bytes()
    start = now()
    parked = [asyncio.create_task(event.wait()) for _ in range(n)]
    await asyncio.sleep(0)
    seconds = now() - start
    rss1 = current_rss_bytes()
    for task in parked:
        task.cancel()
    await asyncio.gather(*parked, return_exceptions=True)
    return seconds, n, {"bytes_per_task": (rss1 - rss0) / n}


async def queue_pipeline(n):
    queue = asyncio.Queue(maxsize=1024)

    async def producer():
        for i in range(n):
            await queue.put(i)
        for _ in range(CONSUMERS):
            await queue.put(None)
        return 0

    async def consumer():
        total = 0
        while (x := await queue.get()) is not None:
            total += x
        return total

    start = now()
    tasks = [asyncio.create_task(producer(), name="producer")]
    tasks += [asyncio.create_task(consumer(), name=f"consumer-{c}") for c in range(CONSUMERS)]
    sums = await asyncio.gather(*tasks)
    seconds = now() - start
    check(sum(sums[1:]) == n * (n - 1) // 2, "queue_pipeline: bad sum")
    return seconds, n, {}


async def semaphore_fanout(n):
    semaphore = asyncio.Semaphore(SEMAPHORE_LIMIT)
    active = max_active = 0

    async def worker():
        nonlocal active, max_active
        async with semaphore:
            active += 1
            max_active = max(max_active, active)
            await asyncio.sleep(0)
            active -= 1
        return 1

    start = now()
    tasks = [asyncio.create_task(worker()) for _ in range(n)]
    done = sum(await asyncio.gather(*tasks))
    seconds = now() - start
    check(done == n, f"semaphore_fanout: {done} done")
    check(max_active == min(SEMAPHORE_LIMIT, n), f"semaphore_fanout: max_active {max_active}")
    return seconds, n, {"max_active": float(max_active)}


async def cancel_storm(n):
    event = asyncio.Event()
    start = now()
    tasks = [asyncio.create_task(event.wait()) for _ in range(n)]
    await asyncio.sleep(0)
    cancel_start = now()
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    end = now()
    cancelled = sum(1 for r in results if isinstance(r, asyncio.CancelledError))
    check(cancelled == n, f"cancel_storm: {cancelled} cancelled")
    return end - start, n, {"cancel_phase_s": end - cancel_start, "cancelled": float(cancelled)}


def trivial(i):
    return i


async def warm_pool():
    """A 16-thread pool with every thread started (untimed): each call holds its thread
    until all 16 have arrived (or a second passed), so no thread is reused."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=WIDTH, thread_name_prefix="bench")
    lock = threading.Lock()
    arrived = 0

    def hold():
        nonlocal arrived
        with lock:
            arrived += 1
        deadline = now() + 1
        while arrived < WIDTH and now() < deadline:
            time.sleep(0.0001)

    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, hold) for _ in range(WIDTH)))
    return pool


async def to_thread(n):
    pool = await warm_pool()
    asyncio.get_running_loop().set_default_executor(pool)
    taken = 0

    def next_index():
        nonlocal taken
        i, taken = taken, taken + 1
        return i if i < n else None

    async def worker():
        total = 0
        while (i := next_index()) is not None:
            total += await asyncio.to_thread(trivial, i)
        return total

    start = now()
    workers = [asyncio.create_task(worker()) for _ in range(WIDTH)]
    total = 0
    for task in workers:
        total += await task
    seconds = now() - start
    check(total == n * (n - 1) // 2, "to_thread: bad sum")
    pool.shutdown()
    return seconds, n, {}


ECHO_CONNS = 10
ECHO_SIZE = 1024


async def echo(n):
    conns, size = ECHO_CONNS, ECHO_SIZE
    eofs = 0

    async def handle(reader, writer):
        nonlocal eofs
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        eofs += 1
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    clients = [await asyncio.open_connection("127.0.0.1", port) for _ in range(conns)]

    async def client(c, reader, writer):
        share = n // conns + (1 if c < n % conns else 0)
        message = bytes((c + k) & 255 for k in range(size))
        for _ in range(share):
            writer.write(message)
            await writer.drain()
            reply = await reader.readexactly(size)
            if reply != message:
                raise SystemExit("asyncio_workloads.py: echo: the reply is not the message")
        return share

    start = now()
    done = sum(await asyncio.gather(*(client(c, r, w) for c, (r, w) in enumerate(clients))))
    seconds = now() - start
    check(done == n, f"echo: {done} round trips")
    for _, writer in clients:
        writer.close()
    for _, writer in clients:
        await writer.wait_closed()
    while eofs < conns:
        await asyncio.sleep(0.001)
    server.close()
    await server.wait_closed()
    return seconds, n, {"conns": float(conns), "size": float(size), "us_per_roundtrip": seconds / n * 1e6,
                        "mib_per_s": n * size * 2 / seconds / 1048576}


IDLE_PEER = """
import resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, n = int(sys.argv[1]), int(sys.argv[2])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
sys.stdin.read()
"""


async def idle_connections(n, idle_seconds=3.0):
    """The far ends are a second process (blocking sockets), as on the Swift side."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    check(hard >= n + 256, f"idle_connections: {n + 256} descriptors needed, the limit is {hard}")
    accepted = eofs = 0

    async def handle(reader, writer):
        nonlocal accepted, eofs
        accepted += 1
        while await reader.read(65536):
            pass
        eofs += 1
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    start = now()
    peer = await asyncio.create_subprocess_exec(sys.executable, "-c", IDLE_PEER, str(port), str(n),
                                                stdin=asyncio.subprocess.PIPE)
    while accepted < n:
        check(peer.returncode is None, "idle_connections: the peer process ended early")
        await asyncio.sleep(0.001)
    open_seconds = now() - start
    await asyncio.sleep(0.2)
    cpu0, wall0 = time.process_time(), now()
    await asyncio.sleep(idle_seconds)
    wall, cpu = now() - wall0, time.process_time() - cpu0
    peer.stdin.close()
    while eofs < n:
        await asyncio.sleep(0.001)
    server.close()
    await server.wait_closed()
    await peer.wait()
    return open_seconds, n, {"idle_wall_s": wall, "idle_cpu_s": cpu, "idle_cpu_percent": cpu / wall * 100,
                             "open_us_per_conn": open_seconds / n * 1e6}


WORKLOADS = {f.__name__: f for f in (spawn_gather, yield_pingpong, timers, all_tasks_snapshot, memory_per_task,
                                     queue_pipeline, semaphore_fanout, cancel_storm, to_thread, echo,
                                     idle_connections)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workload", choices=sorted(WORKLOADS))
    ap.add_argument("n", type=int, help="N, the workload's size")
    ap.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    ap.add_argument("--conns", type=int, default=10, help="echo: the number of connections")
    ap.add_argument("--size", type=int, default=1024, help="echo: the message size in bytes")
    a = ap.parse_args()
    if a.n <= 0 or a.conns <= 0 or a.size <= 0:
        ap.error("N, --conns and --size must be positive")
    global ECHO_CONNS, ECHO_SIZE
    ECHO_CONNS, ECHO_SIZE = a.conns, a.size
    loop_factory, uvloop_version = None, None
    if a.loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            ap.error("--loop uvloop: uvloop is not importable (pip install uvloop)")
        loop_factory, uvloop_version = uvloop.new_event_loop, uvloop.__version__
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        seconds, ops, extras = runner.run(WORKLOADS[a.workload](a.n))
    record = {
        "workload": a.workload, "n": a.n, "loop": a.loop, "seconds": seconds, "ops": ops,
        "ops_per_s": ops / seconds, "us_per_op": seconds * 1e6 / ops,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "python": platform.python_version(), "uvloop": uvloop_version,
    }
    record.update(extras)
    print(json.dumps(record, sort_keys=True), flush=True)


if __name__ == "__main__":
    sys.exit(main())
