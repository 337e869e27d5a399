"""What the demos' Python programs share: the speed, and the log of a run.

Each program does with asyncio what a demo of asynctop's demos/ does, and prints what
a headless run of the demo records, one line each:

    said: TEXT           a line the demo says, in order
    ended: NAME OUTCOME  a named task ends: finished, cancelled or failed, in order
    result: TEXT         what the demo returns

Tasks without a name of their own (asyncio's Task-N) are not logged, nor what ends
once the loop has stopped after the demo returned (asyncio.run cancelling leftovers).
"""
import asyncio
import os
import re
import weakref

# Divides every sleep: the Swift test passes the demo's speed in DEMO_SPEED.
SPEED = float(os.environ.get("DEMO_SPEED", "1"))


def scaled(seconds):
    """`seconds` of demo time in real seconds at SPEED."""
    return seconds / SPEED


async def pause(seconds):
    """Sleeps `seconds` of demo time."""
    await asyncio.sleep(scaled(seconds))


def spawn_abc():
    """The three tasks of several demos: a, b and c sleep 0.2, 0.1 and 0.3 s, then
    return their names."""
    async def sleeper(name, delay):
        await pause(delay)
        return name

    return [asyncio.create_task(sleeper(name, delay), name=name) for name, delay in [("a", 0.2), ("b", 0.1), ("c", 0.3)]]


def swift_description(error):
    r"""An error as a demo's Swift code prints it with "\(error)", for the lines it says:
    asyncio's CancelledError is Swift's CancellationError."""
    if isinstance(error, asyncio.CancelledError):
        return "CancellationError()"
    return str(error)


def log(line):
    print(line, flush=True)


def say(text):
    log(f"said: {text}")


# asyncio's name for an unnamed task; CPython 3.13.0 calls one that a task factory made
# without a name "None".
_UNNAMED = re.compile(r"Task-\d+|None")
_began = weakref.WeakSet()
_running = False


async def _traced(coro):
    """Runs a task's coroutine and logs how it ends, as it ends: before anything that
    awaits the task resumes, and without taking its exception (task.exception() would
    retrieve it)."""
    task = asyncio.current_task()
    _began.add(task)
    try:
        result = await coro
    except asyncio.CancelledError:
        _ended(task, "cancelled")
        raise
    except BaseException:
        _ended(task, "failed")
        raise
    _ended(task, "finished")
    return result


def _ended(task, outcome):
    ended(task.get_name(), outcome)


def ended(name, outcome):
    """Logs the end of what asynctop runs as the task `name`, while the demo runs."""
    if _running and not _UNNAMED.fullmatch(name):
        log(f"ended: {name} {outcome}")


def _cancelled_before_start(task):
    # A task cancelled before its first step never runs _traced.
    if task not in _began and task.cancelled():
        _ended(task, "cancelled")


def _task_factory(loop, coro, **kwargs):
    task = asyncio.Task(_traced(coro), loop=loop, **kwargs)
    task.add_done_callback(_cancelled_before_start)
    return task


def run(demo):
    """Runs the coroutine function `demo` as asyncio.run's main task and logs its result.

    Ends are logged until the loop stops after the main task: what was ready by then
    still runs, as in the headless run, which traces until its loop stops."""
    def stop_logging(_):
        global _running
        _running = False

    async def main():
        global _running
        asyncio.get_running_loop().set_task_factory(_task_factory)
        asyncio.current_task().add_done_callback(stop_logging)
        _running = True
        result = await demo()
        log(f"result: {result}")

    asyncio.run(main())
