"""The to-thread demo: 2 s of blocking work on a thread beside a 1 s sleep; the sleeper
ends first and both end after about 2 s, as the blocking call does not hold the loop."""
import asyncio
import time
from demolog import SPEED, pause, run, say, scaled


async def demo():
    loop = asyncio.get_running_loop()
    start = loop.time()
    finished = asyncio.Queue()
    block_for = scaled(2)

    async def blocking_io():
        await asyncio.to_thread(time.sleep, block_for)
        finished.put_nowait("blocking-io")

    async def sleeper_():
        await pause(1)
        finished.put_nowait("sleeper")

    blocking = asyncio.create_task(blocking_io(), name="blocking-io")
    sleeper = asyncio.create_task(sleeper_(), name="sleeper")
    await blocking
    await sleeper
    # In demo seconds: about 2 when the two overlap, 3 or more had the blocking call held the loop.
    took = (loop.time() - start) * SPEED
    say(f"both done after {took:.2f} s of demo time")
    overlap = "both within about 2 s, not 3" if took < 2.9 else f"took {took:.1f} s"
    return f"{finished.get_nowait()} done first, then {finished.get_nowait()}; {overlap}"


run(demo)
