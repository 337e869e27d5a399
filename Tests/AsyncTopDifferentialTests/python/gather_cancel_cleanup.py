"""A cancelled gather raises CancelledError once its first child ended cancelled, not
before (the children got the cancellation) and not after all of them (a slow cleanup
runs on)."""
import asyncio
from difflog import err, log, run, ticks


async def leaf(name, cleanup):
    try:
        await ticks(20)
    except asyncio.CancelledError:
        log(f"{name} caught CancelledError")
        await ticks(cleanup)  # a cleanup that itself waits
        log(f"{name} cleaned up, re-raises")
        raise


async def awaiting():
    tasks = [asyncio.create_task(leaf("quick", 1)), asyncio.create_task(leaf("slow", 3))]
    try:
        await asyncio.gather(*tasks)
    except asyncio.CancelledError as error:
        log(f"gather raised {err(error)}")
        raise


async def main():
    task = asyncio.create_task(awaiting())
    await ticks(1)
    log("cancelling")
    task.cancel()
    try:
        await task
    except asyncio.CancelledError as error:
        log(f"awaiting the task raised {err(error)}")
    await ticks(4)
    log("end")


run(main)
