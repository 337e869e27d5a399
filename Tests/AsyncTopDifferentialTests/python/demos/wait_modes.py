"""The wait-modes demo: asyncio.wait with FIRST_COMPLETED, FIRST_EXCEPTION, then
ALL_COMPLETED with a 0.25 s time-out; wait cancels nothing, the demo does."""
import asyncio
from demolog import pause, run, say, scaled, spawn_abc


class Boom(Exception):
    def __str__(self):
        return "boom failed"


def names(tasks):
    return "[" + ", ".join(sorted(t.get_name() for t in tasks)) + "]"


def sleeper(name, seconds, fails=False):
    async def sleep():
        await pause(seconds)
        if fails:
            raise Boom()
        return name

    return asyncio.create_task(sleep(), name=name)


async def demo():
    first_done, first_pending = await asyncio.wait(spawn_abc(), return_when=asyncio.FIRST_COMPLETED)
    say(f"first-completed returned with {names(first_done)} done")
    await asyncio.wait(first_pending)

    failing = [sleeper("ok-1", 0.1), sleeper("boom", 0.2, fails=True), sleeper("ok-2", 0.4)]
    exception_done, exception_pending = await asyncio.wait(failing, return_when=asyncio.FIRST_EXCEPTION)
    errors = [str(t.exception()) for t in exception_done if t.exception() is not None]
    say("first-exception returned when boom failed; ok-2 still runs")
    await asyncio.wait(exception_pending)

    timed = [sleeper("x", 0.1), sleeper("y", 0.2), sleeper("z", 0.5)]
    all_done, all_pending = await asyncio.wait(timed, timeout=scaled(0.25))
    say(f"the time-out passed with {names(all_pending)} pending; wait did not cancel it")
    for task in all_pending:
        task.cancel(msg="wait-modes demo: past the time-out")
    await asyncio.wait(all_pending)

    return (f"first-completed: done {names(first_done)}, pending {names(first_pending)}; "
            f"first-exception: done {names(exception_done)}, pending {names(exception_pending)}, "
            f"error: {', '.join(errors)}; "
            f"all-completed in 0.25 s: done {names(all_done)}, pending {names(all_pending)}"
            + (" (then cancelled)" if all(t.cancelled() for t in all_pending) else " (not cancelled)"))


run(demo)
