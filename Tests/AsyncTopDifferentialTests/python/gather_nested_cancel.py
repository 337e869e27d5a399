"""Cancelling a task that awaits a gather of tasks that await gathers: the cancellation
reaches every leaf, and each gather raises CancelledError only once a child of its own
ended cancelled, so every leaf's line comes before its middle task's, and all of them
before the outer task's."""
import asyncio
from difflog import err, log, run, ticks


async def leaf(name):
    try:
        await ticks(20)
    except asyncio.CancelledError as error:
        log(f"{name} caught {err(error)}, re-raises")
        raise


async def middle(name, leaves):
    tasks = [asyncio.create_task(leaf(n), name=n) for n in leaves]
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError as error:
        log(f"{name} gather raised {err(error)}")
        raise


async def outer():
    a = asyncio.create_task(middle("middle A", ["leaf a1", "leaf a2"]), name="middle A")
    b = asyncio.create_task(middle("middle B", ["leaf b1", "leaf b2"]), name="middle B")
    try:
        await asyncio.gather(a, b)
    except asyncio.CancelledError as error:
        log(f"outer gather raised {err(error)}")
        raise


async def main():
    task = asyncio.create_task(outer(), name="outer")
    await ticks(1)
    log("cancelling outer")
    task.cancel()
    try:
        await task
    except asyncio.CancelledError as error:
        log(f"awaiting outer raised {err(error)}")
    await ticks(1)
    log("end")


run(main)
