"""Future: the done callbacks and the awaiting tasks, which asyncio wakes by a done
callback of their own, run in the order they were added."""
import asyncio
from difflog import log, run, ticks


async def awaiter(future, name):
    log(f"{name} got {await future}")


async def main():
    future = asyncio.get_running_loop().create_future()
    future.add_done_callback(lambda f: log(f"callback 1 saw {f.result()}"))
    first = asyncio.create_task(awaiter(future, "w1"))
    await ticks(1)
    future.add_done_callback(lambda f: log(f"callback 2 saw {f.result()}"))
    second = asyncio.create_task(awaiter(future, "w2"))
    await ticks(1)
    future.set_result(7)
    await asyncio.gather(first, second)


run(main)
