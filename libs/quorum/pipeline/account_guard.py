"""The live input of the account guard (seed rule 010, ``account.can_trade``).

Whether the exchange account can trade is what the venue says when it is asked with our
credentials: :func:`check_account` asks every configured venue for the account's balance
(an authenticated request). A venue that refuses the credentials or permissions
(``BrokerAuthFailed``: ccxt's ``AuthenticationError`` / ``PermissionDenied`` translated at
the adapter edge; the paper transport's ``auth_failed`` fault) sets the rules state's
``account_can_trade`` to False; an answer from every venue sets it back to True. Any other
failure (an outage, a rate limit) decides nothing and leaves it as it was.

The change goes through ``quorum.risk.set_account_can_trade`` and is journaled with the
rules-state write (``account_trading_changed``). While it is False the risk gate refuses
new entries (``account.can_trade``) and the monitor closes every position under that
rule. The check runs in the ``reconcile`` and ``sweep`` task bodies (beat; every bar in a
replay) and after an ``execute`` the venue rejected (an authentication failure rejects
the order).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from quorum.errors import BrokerAuthFailed, BrokerError
from quorum.pipeline.accounting import commit_rules, with_rules
from quorum.pipeline.deps import JSON, PipelineDeps
from quorum.risk import RulesState, set_account_can_trade


def check_account(deps: PipelineDeps) -> JSON:
    """Ask every venue for the account (see module doc); returns what was decided."""
    brokers = deps.execution.executor.ctx.brokers
    for venue in sorted(brokers):
        try:
            brokers[venue].fetch_balance()
        except BrokerAuthFailed as exc:
            reason = f"venue {venue}: account check refused: {exc}"
            return record_can_trade(deps, False, reason[:400])
        except BrokerError as exc:
            return {"account_can_trade": None, "reason": f"venue {venue}: undecided: {exc}"}
    return record_can_trade(deps, True, "account check succeeded on every venue")


def record_can_trade(deps: PipelineDeps, can_trade: bool, reason: str) -> JSON:
    """Set the rules state's ``account_can_trade`` (journaled when it changes)."""

    def work(session: Session, state: RulesState, version: int) -> bool:
        update = set_account_can_trade(state, can_trade, deps.clock.now(), deps.risk, reason)
        if update.events or update.state != state:
            commit_rules(deps, session, update, version, deps.run_id)
        return state.account_can_trade != can_trade

    changed = with_rules(deps, work)
    return {"account_can_trade": can_trade, "changed": changed, "reason": reason}
