"""Future: every awaiting task gets the result, or raises the error set; result() of a
pending future and a second set_result raise InvalidStateError; cancel() of a done
future returns False."""
import asyncio
from difflog import Boom, err, log, run, ticks


async def awaiter(future, name):
    try:
        log(f"{name} got {await future}")
    except Exception as error:
        log(f"{name} raised {err(error)}")


async def main():
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    tasks = [asyncio.create_task(awaiter(future, n)) for n in ["w1", "w2"]]
    await ticks(1)
    try:
        future.result()
    except Exception as error:
        log(f"result of a pending future raised {err(error)}")
    future.set_result(42)
    log(f"set, done {future.done()}")
    await asyncio.gather(*tasks)
    try:
        future.set_result(43)
    except Exception as error:
        log(f"a second set_result raised {err(error)}")
    log(f"result {future.result()}, cancel returned {future.cancel()}")

    failed = loop.create_future()
    tasks = [asyncio.create_task(awaiter(failed, n)) for n in ["w3", "w4"]]
    await ticks(1)
    failed.set_exception(Boom("set"))
    await asyncio.gather(*tasks)
    log(f"exception {err(failed.exception())}")

    cancelled = loop.create_future()
    task = asyncio.create_task(awaiter(cancelled, "w5"))
    await ticks(1)
    log(f"cancel returned {cancelled.cancel()}, cancelled {cancelled.cancelled()}")
    try:
        await task
    except asyncio.CancelledError as error:
        log(f"w5's task raised {err(error)}")


run(main)
