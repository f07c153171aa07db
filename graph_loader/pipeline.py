"""Parsing in a second process while this one writes the store.

A big load is two kinds of work of about the same size: reading and
validating rows (Python) and writing them (SQLite, holding the store's one
write transaction). :func:`produced_elsewhere` runs the first in a forked
child process and hands its items over a pipe, so both cores work at once;
the pipe's buffer bounds how far the child runs ahead. An exception in the
child is raised here (the load then rolls back); if this side stops early,
the child is ended.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Callable, Generator, Iterator
from typing import Any

#: how long to wait for the child to exit once it has sent everything (s)
JOIN_SECONDS = 10


class WorkerDied(RuntimeError):
    """The parsing process ended without finishing its work."""


def produced_elsewhere(
    produce: Callable[[], Iterator[Any]],
    final: Callable[[], Any],
    started: Callable[[], None] | None = None,
) -> Generator[Any, None, Any]:
    """Yield what ``produce()`` yields in a child process; the generator's
    return value is what ``final()`` returns there once ``produce`` is done.
    ``started`` is called here once the child runs (to close this side's
    copies of what only the child should hold)."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        gc.disable()  # as in the parent: millions of acyclic rows
        receiver.close()
        try:
            for item in produce():
                sender.send_bytes(_dumps(("item", item)))
            sender.send(("end", final()))
        except BaseException as exc:
            sender.send(("error", _portable(exc)))
        finally:
            sender.close()

    process = context.Process(target=child, name="credgraph-parse", daemon=True)
    process.start()
    sender.close()
    if started is not None:
        started()
    try:
        while True:
            try:
                kind, value = receiver.recv()
            except EOFError:
                raise WorkerDied(
                    f"the parsing process ended (exit code {process.exitcode})"
                ) from None
            if kind == "item":
                yield value
            elif kind == "end":
                return value
            else:
                raise value
    finally:
        receiver.close()
        process.join(JOIN_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join()


def _dumps(item: Any) -> bytes:
    """An item as pickle bytes without the memo: a chunk is millions of
    small objects and nothing in it is shared or recursive, so the memo
    (a dict entry per object) would cost more than all the rest."""
    import io
    import pickle

    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(item)
    return out.getvalue()


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a summary."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    except Exception:
        return WorkerDied(f"{type(exc).__name__}: {exc}")
    return exc
