"""Streams: a line server and its client on loopback. readline, readexactly, readuntil,
read of what is buffered, a line over the limit (ValueError, the line dropped), a read
cancelled while it waits (the stream stays usable), write_eof and read to the end,
IncompleteReadError's partial bytes, and a refused connection."""
import asyncio
import socket
from difflog import err, log, run, ticks


def show(data):
    return data.decode().replace("\n", "\\n")


async def handle(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            log("server saw EOF")
            break
        log(f"server got {show(line)}")
        command = line.decode().strip()
        if command == "parts":
            writer.write(b"abc--def")
        elif command == "long":
            writer.write(b"x" * 200 + b"\n" + b"after\n")
        elif command == "slow":
            await ticks(2)
            writer.write(b"late\n")
        else:
            writer.write(line.upper())
        await writer.drain()
    writer.write(b"bye")
    await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=100)
    writer.write(b"hello\n")
    await writer.drain()
    log(f"client got {show(await reader.readline())}")
    writer.write(b"parts\n")
    log(f"readexactly {show(await reader.readexactly(3))}")
    log(f"readuntil {show(await reader.readuntil(b'--'))}")
    log(f"read {show(await reader.read(100))}")
    writer.write(b"long\n")
    try:
        await reader.readline()
    except ValueError as error:
        log(f"readline over the limit raised {err(error)}")
    log(f"then readline {show(await reader.readline())}")
    writer.write(b"slow\n")
    waiting = asyncio.create_task(reader.readline())
    await ticks(1)
    waiting.cancel()
    try:
        await waiting
    except asyncio.CancelledError as error:
        log(f"the waiting read raised {err(error)}")
    log(f"the next readline {show(await reader.readline())}")
    writer.write_eof()
    log(f"read to the end {show(await reader.read())}")
    log(f"at_eof {reader.at_eof()}")
    try:
        await reader.readexactly(5)
    except asyncio.IncompleteReadError as error:
        log(f"readexactly at the end raised {err(error)} with '{show(error.partial)}'")
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    log("server closed")
    # A port bound and not listening refuses for sure (a closed server's port may be taken
    # again by another program, or be the ephemeral port of the connect itself).
    bound = socket.socket()
    bound.bind(("127.0.0.1", 0))
    try:
        await asyncio.open_connection("127.0.0.1", bound.getsockname()[1])
        log("connected to a port with no listener")
    except OSError as error:
        log(f"connecting to a port with no listener raised {err(error)}")
    bound.close()


run(main)
