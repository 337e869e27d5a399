"""A waiter woken (its event set, its future's result in, an item or a permit or a notify
for it) and cancelled before it ran again: the cancel wins, and what was meant for it goes
to the next waiter (the item, the permit) or stays (the event's flag, the result)."""
import asyncio
from difflog import err, log, run


async def outcome(name, task):
    try:
        log(f"{name} got {await task}")
    except asyncio.CancelledError as error:
        log(f"{name} raised {err(error)}")


async def main():
    event = asyncio.Event()
    waiter = asyncio.create_task(event.wait())
    await asyncio.sleep(0)
    event.set()
    waiter.cancel()
    await outcome("event waiter", waiter)
    log(f"event is set {event.is_set()}")

    future = asyncio.get_running_loop().create_future()

    async def awaiting():
        return await future

    waiter = asyncio.create_task(awaiting())
    await asyncio.sleep(0)
    future.set_result(1)
    waiter.cancel()
    await outcome("future awaiter", waiter)
    log(f"future result {future.result()}")

    queue = asyncio.Queue()
    first, second = asyncio.create_task(queue.get()), asyncio.create_task(queue.get())
    await asyncio.sleep(0)
    queue.put_nowait(7)
    first.cancel()
    await outcome("first getter", first)
    await outcome("second getter", second)

    semaphore = asyncio.Semaphore(0)
    first, second = asyncio.create_task(semaphore.acquire()), asyncio.create_task(semaphore.acquire())
    await asyncio.sleep(0)
    semaphore.release()
    first.cancel()
    await outcome("first acquirer", first)
    await outcome("second acquirer", second)

    lock = asyncio.Lock()
    await lock.acquire()

    async def take():
        async with lock:
            return "the lock"

    first, second = asyncio.create_task(take()), asyncio.create_task(take())
    await asyncio.sleep(0)
    lock.release()
    first.cancel()
    await outcome("first locker", first)
    await outcome("second locker", second)

    condition = asyncio.Condition()

    async def wait_notified():
        async with condition:
            await condition.wait()
            return "notified"

    waiter = asyncio.create_task(wait_notified())
    await asyncio.sleep(0)
    async with condition:
        condition.notify()
        waiter.cancel()
    await outcome("condition waiter", waiter)
    log(f"condition lock held {condition.locked()}")


run(main)
