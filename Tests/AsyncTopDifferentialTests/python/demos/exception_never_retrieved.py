"""The exception-never-retrieved demo: a task fails and no one awaits it or asks for its
result; asyncio reports "Task exception was never retrieved" when it is collected."""
import asyncio
import gc
from demolog import pause, run, say


class UploadFailed(Exception):
    def __str__(self):
        return "upload failed: connection reset"


async def demo():
    reports = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: reports.append(context))

    async def upload():
        await pause(0.2)
        raise UploadFailed()

    task = asyncio.create_task(upload(), name="fire-and-forget")
    say("spawned fire-and-forget and dropped its handle")
    # done() looks without taking the exception.
    while not task.done():
        await pause(0.05)
    await pause(1.5)
    # Dropped for good: collecting it reports an exception no one retrieved.
    del task
    gc.collect()
    unretrieved = [r for r in reports if r.get("message") == "Task exception was never retrieved"]
    if not unretrieved:
        return "fire-and-forget's error was retrieved"
    return f"fire-and-forget failed: {unretrieved[0]['exception']}; no one retrieved it"


run(demo)
