"""The worst bodies we can build for ``json_body``, against ``json.loads`` of
a plain body of the same size, in this one process.

Each crafted body (strings that never end, a body of quotes and
backslashes, brackets to the nesting limit, thousands of digits) is read by
``json_body`` as a request would give it, and timed against ``json.loads``
of an ordinary body of the same length. The ratio grows with the size only
if the reading is worse than linear: it is printed at two sizes, 64 KB and
1 MB (the default ``mongodb.max_json_size``), for each body. The goal: the
ratio at 1 MB no more than twice the ratio at 64 KB.

    python bench/hostile_input.py
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
from collections.abc import Callable

from pyramid.httpexceptions import HTTPException
from pyramid.request import Request

from pyramid_mongo.http import json_body

SIZES = (64 * 1024, 1024 * 1024)


def crafted(size: int) -> dict[str, bytes]:
    return {
        "unterminated strings": b'"\\"' * (size // 3),
        "one string, never closed": b'["' + b'\\"' * (size // 2),
        "open objects": b'[{"a":"' * (size // 7),
        "brackets at the limit": (b"[" * 100 + b"]" * 100) * (size // 200),
        "a long number": b"[" + b"9" * (size - 2) + b"]",
        "many small strings": b"[" + b'"a",' * (size // 4) + b'"a"]',
    }


def plain(size: int) -> bytes:
    return json.dumps({"items": ["x" * 50] * (size // 56)}).encode()


def seconds(work: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def read(body: bytes) -> None:
    request = Request.blank("/", method="POST", body=body, content_type="application/json")
    with contextlib.suppress(HTTPException):  # most are refused: the time is what counts
        json_body(request, max_size=len(body) + 1)


def main() -> None:
    ratios: dict[str, list[float]] = {}
    for size in SIZES:
        baseline = plain(size)
        base = seconds(lambda body=baseline: json.loads(body))
        for name, body in crafted(size).items():
            ours = seconds(lambda body=body: read(body))
            ratios.setdefault(name, []).append(ours / base)
            print(f"{size // 1024:>5} KB  {name:<26} {ours * 1000:8.2f} ms  x{ours / base:6.1f}")
    print()
    met = True
    for name, (small, large) in ratios.items():
        growth = large / small
        met &= growth <= 2
        print(f"{name:<26} ratio at 1 MB / at 64 KB: {growth:5.2f}")
    print("goal met (linear)" if met else "goal NOT met")


if __name__ == "__main__":
    main()
