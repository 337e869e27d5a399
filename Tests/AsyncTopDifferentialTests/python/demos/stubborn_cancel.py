"""The stubborn-cancel demo: a busy loop that computes in 2 ms slices and yields between
them, and a task that catches its cancellation and carries on, both cancelled at 1 s.

asyncio's yield, `await asyncio.sleep(0)`, delivers a cancellation as any await does,
where Swift's `Task.yield()` never throws: here the busy loop ends cancelled at 1 s."""
import asyncio
from demolog import pause, run, say, scaled, swift_description


async def demo():
    loop = asyncio.get_running_loop()

    async def busy_loop():
        until = loop.time() + scaled(3)
        saw_cancel = False
        while loop.time() < until:
            slice_end = loop.time() + scaled(0.002)
            while loop.time() < slice_end:
                pass
            await asyncio.sleep(0)
            saw_cancel = saw_cancel or asyncio.current_task().cancelling() > 0
        return saw_cancel

    async def catcher_():
        try:
            await pause(3600)
        except asyncio.CancelledError as error:
            say(f"catcher: caught {swift_description(error)}, carrying on")
        # Work that does not check for cancellation.
        for _ in range(5):
            await asyncio.sleep(0)
        return "finished anyway"

    busy = asyncio.create_task(busy_loop(), name="busy-loop")
    catcher = asyncio.create_task(catcher_(), name="catcher")
    await pause(1)
    busy.cancel(msg="stubborn-cancel demo: stop spinning")
    catcher.cancel(msg="stubborn-cancel demo: stop waiting")
    say("asked busy-loop and catcher to cancel")
    # Waits for the busy loop without raising its cancellation here, to report it.
    await asyncio.wait([busy])
    result = await catcher
    busy_end = "was cancelled" if busy.cancelled() else "never saw the cancel and returned normally"
    return f"busy-loop {busy_end}; catcher " + ("was cancelled" if catcher.cancelled() else f"caught it and returned: {result}")


run(demo)
