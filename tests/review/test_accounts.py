"""An advertiser's self-service (``review.accounts``): an account and its first token are
opened together or not at all; images stay the account's own."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from paidfor.auth.roles import Role
from paidfor.auth.tokens import TokenService
from paidfor.errors import Invalid
from paidfor.review.accounts import AccountService
from paidfor.review.intake_store import IntakeRepository
from paidfor.storage.models import AdvertiserRow, ApiTokenRow, AuditEventRow
from paidfor.storage.repo import AdRepository


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_account_opens_with_its_token(engine: Engine) -> None:
    accounts = AccountService(IntakeRepository(engine), TokenService(engine), AdRepository(engine))
    adv, token, who = accounts.open_account("Citizens for Parks", "US")
    assert who.role is Role.ADVERTISER and who.advertiser_id == adv.id
    assert TokenService(engine).authenticate(token) == who
    with engine.connect() as conn:
        actions = set(conn.execute(select(AuditEventRow.action)).scalars())
    assert {"advertiser.create", "token.create"} <= actions


class FailsAfterWriting(TokenService):
    """A token service that fails once its token is written: what a crash, a lost
    connection or a bug between the two writes looks like to the account's opening."""

    def create(self, *args: Any, **kwargs: Any) -> Any:
        super().create(*args, **kwargs)
        raise RuntimeError("gone between the token and the commit")


def test_a_failure_after_the_account_leaves_neither_account_nor_token(engine: Engine) -> None:
    accounts = AccountService(
        IntakeRepository(engine), FailsAfterWriting(engine), AdRepository(engine)
    )
    before = (_count(engine, AdvertiserRow), _count(engine, ApiTokenRow))
    events = _count(engine, AuditEventRow)
    with pytest.raises(RuntimeError):
        accounts.open_account("Half Opened", "US")
    assert (_count(engine, AdvertiserRow), _count(engine, ApiTokenRow)) == before
    assert _count(engine, AuditEventRow) == events  # neither opening was recorded


def test_a_refused_token_leaves_no_account(engine: Engine) -> None:
    """The token's own checks (a name too long for a token) refuse it: no account either."""
    accounts = AccountService(IntakeRepository(engine), TokenService(engine), AdRepository(engine))
    with pytest.raises(Invalid):
        accounts.open_account("x" * 201, "US")
    assert _count(engine, AdvertiserRow) == 0
