"""Running the API under uvicorn, with problem+json even for requests the
HTTP parser refuses (issue 19.7).

The server uses uvicorn's httptools protocol (the C parser llhttp) on the
uvloop event loop: 10–35 % more requests per second than the
pure-Python h11 parser on the standard loop (BENCHMARKS.md, "Where we stand").
The parser answers a request line it cannot read — such as an unencoded
``/search?q=华盛`` — with a plain-text ``400`` before the application sees
it. :class:`ProblemHttpToolsProtocol` sends the same ``400`` as
``application/problem+json``, saying how to fix the URL.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.problems import PROBLEM_JSON

BAD_REQUEST_DETAIL = (
    "the request line is not valid HTTP: percent-encode spaces and non-ASCII characters "
    "in the URL (e.g. /search?q=%E5%8D%8E%E7%9B%9B for q=华盛)"
)

#: the whole body of that answer
BAD_REQUEST_BODY = json.dumps(
    {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": BAD_REQUEST_DETAIL},
    ensure_ascii=False,
).encode("utf-8")


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing unreadable requests as problem+json."""

    def send_400_response(self, msg: str) -> None:
        head = [b"HTTP/1.1 400 Bad Request\r\n"]
        for name, value in self.server_state.default_headers:  # date, server
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: " + PROBLEM_JSON.encode("ascii") + b"\r\n",
            b"content-length: " + str(len(BAD_REQUEST_BODY)).encode("ascii") + b"\r\n",
            b"connection: close\r\n",
            b"cache-control: no-store\r\n",
            b"\r\n",
        ]
        self.transport.write(b"".join(head) + BAD_REQUEST_BODY)
        self.transport.close()


#: uvicorn options of every server of the API (``credgraph serve`` and tests)
SERVER_OPTIONS: dict[str, Any] = {"http": ProblemHttpToolsProtocol, "loop": "uvloop"}


def run(app: FastAPI, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` with :data:`SERVER_OPTIONS`."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level="warning", **(SERVER_OPTIONS | options))
