"""Semaphore: permits go to waiters in FIFO order; BoundedSemaphore raises ValueError
when released beyond its initial value."""
import asyncio
from difflog import err, log, run, ticks


async def worker(semaphore, name, hold):
    log(f"{name} asks")
    async with semaphore:
        log(f"{name} acquired")
        await ticks(hold)
        log(f"{name} releases")


async def main():
    semaphore = asyncio.Semaphore(2)
    workers = [asyncio.create_task(worker(semaphore, n, h)) for n, h in [("w1", 2), ("w2", 3), ("w3", 3), ("w4", 1)]]
    await ticks(1)
    log(f"locked {semaphore.locked()}")
    await asyncio.gather(*workers)
    log(f"locked {semaphore.locked()}")

    bounded = asyncio.BoundedSemaphore(1)
    await bounded.acquire()
    bounded.release()
    log("bounded released once")
    try:
        bounded.release()
        log("bounded released twice")
    except Exception as error:
        log(f"bounded over-release raised {err(error)}")


run(main)
