"""Lock: waiters get the lock in the order they asked for it; releasing a lock that is
not locked raises RuntimeError."""
import asyncio
from difflog import err, log, run, ticks


async def worker(lock, name, arrive):
    await ticks(arrive)
    log(f"{name} asks")
    async with lock:
        log(f"{name} acquired")
        await ticks(1)
        log(f"{name} releases")


async def main():
    lock = asyncio.Lock()
    await lock.acquire()
    log(f"main acquired, locked {lock.locked()}")
    workers = [asyncio.create_task(worker(lock, n, a)) for n, a in [("w1", 3), ("w2", 1), ("w3", 4), ("w4", 2)]]
    await ticks(5)
    log("main releases")
    lock.release()
    await asyncio.gather(*workers)
    log(f"locked {lock.locked()}")
    try:
        lock.release()
    except Exception as error:
        log(f"release of an unlocked lock raised {err(error)}")


run(main)
