"""Many threads reserving and settling against one budget ledger (shared by the tests)."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from quorum.clock import Clock
from quorum.llm import BudgetDenied, BudgetLedger, BudgetScope, to_nano


@dataclass
class Tally:
    admitted: int = 0
    denied: int = 0
    settled_nano: int = 0
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def hammer(
    ledger: BudgetLedger,
    scopes: list[BudgetScope],
    clock: Clock,
    *,
    threads: int = 12,
    calls: int = 25,
    seed: int = 7,
) -> Tally:
    """Every thread reserves a random worst case and settles a random real cost <= it."""
    tally = Tally()
    start = threading.Barrier(threads)

    def worker(index: int) -> None:
        rng = random.Random(seed + index)
        start.wait()
        for _ in range(calls):
            amount = to_nano(Decimal(rng.randint(1, 40)) / Decimal(1000))
            try:
                held = ledger.reserve(scopes, amount, clock.now(), 60)
            except BudgetDenied:
                with tally.lock:
                    tally.denied += 1
                continue
            except BaseException as exc:  # surfaced by the test
                with tally.lock:
                    tally.errors.append(exc)
                return
            actual = rng.randint(amount // 2, amount)
            ledger.settle(held, actual, clock.now())
            with tally.lock:
                tally.admitted += 1
                tally.settled_nano += actual

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    return tally
