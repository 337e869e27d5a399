"""run_in_executor on a pool of one thread: the calls run one after the other, in the
order they were submitted, while the loop runs on."""
import asyncio
import concurrent.futures
import time
from difflog import TICK, log, run, ticks


def blocking(name):
    time.sleep(2 * TICK)
    log(f"{name} finished on the pool's thread")
    return name


async def ticker():
    await ticks(3)
    log("the loop ran at tick 3")
    await ticks(2)
    log("the loop ran at tick 5")


async def main():
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        side = asyncio.create_task(ticker())
        calls = [loop.run_in_executor(pool, blocking, name) for name in ["a", "b", "c"]]
        log(f"gather returned {', '.join(await asyncio.gather(*calls))}")
        await side


run(main)
