"""PriorityQueue gives the smallest item first, LifoQueue the last put; a getter waiting
on an empty queue gets the first item put."""
import asyncio
from difflog import log, run, ticks


async def drain(queue, label):
    items = [queue.get_nowait() for _ in range(queue.qsize())]
    log(f"{label} order {items}")


async def main():
    priority = asyncio.PriorityQueue()
    for item in [5, 1, 4, 2, 3]:
        priority.put_nowait(item)
    await drain(priority, "priority")

    lifo = asyncio.LifoQueue()
    for item in [1, 2, 3]:
        await lifo.put(item)
    await drain(lifo, "lifo")

    async def getter():
        log("getter waits")
        log(f"getter got {await priority.get()}")

    task = asyncio.create_task(getter())
    await ticks(1)
    priority.put_nowait(7)
    priority.put_nowait(6)
    log("put 7 and 6")
    await task
    log(f"left {priority.get_nowait()}")


run(main)
