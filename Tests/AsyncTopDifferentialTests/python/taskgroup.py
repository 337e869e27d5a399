"""TaskGroup: the first child to fail cancels its siblings; the group waits for every
child and raises the errors collected, in the order the children failed, as an
ExceptionGroup, the body's own error last. Cancelling the task in the group cancels
the children, waits for their cleanup, and raises CancelledError."""
import asyncio
from difflog import Boom, err, log, run, ticks


async def child(name, n, cleanup=0, fail=False, fail_on_cancel=False):
    log(f"{name} started")
    try:
        await ticks(n)
    except asyncio.CancelledError:
        # A group cancels its children in no set order: only the cleanup, of a length
        # of its own, orders their lines.
        await ticks(cleanup)
        log(f"{name} cleaned up")
        if fail_on_cancel:
            log(f"{name} raises while cancelled")
            raise Boom(name)
        raise
    if fail:
        log(f"{name} raises")
        raise Boom(name)
    log(f"{name} finished")
    return name


async def failing_group():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(child("a", 2, fail=True))
            group.create_task(child("b", 5, cleanup=2))
            group.create_task(child("c", 1))
            group.create_task(child("d", 5, cleanup=1, fail_on_cancel=True))
            log("body done")
        log("group returned")
    except BaseException as error:
        log(f"group raised {err(error)}")

async def cancelled_group():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(child("e", 10, cleanup=1))
            group.create_task(child("f", 10, cleanup=2))
            log("body done")
        log("group returned")
    except BaseException as error:
        log(f"group raised {err(error)}")
        raise

async def failing_body():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(child("g", 5, cleanup=1, fail_on_cancel=True))
            group.create_task(child("h", 5, cleanup=2))
            await ticks(1)
            log("body raises")
            raise Boom("body")
    except BaseException as error:
        log(f"group raised {err(error)}")


async def main():
    await failing_group()
    await failing_body()
    task = asyncio.create_task(cancelled_group())
    await ticks(1)
    log("cancelling the group's task")
    task.cancel()
    try:
        await task
    except asyncio.CancelledError as error:
        log(f"awaiting it raised {err(error)}")

run(main)
