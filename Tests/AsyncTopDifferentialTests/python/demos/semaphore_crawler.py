"""The semaphore-crawler demo: 50 fetches of 0.1 s, at most 5 at once behind a
Semaphore."""
import asyncio
from demolog import pause, run


async def demo():
    limit = asyncio.Semaphore(5)
    in_flight = {"now": 0, "most": 0}

    async def fetch(page):
        async with limit:
            in_flight["now"] += 1
            in_flight["most"] = max(in_flight["most"], in_flight["now"])
            try:
                await pause(0.1)
            finally:
                in_flight["now"] -= 1
            return page

    fetches = [asyncio.create_task(fetch(page), name=f"fetch-{page}") for page in range(1, 51)]
    pages = await asyncio.gather(*fetches)
    return f"{len(pages)} fetched, at most {in_flight['most']} at once"


run(demo)
