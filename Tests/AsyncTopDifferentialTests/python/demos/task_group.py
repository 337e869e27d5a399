"""The task-group demo: of three children, child-2 fails after 0.2 s; the group cancels
the other two, still sleeping, and raises the failure."""
import asyncio
from demolog import pause, run


class ChildFailed(Exception):
    def __str__(self):
        return "child-2 failed"


async def demo():
    children = []

    async def child(index):
        if index == 2:
            await pause(0.2)
            raise ChildFailed()
        await pause(3600)

    try:
        async with asyncio.TaskGroup() as group:
            for index in range(1, 4):
                children.append(group.create_task(child(index), name=f"child-{index}"))
        return "group finished without failure"
    except* ChildFailed:
        pass
    cancelled = sum(1 for c in children if c.cancelled())
    return f"group failed: child-2 failed; {cancelled} siblings cancelled"


run(demo)
