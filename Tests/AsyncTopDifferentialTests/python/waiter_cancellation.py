"""A waiter cancelled while it waits leaves the line: the lock, the permit, the item and
the event go to the waiters that stayed, in order, and the cancelled one gets nothing."""
import asyncio
from difflog import err, log, run, ticks


async def wait_on(name, what, wait):
    try:
        got = await wait()
        log(f"{name} got {what}{'' if got in (None, True) else ' ' + str(got)}")
    except asyncio.CancelledError as error:
        log(f"{name} raised {err(error)}")
        raise


async def line_up(what, wait):
    """Three waiters in order; the second is cancelled."""
    tasks = []
    for name in ["w1", "w2", "w3"]:
        tasks.append(asyncio.create_task(wait_on(name, what, wait)))
        await ticks(1)
    tasks[1].cancel()
    await ticks(1)
    return tasks


async def main():
    lock = asyncio.Lock()
    await lock.acquire()
    waiters = await line_up("the lock", lock.acquire)
    for _ in range(2):
        lock.release()
        await ticks(1)
    lock.release()
    log(f"lock locked {lock.locked()}")
    await asyncio.gather(*waiters, return_exceptions=True)

    semaphore = asyncio.Semaphore(0)
    waiters = await line_up("a permit", semaphore.acquire)
    semaphore.release()
    await ticks(1)
    semaphore.release()
    await asyncio.gather(*waiters, return_exceptions=True)
    log(f"permits left locked {semaphore.locked()}")

    queue = asyncio.Queue()
    waiters = await line_up("an item", queue.get)
    queue.put_nowait("first")
    await ticks(1)
    queue.put_nowait("second")
    await asyncio.gather(*waiters, return_exceptions=True)
    log(f"queue empty {queue.empty()}")

    event = asyncio.Event()
    waiters = await line_up("the event", event.wait)
    event.set()
    await asyncio.gather(*waiters, return_exceptions=True)


run(main)
