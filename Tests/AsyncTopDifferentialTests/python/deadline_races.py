"""Deadlines that fall due in one iteration with the work they limit (the loop is held
past both by a blocking call): a cancel asked after a sleep's time came but before the
task ran again wins; wait_for gives the result of work that ended by the time the waiting
task looks, and cancels it otherwise; asyncio.timeout cancels in its timer's callback."""
import asyncio
import time
from difflog import TICK, err, log, run


async def query(name, n):
    try:
        await asyncio.sleep(n * TICK)
    except asyncio.CancelledError:
        log(f"{name} cancelled")
        raise
    log(f"{name} done")
    return "value"


def hold():
    """Blocks the loop's thread past every deadline of the race."""
    time.sleep(4 * TICK)


async def cancel_race(name, sleep, cancel_at):
    task = asyncio.create_task(query(name, sleep))
    await asyncio.sleep(0)
    asyncio.get_running_loop().call_later(cancel_at * TICK, task.cancel)
    hold()
    try:
        log(f"{name}: {await task}")
    except asyncio.CancelledError as error:
        log(f"{name}: {err(error)}")


async def wait_for_race(name, sleep, timeout):
    work = asyncio.create_task(query(name, sleep))

    async def waiter():
        try:
            return await asyncio.wait_for(work, timeout * TICK)
        except asyncio.TimeoutError as error:
            return err(error)

    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    hold()
    log(f"{name}: {await waiting}")


async def timeout_race(name, sleep, timeout):
    async def waiter():
        try:
            async with asyncio.timeout(timeout * TICK):
                return await query(name, sleep)
        except TimeoutError as error:
            return err(error)

    waiting = asyncio.create_task(waiter())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    hold()
    log(f"{name}: {await waiting}")


async def main():
    await cancel_race("cancel due first", 2, 1)
    await cancel_race("sleep due first", 1, 2)
    await wait_for_race("wait_for, deadline due first", 2, 1)
    await wait_for_race("wait_for, work due first", 1, 2)
    await timeout_race("timeout, deadline due first", 2, 1)
    await timeout_race("timeout, work due first", 1, 2)


run(main)
