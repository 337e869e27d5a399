"""gather: results in argument order; the first error is raised at once and the
other tasks run on."""
import asyncio
from difflog import Boom, err, log, run, ticks


async def work(name, n, fail=False):
    log(f"{name} started")
    await ticks(n)
    if fail:
        log(f"{name} raises")
        raise Boom(name)
    log(f"{name} finished {n * 10}")
    return n * 10


async def main():
    x = asyncio.create_task(work("x", 2), name="x")
    y = asyncio.create_task(work("y", 1), name="y")
    log(f"gather returned {await asyncio.gather(x, y)}")

    a = asyncio.create_task(work("a", 1), name="a")
    b = asyncio.create_task(work("b", 2, fail=True), name="b")
    c = asyncio.create_task(work("c", 3), name="c")
    try:
        log(f"gather returned {await asyncio.gather(a, b, c)}")
    except Exception as error:
        log(f"gather raised {err(error)}")
    log(f"c done {c.done()}")
    await c
    log(f"c done {c.done()} cancelled {c.cancelled()}")


run(main)
