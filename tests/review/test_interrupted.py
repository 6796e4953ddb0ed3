"""Finding the submissions a stopped server left without a decision: every worker of the
server asks every minute, so it reads the submissions, not the library's imported ads."""

from __future__ import annotations

import random
from datetime import timedelta

from factories import commercial, open_account, submit_ad
from library.test_index_store import random_ad
from plans import scans, sqlite_plans
from sqlalchemy import Engine, delete

from paidfor.review.intake_models import ReviewDecisionRow
from paidfor.review.intake_store import IntakeRepository
from paidfor.services import Services
from paidfor.storage.mapping import stored_now
from paidfor.storage.writer import BatchWriter


def test_undecided_submissions_are_found_from_the_submissions(
    services: Services,
    engine: Engine,
) -> None:
    BatchWriter(engine).write([random_ad(random.Random(1), n, "imported") for n in range(400)])
    coffee = open_account(services, "Coffee Co")
    assert coffee.page is not None
    page = coffee.page
    ids = []
    for k in range(3):
        body = commercial(page, f"Fresh roasted coffee beans, order today {k}.")
        ad_id, _outcome = submit_ad(services, coffee, body)
        ids.append(ad_id)
    repo = IntakeRepository(engine)
    later = stored_now() + timedelta(seconds=1)
    assert repo.undecided(later) == []
    with engine.begin() as conn:  # as if the server stopped before reviewing two of them
        conn.execute(delete(ReviewDecisionRow).where(ReviewDecisionRow.ad_id.in_(ids[1:])))
    with sqlite_plans(engine) as plans:
        found = repo.undecided(later)
    assert [(a, p) for a, _, p in found] == [(ids[1], page), (ids[2], page)]
    assert repo.undecided(stored_now() - timedelta(days=1)) == []
    if engine.dialect.name == "sqlite":
        assert plans and not scans(plans), plans
