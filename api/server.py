"""Running the API under uvicorn, with problem+json even for requests the
HTTP parser refuses (issue 19.7).

uvicorn's h11 parser answers a request line it cannot read — such as an
unencoded ``/search?q=华盛`` — with a plain-text ``400`` before the
application sees it. :class:`ProblemH11Protocol` sends the same ``400`` as
``application/problem+json``, saying how to fix the URL.
"""

from __future__ import annotations

import json
from typing import Any

import h11
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.problems import PROBLEM_JSON

BAD_REQUEST_DETAIL = (
    "the request line is not valid HTTP: percent-encode spaces and non-ASCII characters "
    "in the URL (e.g. /search?q=%E5%8D%8E%E7%9B%9B for q=华盛)"
)


class ProblemH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, refusing unreadable requests as problem+json."""

    def send_400_response(self, msg: str) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Bad Request",
                "status": 400,
                "detail": BAD_REQUEST_DETAIL,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        headers = [
            (b"content-type", PROBLEM_JSON.encode("ascii")),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
            (b"cache-control", b"no-store"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def run(app: FastAPI, host: str, port: int, **options: Any) -> None:
    """Serve ``app`` with :class:`ProblemH11Protocol`."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, http=ProblemH11Protocol, log_level="warning", **options)
