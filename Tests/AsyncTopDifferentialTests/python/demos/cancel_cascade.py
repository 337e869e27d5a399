"""The cancel-cascade demo: cancelling the root of a four-level tree of tasks cancels
every level; cancelling a task that awaits a gather cancels the gather's tasks."""
import asyncio
from demolog import pause, run


async def demo():
    async def leaf():
        await asyncio.sleep(3600)

    async def branch(index):
        # The demo's `async let side`: an unnamed task the branch's scope cancels with it.
        async with asyncio.TaskGroup() as scope:
            scope.create_task(asyncio.sleep(3600))
            async with asyncio.TaskGroup() as leaves:
                for number in (1, 2):
                    leaves.create_task(leaf(), name=f"leaf-{index}.{number}")

    async def middle_():
        async with asyncio.TaskGroup() as branches:
            for index in (1, 2, 3):
                branches.create_task(branch(index), name=f"branch-{index}")

    async def root_():
        middle = asyncio.create_task(middle_(), name="middle")
        # Awaiting a task passes a cancellation on to it.
        await middle

    async def fetch(index):
        await asyncio.sleep(3600)
        return index

    root = asyncio.create_task(root_(), name="root")
    fetches = [asyncio.create_task(fetch(index), name=f"fetch-{index}") for index in (1, 2, 3)]

    async def gatherer_():
        return await asyncio.gather(*fetches)

    gatherer = asyncio.create_task(gatherer_(), name="gatherer")
    await pause(1.5)
    root.cancel(msg="cascade demo: cancel the root")
    gatherer.cancel(msg="cascade demo: cancel the gather")
    for task in [root, gatherer, *fetches]:
        try:
            await task
        except asyncio.CancelledError:
            pass
    tree = "root and its tree cancelled" if root.cancelled() else "root was not cancelled"
    cancelled_fetches = [f.get_name() for f in fetches if f.cancelled()]
    return (tree + "; gatherer " + ("cancelled" if gatherer.cancelled() else "not cancelled")
            + ", and with it " + (", ".join(cancelled_fetches) if cancelled_fetches else "no fetch"))


run(demo)
