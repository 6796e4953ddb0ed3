"""The investigator's workspace in a real browser, on the demo data: an investigator signs in,
opens the networks page from the staff navigation, runs detection, opens a network, opens it
as a case, marks one member legitimate coordination and confirms another, and sees both
verdicts on the case, on the member's own page and in the audit log."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from browser.conftest import cli_token


def wait_for_networks(page: Any, url: str, seconds: float = 90.0) -> None:
    """Detection runs in the background: reload until the page lists what it found."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.locator("#networks tbody tr").count():
            return
        status = page.locator("#run-status").inner_text()
        assert "failed" not in status, status
        time.sleep(1.0)
        page.goto(url)
    raise AssertionError(f"no network listed after {seconds} s: {page.content()[:2000]}")


def test_an_investigator_reviews_a_network_and_marks_findings(
    live_server: str, live_db: Path, browser: Any, screenshots: Path
) -> None:
    token = cli_token(live_db, "investigator", "workspace-investigator")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{live_server}/staff/login")
        page.fill("#staff-token", token)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server}/staff")
        staff_nav = page.get_by_role("navigation", name="Staff")
        for label in ("Networks", "Cases", "Exchange", "Disclosures to investigators", "Audit log"):
            assert staff_nav.get_by_role("link", name=label).count() == 1, label
        assert staff_nav.get_by_role("link", name="Review").count() == 0  # a reviewer's page

        staff_nav.get_by_role("link", name="Networks").click()
        networks_url = f"{live_server}/staff/networks"
        page.wait_for_url(networks_url)
        page.get_by_role("button", name="Run detection now").click()
        wait_for_networks(page, networks_url)
        assert "Latest detection" in page.locator("#run-status").inner_text()
        page.screenshot(path=str(screenshots / "networks.png"), full_page=True)

        page.locator("#networks tbody tr td.title a").first.click()
        page.wait_for_selector("#members")
        members = page.locator("#members tbody tr")
        assert members.count() >= 2
        assert page.locator("#links tbody tr").count() >= 1
        page.screenshot(path=str(screenshots / "network.png"), full_page=True)
        page.get_by_role("button", name="Open as a case").click()
        page.wait_for_selector("#case-status")
        assert page.locator("#case-status").inner_text() == "open"
        case_url = page.url.split("?")[0]

        rows = page.locator("#members tbody tr")
        assert rows.count() >= 2
        first, second = rows.nth(0), rows.nth(1)
        legit_entity = first.get_attribute("data-entity")
        confirmed_entity = second.get_attribute("data-entity")
        first.locator("select[name=verdict]").select_option("legitimate")
        first.locator("input[name=reason]").fill("a chapter of a declared organisation")
        first.get_by_role("button", name="Mark").click()
        page.wait_for_selector("p.notice")
        assert (
            f"{legit_entity} marked legitimate coordination"
            in page.locator("p.notice").inner_text()
        )
        second = page.locator(f'#members tbody tr[data-entity="{confirmed_entity}"]')
        second.locator("select[name=verdict]").select_option("confirmed")
        second.locator("input[name=reason]").fill("pays in roubles for ads aimed at the US")
        second.get_by_role("button", name="Mark").click()
        page.wait_for_selector("p.notice")

        verdicts = page.locator("#verdicts tbody tr")
        assert verdicts.count() == 2
        assert (
            page.locator(f'#verdicts tr[data-entity="{legit_entity}"]').get_attribute(
                "data-verdict"
            )
            == "legitimate"
        )
        assert (
            page.locator(f'#verdicts tr[data-entity="{confirmed_entity}"]').get_attribute(
                "data-verdict"
            )
            == "confirmed"
        )
        assert (
            page.locator(f'#members tr[data-entity="{legit_entity}"] [data-verdict]').inner_text()
            == "legitimate"
        )
        page.screenshot(path=str(screenshots / "verdicts.png"), full_page=True)

        page.locator(f'#members tr[data-entity="{confirmed_entity}"] td a').first.click()
        page.wait_for_selector("#risk")
        assert "confirmed on case" in page.locator("#entity-marks").inner_text()
        assert page.locator("#findings, #no-findings").count() == 1

        page.goto(f"{live_server}/staff/audit?action=finding_")
        audit = page.locator("#audit tbody tr")
        assert audit.count() == 2
        actions = {audit.nth(i).get_attribute("data-action") for i in range(2)}
        assert actions == {"finding_legitimate", "finding_confirmed"}
        assert page.locator("#chain-ok").is_visible()

        page.goto(networks_url)
        assert page.locator("#precision tbody tr").count() == 1
        page.goto(case_url)
        assert page.locator("#verdicts tbody tr").count() == 2
    finally:
        context.close()
