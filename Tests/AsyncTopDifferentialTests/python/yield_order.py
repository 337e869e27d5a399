"""The ready queue is first in, first out: callbacks from call_soon, new tasks' first
steps and tasks that yielded with sleep(0) run in the order they were scheduled."""
import asyncio
from difflog import log, run


async def stepper(name):
    for step in range(3):
        log(f"{name} step {step}")
        await asyncio.sleep(0)


async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(log, "callback 1")
    a = asyncio.create_task(stepper("a"))
    loop.call_soon(log, "callback 2")
    b = asyncio.create_task(stepper("b"))
    log("main yields")
    await asyncio.sleep(0)
    log("main resumed")
    await asyncio.gather(a, b)
    log("end")


run(main)
