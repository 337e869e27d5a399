"""TaskGroup: a child failing while the body of `async with` still runs cancels the
body's task too, and the group raises the child's error alone."""
import asyncio
from difflog import Boom, err, log, run, ticks


async def failing():
    log("child started")
    await ticks(1)
    log("child raises")
    raise Boom("child")


async def main():
    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(failing())
            try:
                await ticks(3)
                log("body finished")
            except asyncio.CancelledError as error:
                log(f"body caught {err(error)}")
                raise
    except BaseException as error:
        log(f"group raised {err(error)}")
    log("end")


run(main)
