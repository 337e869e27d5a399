"""The threadsafe demo: a thread that is not the loop's hands coroutines to the loop
with run_coroutine_threadsafe and blocks on their results; it gets quick's answer,
gives up on slow after 2 s and cancels it, then reports to the loop with
call_soon_threadsafe."""
import asyncio
import concurrent.futures
import threading
from demolog import pause, run, say, scaled


def hand_off_from_thread(loop):
    """What legacy-thread does, blocking it and never the loop."""
    me = threading.current_thread().name

    async def quick_():
        asyncio.current_task().set_name("quick")
        await pause(0.5)
        say(f"quick: 42, for {me}")
        return 42

    quick = asyncio.run_coroutine_threadsafe(quick_(), loop)
    answer = quick.result(timeout=30)
    say(f"{me}: quick returned {answer}")

    patience = 2

    async def slow_():
        asyncio.current_task().set_name("slow")
        await pause(3600)
        return 0

    slow = asyncio.run_coroutine_threadsafe(slow_(), loop)
    try:
        slow.result(timeout=scaled(patience))
        timed_out = False
    except TimeoutError:
        timed_out = True
        say(f"{me}: slow has not answered in {patience} s; cancelling it")
        slow.cancel()
    try:
        slow.result(timeout=30)
        cancelled = False
    except concurrent.futures.CancelledError:
        cancelled = True
    return (f"{me} got {answer} from quick; slow "
            + (f"timed out after {patience} s" if timed_out else "answered in time")
            + (f" and {me} cancelled it" if cancelled else " and was not cancelled"))


async def demo():
    loop = asyncio.get_running_loop()
    report = loop.create_future()

    def legacy_thread():
        try:
            outcome = hand_off_from_thread(loop)
            loop.call_soon_threadsafe(report.set_result, outcome)
        except Exception as error:
            loop.call_soon_threadsafe(report.set_exception, error)

    threading.Thread(target=legacy_thread, name="legacy-thread").start()
    return await report


run(demo)
