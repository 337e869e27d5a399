"""The producer-consumer demo: a fast producer of 20 items and two slow consumers
(0.05 s an item) share a Queue of 3; once the queue is drained the consumers are
cancelled."""
import asyncio
from demolog import pause, run


async def demo():
    jobs = asyncio.Queue(maxsize=3)

    async def produce():
        highest = 0
        for item in range(1, 21):
            await jobs.put(item)
            highest = max(highest, jobs.qsize())
        return highest

    async def consume():
        while True:
            await jobs.get()
            await pause(0.05)
            jobs.task_done()

    producer = asyncio.create_task(produce(), name="producer")
    consumers = [asyncio.create_task(consume(), name=f"consumer-{index}") for index in (1, 2)]
    highest = await producer
    await jobs.join()
    for consumer in consumers:
        consumer.cancel(msg="queue drained")
    return f"20 items consumed, queue never above {highest}"


run(demo)
