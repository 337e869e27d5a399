"""Queue: put waits while the queue is full (maxsize), and waiting putters go on in the
order they came; join returns once every item was marked done; put_nowait of a full
queue raises QueueFull, get_nowait of an empty one QueueEmpty, a task_done too many
ValueError."""
import asyncio
from difflog import err, log, run, ticks


async def producer(queue):
    for item in range(1, 6):
        await queue.put(item)
        log(f"put {item}, size {queue.qsize()}")
    log("producer done")


async def consumer(queue):
    await ticks(2)
    for _ in range(5):
        item = await queue.get()
        log(f"got {item}")
        await ticks(1)
        queue.task_done()


async def main():
    queue = asyncio.Queue(maxsize=2)
    tasks = [asyncio.create_task(producer(queue)), asyncio.create_task(consumer(queue))]
    await ticks(1)
    log(f"full {queue.full()}")
    try:
        queue.put_nowait(99)
    except Exception as error:
        log(f"put_nowait raised {err(error)}")
    await queue.join()
    log(f"joined, empty {queue.empty()}")
    await asyncio.gather(*tasks)
    try:
        queue.get_nowait()
    except Exception as error:
        log(f"get_nowait raised {err(error)}")
    try:
        queue.task_done()
    except Exception as error:
        log(f"task_done raised {err(error)}")

    single = asyncio.Queue(maxsize=1)
    single.put_nowait("first")

    async def putter(name):
        await single.put(name)
        log(f"{name} put")

    putters = []
    for name in ["p1", "p2", "p3"]:
        putters.append(asyncio.create_task(putter(name)))
        await ticks(1)
    for _ in range(4):
        log(f"got {await single.get()}")
        await ticks(1)
    await asyncio.gather(*putters)


run(main)
