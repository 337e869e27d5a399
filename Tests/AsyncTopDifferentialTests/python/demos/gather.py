"""The gather demo: tasks a, b, c sleep 0.2, 0.1 and 0.3 s; gather returns their
results in argument order while they end b, a, c."""
import asyncio
from demolog import run, spawn_abc


async def demo():
    results = await asyncio.gather(*spawn_abc())
    return "[" + ", ".join(results) + "]"


run(demo)
