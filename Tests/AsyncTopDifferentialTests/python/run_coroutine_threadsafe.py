"""run_coroutine_threadsafe: a thread blocks on the future with a time-out, gets
TimeoutError (the coroutine runs on), then cancels it: its task is cancelled."""
import asyncio
from difflog import TICK, err, log, run, ticks


async def coroutine():
    log("coroutine started")
    try:
        await ticks(10)
    except asyncio.CancelledError as error:
        await ticks(1)  # so that the thread's lines come first
        log(f"coroutine caught {err(error)}, re-raises")
        raise
    log("coroutine finished")


def thread_side(loop):
    future = asyncio.run_coroutine_threadsafe(coroutine(), loop)
    try:
        future.result(timeout=2 * TICK)
        log("result returned")
    except Exception as error:
        log(f"thread: result raised {err(error)}, done {future.done()}")
    log(f"thread: cancel returned {future.cancel()}")


async def main():
    await asyncio.to_thread(thread_side, asyncio.get_running_loop())
    log("thread returned")
    await ticks(3)
    log("end")


run(main)
