"""wait_for: the value in time; at the deadline the inner task is cancelled and, once it
ended, TimeoutError is raised (its value is returned if it swallowed the cancellation);
cancelling the awaiting task cancels the inner one too, and waits for it."""
import asyncio
from difflog import TICK, err, log, run, ticks


async def inner(name, n, swallow=False, cleanup=0):
    log(f"{name} started")
    try:
        await ticks(n)
    except asyncio.CancelledError:
        log(f"{name} caught CancelledError")
        if cleanup:
            await ticks(cleanup)
            log(f"{name} cleaned up")
        if swallow:
            return f"{name} swallowed"
        raise
    log(f"{name} finished")
    return f"{name} value"


async def call(label, name, n, timeout, swallow=False, cleanup=0):
    try:
        log(f"{label} returned {await asyncio.wait_for(inner(name, n, swallow, cleanup), timeout * TICK)}")
    except (Exception, asyncio.CancelledError) as error:
        log(f"{label} raised {err(error)}")
        if isinstance(error, asyncio.CancelledError):
            raise


async def main():
    await call("in time", "quick", 1, 3)
    await call("too late", "slow", 5, 2)
    await call("swallowed", "stubborn", 5, 2, swallow=True)

    task = asyncio.create_task(call("cancelled", "cleaner", 10, 10, cleanup=2))
    await ticks(1)
    log("cancelling the awaiting task")
    task.cancel()
    try:
        await task
    except asyncio.CancelledError as error:
        log(f"awaiting it raised {err(error)}")


run(main)
