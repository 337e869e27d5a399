"""shield: cancelling the awaiting task raises CancelledError in it at once; the
shielded task runs on and its value stays available; its error reaches the awaiting
task."""
import asyncio
from difflog import Boom, err, log, run, ticks


async def inner():
    log("inner started")
    await ticks(3)
    log("inner finished")
    return "inner value"


async def outer(task):
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError as error:
        log(f"outer's shield raised {err(error)}")
        raise


async def main():
    task = asyncio.create_task(inner())
    waiting = asyncio.create_task(outer(task))
    await ticks(1)
    log("cancelling outer")
    waiting.cancel()
    try:
        await waiting
    except asyncio.CancelledError as error:
        log(f"awaiting outer raised {err(error)}")
    log(f"inner done {task.done()}")
    log(f"inner returned {await task}")
    log(f"inner cancelled {task.cancelled()}")

    async def failing():
        await ticks(1)
        log("failing raises")
        raise Boom("inner")

    try:
        await asyncio.shield(asyncio.create_task(failing()))
    except Exception as error:
        log(f"shield of a failing task raised {err(error)}")


run(main)
