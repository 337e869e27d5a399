"""asyncio.timeout (asynctop's withTimeout): the body in time returns; past the deadline
the body is cancelled and, once it ended, TimeoutError is raised."""
import asyncio
from difflog import TICK, err, log, run, ticks


async def body(name, n):
    log(f"{name} started")
    try:
        await ticks(n)
    except asyncio.CancelledError:
        log(f"{name} caught CancelledError")
        raise
    log(f"{name} finished")
    return f"{name} value"


async def main():
    for name, n in [("quick", 1), ("slow", 5)]:
        try:
            async with asyncio.timeout(3 * TICK):
                value = await body(name, n)
            log(f"timeout around {name} gave {value}")
        except Exception as error:
            log(f"timeout around {name} raised {err(error)}")


run(main)
