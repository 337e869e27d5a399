"""Condition: notify(1) wakes the longest waiter, notify_all the rest in order; each
takes the lock back before it goes on; wait_for checks its predicate after every
notification; notify without the lock raises RuntimeError."""
import asyncio
from difflog import err, log, run, ticks


async def waiter(condition, name):
    async with condition:
        log(f"{name} waits")
        await condition.wait()
        log(f"{name} woke holding the lock {condition.locked()}")


async def main():
    condition = asyncio.Condition()
    waiters = []
    for name in ["w1", "w2", "w3"]:
        waiters.append(asyncio.create_task(waiter(condition, name)))
        await ticks(1)
    async with condition:
        log("notify 1")
        condition.notify(1)
        await ticks(1)
        log("main releases")
    await ticks(1)
    async with condition:
        log("notify all")
        condition.notify_all()
    await asyncio.gather(*waiters)

    state = {"count": 0}

    async def counting():
        async with condition:
            await condition.wait_for(lambda: state["count"] >= 2)
            log(f"wait_for saw count {state['count']}")

    task = asyncio.create_task(counting())
    for _ in range(2):
        await ticks(1)
        async with condition:
            state["count"] += 1
            log(f"count {state['count']}, notify")
            condition.notify()
    await task

    try:
        condition.notify()
    except Exception as error:
        log(f"notify without the lock raised {err(error)}")


run(main)
