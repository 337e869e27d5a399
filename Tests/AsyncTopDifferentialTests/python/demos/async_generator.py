"""The async-generator demo: an async generator of powers of two, one every 0.05 s; a
second generator's consumer stops at 64 and closes it.

asynctop's AsyncGenerator runs its body as a task named after it, which ends done when
the body ends and cancelled when the consumer drops it; an asyncio async generator is no
task. Its ends are logged as that task's: finished when exhausted, cancelled when
aclose() raises GeneratorExit in it."""
import asyncio
import contextlib
from demolog import ended, pause, run, say


def powers(name):
    async def generate():
        value = 1
        try:
            for _ in range(11):
                await pause(0.05)
                yield value
                value *= 2
        except GeneratorExit:
            closed[name] = "cancelled"
            ended(name, "cancelled")
            raise
        ended(name, "finished")

    return generate()


closed = {}


async def demo():
    everything = []
    async for value in powers("powers-of-two"):
        everything.append(value)
        say(f"got {value}")
    # A consumer that stops early closes its generator: aclosing does it at once.
    async with contextlib.aclosing(powers("powers-closed")) as generator:
        async for value in generator:
            if value >= 64:
                say(f"stopping at {value}")
                break
    return ("[" + ", ".join(map(str, everything)) + "]; the consumer that stopped at 64 closed powers-closed ("
            + closed.get("powers-closed", "not found") + ")")


run(demo)
