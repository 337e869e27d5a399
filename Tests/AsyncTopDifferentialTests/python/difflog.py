"""What every scenario shares: the log, the time unit, and the spelling of errors.

Each scenario prints one line per event to standard output; its Swift twin in
AsyncTopDifferentialTests logs the same lines, and the test compares the two lists.
"""
import asyncio
import os

# The time unit of every scenario, in seconds: the Swift test passes its own in
# DIFF_TICK so both sides wait alike. Events that must be ordered are a tick apart.
TICK = float(os.environ.get("DIFF_TICK", "0.05"))


def log(line):
    print(line, flush=True)


class Boom(Exception):
    """The error the scenarios raise on purpose."""


def err(error):
    """An error as the logs spell it: Boom with its message, a group with its members,
    anything else by its class name."""
    if isinstance(error, Boom):
        return f"Boom({error})"
    if isinstance(error, BaseExceptionGroup):
        return "ExceptionGroup[" + ", ".join(err(e) for e in error.exceptions) + "]"
    return type(error).__name__


def outcome(value):
    """A result of gather(return_exceptions=True): an error spelled by err, a value as is."""
    return err(value) if isinstance(value, BaseException) else str(value)


def names(tasks):
    """A set of tasks as their sorted names: sets have no order to compare."""
    return "{" + ", ".join(sorted(t.get_name() for t in tasks)) + "}"


async def ticks(n):
    await asyncio.sleep(n * TICK)


def run(main):
    asyncio.run(main())
