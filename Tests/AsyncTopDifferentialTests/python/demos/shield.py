"""The shield demo: cancelling a request that awaits a shielded save ends the request
at once and leaves the save running to its end."""
import asyncio
from demolog import pause, run


async def demo():
    async def save_():
        await pause(0.5)
        return "saved"

    save = asyncio.create_task(save_(), name="save")

    async def request_():
        return await asyncio.shield(save)

    request = asyncio.create_task(request_(), name="request")
    await pause(0.2)
    request.cancel(msg="client went away")
    try:
        await request
    except asyncio.CancelledError:
        pass
    saved = await save
    return "request " + ("cancelled" if request.cancelled() else "not cancelled") + f"; save done: {saved}"


run(demo)
