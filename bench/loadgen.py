"""A lean HTTP/1.1 load generator: many browsers on one asyncio loop.

The benchmarks run the load generator on the same 2 CPUs as the server, so every
millisecond it spends is taken from gunicorn. A thread per client with ``http.client``
costs about as much CPU per request as a trivial Flask view; one event loop writing raw
requests and reading ``Content-Length`` bodies costs a fraction of that. Each client keeps
its own keep-alive connection and cookie jar, as a browser does.
"""

import asyncio
import itertools
import logging
import time
from urllib.parse import urlencode

log = logging.getLogger(__name__)


class AsyncClient:
    """One browser: a keep-alive connection and its own cookies."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, form: dict | None = None):
        """Send one request; returns (status, body text). Reconnects once if the server
        closed the connection in between."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            try:
                return await self._send(method, path, form)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _send(self, method: str, path: str, form: dict | None):
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                 "Connection: keep-alive", "Accept-Language: en"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        body = b""
        if form is not None:
            body = urlencode(form).encode()
            lines += ["Content-Type: application/x-www-form-urlencoded",
                      f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length, chunked, close = 0, False, False
        for line in header_lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        content = await (self._chunks() if chunked else self.reader.readexactly(length))
        if close:
            await self.close()
        return status, content.decode("utf-8", "replace")

    async def _chunks(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readline()).split(b";")[0], 16)
            if size == 0:
                await self.reader.readline()
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()

    async def close(self) -> None:
        """Close the connection (a new one is opened by the next request)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


def run_clients(port: int, clients: int, total: int, one_request) -> dict:
    """Await ``one_request(client, number)`` ``total`` times, spread over ``clients``
    concurrent clients; returns ok/errors counts, the wall time and each call's latency."""
    return asyncio.run(_run(port, clients, total, one_request))


async def _run(port: int, clients: int, total: int, one_request) -> dict:
    numbers = itertools.count(1)
    latencies: list[float] = []
    outcome = {"ok": 0, "errors": 0}

    async def work() -> None:
        client = AsyncClient(port)
        for number in numbers:
            if number > total:
                break
            try:
                ok, seconds = await one_request(client, number)
            except Exception:  # noqa: BLE001 - a failed request is counted, not fatal
                log.exception("request %s failed", number)
                ok, seconds = False, None
            outcome["ok" if ok else "errors"] += 1
            if seconds is not None:
                latencies.append(seconds)
        await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(work() for _ in range(clients)))
    outcome["seconds"] = time.perf_counter() - started
    outcome["latencies"] = latencies
    return outcome
