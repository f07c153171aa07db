"""Running the API under uvicorn, with problem+json even for requests the
HTTP parser refuses (issue 19.7).

The server uses uvicorn's httptools protocol (the C parser llhttp) on the
uvloop event loop: 10–35 % more requests per second than the
pure-Python h11 parser on the standard loop (BENCHMARKS.md, "Where we stand").
The parser answers a request line it cannot read — such as an unencoded
``/search?q=华盛`` — with a plain-text ``400`` before the application sees
it. :class:`ProblemHttpToolsProtocol` sends the same ``400`` as
``application/problem+json``, saying how to fix the URL, and refuses a
request line and headers over :data:`MAX_HEAD_BYTES` with a ``431`` (h11
had a limit; llhttp buffers a header of any size).

These two answers cannot negotiate a language (the request could not be
read): they speak the server's default language, ``CREDGRAPH_LANG`` (zh
when unset), like every answer to a request that asks for none.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.problems import PROBLEM_JSON
from credgraph.i18n import N_, Lang, Message, default_lang

BAD_REQUEST_DETAIL = N_(
    "the request line or headers are not valid HTTP/1.1 (a URL must percent-encode spaces "
    "and non-ASCII characters, e.g. /search?q=%E5%8D%8E%E7%9B%9B for q=华盛; header lines "
    "end with CRLF and carry one Content-Length at most)"
)

#: the most bytes a request line and headers may take (one more read of
#: the socket may pass unseen): llhttp sets no limit, h11 16 KiB
MAX_HEAD_BYTES = 64 * 1024
HEAD_TOO_LARGE_DETAIL = N_(
    "the request line and headers are larger than {max} bytes", max=MAX_HEAD_BYTES
)


@cache
def problem_body(status: int, lang: Lang) -> bytes:
    """The whole body of the 400 or 431 answer in ``lang``."""
    title, detail = {
        400: (Message("Bad Request"), BAD_REQUEST_DETAIL),
        431: (Message("Request Header Fields Too Large"), HEAD_TOO_LARGE_DETAIL),
    }[status]
    return json.dumps(
        {"type": "about:blank", "title": title.text(lang), "status": status,
         "detail": detail.text(lang)},
        ensure_ascii=False,
    ).encode("utf-8")  # fmt: skip


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing unreadable requests as
    problem+json, and requests whose head never ends (llhttp buffers a
    header of any size: without a limit one connection could fill the
    memory) with a ``431``."""

    #: bytes of the current request's head read so far (None: not in a head)
    _head: int | None = None
    #: requests begun on this connection
    _begun = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head, self._begun = 0, self._begun + 1

    def on_headers_complete(self) -> None:
        self._head = None
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        begun = self._begun
        super().data_received(data)
        # a read where a request began also holds the end of the one before:
        # only the reads after it count (the limit is passed by one read at most)
        if self._head is None or begun != self._begun or self.transport.is_closing():
            return
        self._head += len(data)
        if self._head > MAX_HEAD_BYTES:
            self._refuse(b"431 Request Header Fields Too Large", problem_body(431, default_lang()))

    def send_400_response(self, msg: str) -> None:
        self._refuse(b"400 Bad Request", problem_body(400, default_lang()))

    def _refuse(self, status: bytes, body: bytes) -> None:
        head = [b"HTTP/1.1 " + status + b"\r\n"]
        for name, value in self.server_state.default_headers:  # date, server
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: " + PROBLEM_JSON.encode("ascii") + b"\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n",
            b"cache-control: no-store\r\n",
            b"\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()


#: uvicorn options of every server of the API (``credgraph serve`` and tests)
#: ``loop="auto"``: uvloop where it is installed (not on Windows), else asyncio
SERVER_OPTIONS: dict[str, Any] = {"http": ProblemHttpToolsProtocol, "loop": "auto"}


def run(app: FastAPI, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` with :data:`SERVER_OPTIONS`."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", **(SERVER_OPTIONS | options))
