"""to_thread: two blocking calls run at once on threads while the loop runs on; the
shorter, started second, ends first."""
import asyncio
import time
from difflog import TICK, log, run, ticks


def blocking(name, n):
    time.sleep(n * TICK)
    log(f"{name} finished on a thread")
    return name


async def ticker():
    await ticks(1)
    log("the loop ran meanwhile")


async def main():
    side = asyncio.create_task(ticker())
    results = await asyncio.gather(asyncio.to_thread(blocking, "long", 4), asyncio.to_thread(blocking, "short", 2))
    log(f"gather returned {', '.join(results)}")
    await side


run(main)
