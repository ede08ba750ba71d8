"""A TCP proxy in front of a server that a test can make go silent.

A host that stops answering is not a host that refuses: sockets stay open, what is sent is taken
(by the kernel, into buffers) and nothing comes back, so a client that waits without a bound waits
forever. ``silence()`` makes the proxy that host for every connection, those already open and those
opened meanwhile (accepted, never answered); ``resume()`` delivers what was held back and forwards
again, as a host does when its network or process comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

_CHUNK = 65536


class SilenceableProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.port = 0

    async def __aenter__(self) -> SilenceableProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def __aexit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        await self.close()

    def url(self, database: str, user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def silence(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._track(handler)
        self._writers.add(client_writer)
        # A silent host does not even answer the start of a connection.
        await self._flowing.wait()
        try:
            server_reader, server_writer = await asyncio.open_connection(*self._target)
        except OSError:
            client_writer.close()
            return
        self._writers.add(server_writer)
        for source, sink in ((client_reader, server_writer), (server_reader, client_writer)):
            self._track(asyncio.create_task(self._pump(source, sink, (client_writer, server_writer))))

    def _track(self, task: asyncio.Task[None]) -> None:
        self._pumps.add(task)
        task.add_done_callback(self._pumps.discard)

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, both: tuple[asyncio.StreamWriter, ...]
    ) -> None:
        """One direction of one connection; whichever side closes, both are closed."""
        try:
            while data := await source.read(_CHUNK):
                await self._flowing.wait()
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            for writer in both:
                with contextlib.suppress(OSError, RuntimeError):
                    writer.close()
