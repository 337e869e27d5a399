"""Queue.shutdown (Python 3.13): put raises QueueShutDown from then on, a waiting putter
too; get hands out the items left, then raises; shutdown(immediate=True) drops the items
left, counts them done for join, and wakes a waiting getter with QueueShutDown."""
import asyncio
from difflog import err, log, run, ticks


async def main():
    queue = asyncio.Queue(maxsize=1)
    queue.put_nowait(1)

    async def putter():
        try:
            await queue.put(2)
            log("putter put 2")
        except asyncio.QueueShutDown as error:
            log(f"waiting put raised {err(error)}")

    task = asyncio.create_task(putter())
    await ticks(1)
    queue.shutdown()
    log("shut down")
    await task
    try:
        await queue.put(3)
    except asyncio.QueueShutDown as error:
        log(f"put raised {err(error)}")
    log(f"get gave {await queue.get()}")
    queue.task_done()
    try:
        await queue.get()
    except asyncio.QueueShutDown as error:
        log(f"get of the empty queue raised {err(error)}")

    joined = asyncio.Queue()
    for item in [1, 2, 3]:
        joined.put_nowait(item)
    log(f"get gave {await joined.get()}")
    joined.task_done()

    async def joiner():
        await joined.join()
        log("join returned")

    task = asyncio.create_task(joiner())
    await ticks(1)
    joined.shutdown(immediate=True)
    log(f"shut down at once, size {joined.qsize()}")
    await task

    empty = asyncio.Queue()

    async def getter():
        try:
            await empty.get()
        except asyncio.QueueShutDown as error:
            log(f"waiting get raised {err(error)}")

    task = asyncio.create_task(getter())
    await ticks(1)
    empty.shutdown(immediate=True)
    log("shut down the empty queue")
    await task


run(main)
