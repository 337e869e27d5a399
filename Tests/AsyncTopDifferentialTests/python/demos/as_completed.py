"""The as-completed demo: tasks a, b, c sleep 0.2, 0.1 and 0.3 s; as_completed hands
them over in the order they end."""
import asyncio
from demolog import run, spawn_abc


async def demo():
    order = [await next_done for next_done in asyncio.as_completed(spawn_abc())]
    return "[" + ", ".join(order) + "]"


run(demo)
