"""gather(return_exceptions=True): values, errors and cancellations in argument order."""
import asyncio
from difflog import Boom, log, outcome, run, ticks


async def work(name, n, fail=False):
    log(f"{name} started")
    try:
        await ticks(n)
    except asyncio.CancelledError:
        log(f"{name} cancelled")
        raise
    if fail:
        log(f"{name} raises")
        raise Boom(name)
    log(f"{name} finished {n * 10}")
    return n * 10


async def cancel_later(task, n):
    await ticks(n)
    log(f"cancelling {task.get_name()}")
    task.cancel()


async def main():
    a = asyncio.create_task(work("a", 3), name="a")
    b = asyncio.create_task(work("b", 1, fail=True), name="b")
    c = asyncio.create_task(work("c", 5), name="c")
    canceller = asyncio.create_task(cancel_later(c, 2))
    results = await asyncio.gather(a, b, c, return_exceptions=True)
    log("gather returned " + ", ".join(outcome(r) for r in results))
    await canceller


run(main)
