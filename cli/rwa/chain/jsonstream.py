"""A JSON-RPC answer whose result is an array, read element by element as it arrives.

A node answers ``eth_getLogs`` with the whole range in one body; read whole, a busy range costs the
reader its full size in memory (100,000 logs: hundreds of MiB once parsed) before the first log can
be looked at. Read this way the reader holds one chunk of the body and the elements it has kept,
and may stop (closing the connection) once it has enough.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from rwa.core.errors import RwaError

#: The start of an answer whose result comes first after ``jsonrpc`` and ``id`` (as nodes write it).
_RESULT_ARRAY = re.compile(r'\s*\{\s*(?:"(?:jsonrpc|id)"\s*:\s*(?:"[^"]*"|-?\d+|null)\s*,\s*)*"result"\s*:\s*\[')
_SPACE = re.compile(r"\s*")
_DECODER = json.JSONDecoder()


class ReplyError(RwaError):
    """The node answered with a JSON-RPC error (its ``error`` member: ``self.error``)."""

    def __init__(self, error: Any):
        self.error = error
        message = error.get("message") if isinstance(error, dict) else error
        super().__init__(str(message))


def result_items(chunks: Iterable[bytes]) -> Iterator[Any]:
    """The elements of the ``result`` array of the JSON-RPC answer arriving in ``chunks``, each as
    soon as it is complete; :class:`ReplyError` for an error answer. An answer of another shape (its
    members in another order, a result that is not an array) is read whole and parsed at once."""
    text = codecs.getincrementaldecoder("utf-8")()
    source = iter(chunks)
    buffer = ""
    ended = False

    def more() -> bool:
        nonlocal buffer, ended
        for chunk in source:
            buffer += text.decode(chunk)
            return True
        buffer += text.decode(b"", final=True)
        ended = True
        return False

    while not ended and "[" not in buffer and "error" not in buffer:
        more()
    start = _RESULT_ARRAY.match(buffer)
    if start is None:
        while more():
            pass
        yield from _whole(buffer)
        return
    position = start.end()
    batches = True
    while True:
        # Fast: every whole element the buffer holds, parsed at once. An element ends with "}," (the
        # logs of eth_getLogs are objects); a cut anywhere else leaves a bracket or a string open and
        # does not parse: then, for good, one element at a time.
        cut = buffer.rfind("},", position) if batches else -1
        if cut > position:
            try:
                parsed = json.loads("[" + buffer[position : cut + 1] + "]")
            except ValueError:
                batches = False
            else:
                yield from parsed
                position = cut + 2
                continue
        position = _SPACE.match(buffer, position).end()  # type: ignore[union-attr]
        if position < len(buffer) and buffer[position] == "]":
            return
        try:
            item, end = _DECODER.raw_decode(buffer, position)
        except json.JSONDecodeError:
            item, end = None, -1  # the element is not complete yet
        after = -1 if end < 0 else _SPACE.match(buffer, end).end()  # type: ignore[union-attr]
        if after < 0 or after == len(buffer):
            # Not complete yet (or complete but its delimiter not arrived): read on, dropping what is done.
            buffer, position = buffer[position:], 0
            if not more():
                raise RwaError(f"the node's answer ended mid-way: {buffer[:80]!r}")
            continue
        position = after
        if buffer[position] not in ",]":
            raise RwaError(f"the node's answer is not JSON near {buffer[position : position + 40]!r}")
        yield item
        if buffer[position] == ",":
            position += 1


def _whole(body: str) -> Iterator[Any]:
    try:
        reply = json.loads(body)
    except ValueError as exc:
        raise RwaError(f"the node's answer is not JSON: {exc}") from None
    if not isinstance(reply, dict):
        raise RwaError("the node's answer is not a JSON-RPC reply")
    if "error" in reply:
        raise ReplyError(reply["error"])
    yield from reply.get("result") or []
