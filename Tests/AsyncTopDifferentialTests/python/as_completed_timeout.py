"""as_completed with a time-out: tasks in the order they end, then TimeoutError; the
tasks left are not cancelled."""
import asyncio
from difflog import TICK, err, log, run, ticks


async def work(name, n):
    await ticks(n)
    log(f"{name} finished")
    return name


async def main():
    tasks = {n: asyncio.create_task(work(n, t), name=n) for n, t in [("a", 3), ("b", 1), ("c", 2), ("d", 6)]}
    try:
        for next_done in asyncio.as_completed(tasks.values(), timeout=4 * TICK):
            log(f"as_completed gave {await next_done}")
    except Exception as error:
        log(f"as_completed raised {err(error)}")
    log(f"d done {tasks['d'].done()}")
    log(f"d returned {await tasks['d']}")


run(main)
