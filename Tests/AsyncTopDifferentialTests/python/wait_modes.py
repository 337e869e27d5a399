"""wait: ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION (for which a cancelled task is
no exception) and a time-out; it returns the done and pending sets and never cancels a
task."""
import asyncio
from difflog import TICK, Boom, log, names, run, ticks


async def work(name, n, fail=False):
    await ticks(n)
    if fail:
        log(f"{name} raises")
        raise Boom(name)
    log(f"{name} finished")
    return name


def start(specs):
    return [asyncio.create_task(work(*spec), name=spec[0]) for spec in specs]


async def main():
    done, pending = await asyncio.wait(start([("a", 1), ("b", 2)]))
    log(f"ALL_COMPLETED done {names(done)} pending {names(pending)}")

    done, pending = await asyncio.wait(start([("c", 1), ("d", 3)]), return_when=asyncio.FIRST_COMPLETED)
    log(f"FIRST_COMPLETED done {names(done)} pending {names(pending)}")
    await asyncio.wait(pending)

    tasks = start([("e", 1), ("f", 2, True), ("g", 4)])
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    log(f"FIRST_EXCEPTION done {names(done)} pending {names(pending)}")
    await asyncio.wait(pending)

    tasks = start([("k", 3), ("l", 5)])
    await ticks(1)
    tasks[0].cancel()
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    log(f"FIRST_EXCEPTION with a cancelled task done {names(done)} pending {names(pending)}")

    tasks = start([("h", 1), ("i", 2), ("j", 4)])
    done, pending = await asyncio.wait(tasks, timeout=3 * TICK)
    log(f"timeout done {names(done)} pending {names(pending)}")
    log(f"j cancelled {tasks[2].cancelled()}")
    await asyncio.wait(pending)
    log(f"j done {tasks[2].done()} cancelled {tasks[2].cancelled()}")


run(main)
