"""Event: set wakes every waiter in order; a waiter on a set event goes on at once;
clear makes waiters wait again."""
import asyncio
from difflog import TICK, err, log, run, ticks


async def waiter(event, name):
    log(f"{name} waits")
    await event.wait()
    log(f"{name} woke")


async def main():
    event = asyncio.Event()
    waiters = [asyncio.create_task(waiter(event, n)) for n in ["w1", "w2", "w3"]]
    await ticks(1)
    log(f"set, was set {event.is_set()}")
    event.set()
    await asyncio.gather(*waiters)
    await waiter(event, "late")
    event.clear()
    log(f"cleared, is set {event.is_set()}")
    try:
        await asyncio.wait_for(event.wait(), 2 * TICK)
    except Exception as error:
        log(f"waiting on the cleared event raised {err(error)}")


run(main)
