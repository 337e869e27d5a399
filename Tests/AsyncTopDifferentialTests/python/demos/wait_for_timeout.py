"""The wait-for-timeout demo: a one-hour query given 0.5 s by wait_for is cancelled at
the deadline, and the caller gets a time-out."""
import asyncio
from demolog import pause, run, scaled


async def demo():
    async def slow_query():
        await pause(3600)
        return "rows"

    query = asyncio.create_task(slow_query(), name="slow-query")
    try:
        rows = await asyncio.wait_for(query, timeout=scaled(0.5))
        return f"got {rows}"
    except TimeoutError:
        return "timed out; slow-query " + ("cancelled" if query.cancelled() else "not cancelled")


run(demo)
