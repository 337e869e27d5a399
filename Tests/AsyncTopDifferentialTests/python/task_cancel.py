"""Task.cancel: a task cancelled before its first step never runs; cancel() of a
finished task returns False; a task that catches its cancellation and returns ends
with its value, not cancelled."""
import asyncio
from difflog import err, log, run, ticks


async def body(name, n, swallow=False):
    log(f"{name} started")
    try:
        await ticks(n)
    except asyncio.CancelledError:
        log(f"{name} caught CancelledError")
        if swallow:
            return f"{name} swallowed"
        raise
    log(f"{name} finished")
    return f"{name} value"


async def main():
    early = asyncio.create_task(body("early", 1))
    log(f"cancel before it ran returned {early.cancel()}")
    try:
        await early
    except asyncio.CancelledError as error:
        log(f"awaiting early raised {err(error)}, cancelled {early.cancelled()}")

    done = asyncio.create_task(body("done", 1))
    await done
    log(f"cancel of a finished task returned {done.cancel()}, cancelled {done.cancelled()}")

    stubborn = asyncio.create_task(body("stubborn", 5, swallow=True))
    await ticks(1)
    log(f"cancel returned {stubborn.cancel()}")
    log(f"awaiting stubborn gave {await stubborn}, cancelled {stubborn.cancelled()}")


run(main)
