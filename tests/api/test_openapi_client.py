"""A typed client generated from the app's OpenAPI schema fetches a search (issue 20).

``openapi-python-client`` (in ``.venv-clients``, its own environment: it wants an older httpx
than paidfor's; ``scripts/setup.sh dev`` builds it from ``scripts/clients.txt``, so nothing is
downloaded here) writes a Python package from ``/openapi.json``; that package, run in the same
environment, searches a server on 127.0.0.1 and reads the answers as its generated models.
What it reads must be what the server answers: the same ads, in the same order, page by page.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api.archive_data import load
from fastapi.testclient import TestClient
from loopback import app_on_loopback, loopback_socket
from sqlalchemy import Engine

from paidfor.interfaces.http.api.app import create_app
from paidfor.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = Path(os.environ.get("PAIDFOR_CLIENTS_VENV", ROOT / ".venv-clients"))
GENERATOR = CLIENTS / "bin" / "openapi-python-client"

# Run with the generated package on the path, in the clients' environment: every call through
# the generated functions, every answer read as the generated models.
SCRIPT = """
import json, sys
from paidfor_client import Client
from paidfor_client.api.default import api_search_api_search_get as search
from paidfor_client.api.default import api_ad_api_ads_ad_id_get as one_ad
from paidfor_client.models import Error, PublicAd, PublicAdDetail, SearchAnswer

client = Client(base_url=sys.argv[1], raise_on_unexpected_status=True)
pages = []
for page in ("1", "2"):
    found = search.sync(client=client, q="Canada elections", per_page="10", page=page,
                        sort="spend", country=["CA"])
    assert isinstance(found, SearchAnswer), found
    assert all(isinstance(ad, PublicAd) for ad in found.ads)
    pages.append({"total": found.total, "pages": found.pages,
                  "ids": [ad.id for ad in found.ads],
                  "spend": [ad.spend_lower for ad in found.ads],
                  "csv": found.links.csv})
refused = search.sync(client=client, sort="cheapest")
assert isinstance(refused, Error), refused
ad = one_ad.sync(client=client, ad_id=pages[0]["ids"][0])
assert isinstance(ad, PublicAdDetail), ad
assert ad.provenance.origin == "import", ad.provenance
print(json.dumps({"pages": pages, "refused": refused.error.message, "ad": ad.text}))
"""


@pytest.fixture
def generator() -> Path:
    if not GENERATOR.is_file():
        message = f"{GENERATOR} is missing: run scripts/setup.sh dev"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return GENERATOR


@pytest.fixture
def served(db_url: str, engine: Engine, tmp_path: Path) -> Iterator[tuple[str, Any]]:
    load(engine, tmp_path)
    sock, url = loopback_socket()
    settings = Settings(public_url=url, search_rate_limit=0, search_index=False)
    app = create_app(db_url, settings)
    with app_on_loopback(app, sock) as base:
        yield base, app


def test_a_generated_client_fetches_a_search(
    generator: Path, served: tuple[str, Any], tmp_path: Path
) -> None:
    base, app = served
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(app.openapi()))
    out = tmp_path / "paidfor_client"
    made = subprocess.run(
        [str(generator), "generate", "--path", str(spec), "--output-path", str(out),
         "--meta", "none"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    assert (out / "models" / "search_answer.py").is_file()
    ran = subprocess.run(
        [str(CLIENTS / "bin" / "python"), "-c", SCRIPT, base],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    got = json.loads(ran.stdout)

    direct = TestClient(app)
    for number, page in enumerate(got["pages"], start=1):
        params = {"q": "Canada elections", "per_page": "10", "page": str(number),
                  "sort": "spend", "country": "CA"}  # fmt: skip
        want = direct.get("/api/search", params=params).json()
        assert page["total"] == want["total"] == 23
        assert page["ids"] == [ad["id"] for ad in want["ads"]]
        assert len(page["ids"]) == 10
        assert page["spend"] == sorted(page["spend"], reverse=True)
    assert set(got["pages"][0]["ids"]).isdisjoint(got["pages"][1]["ids"])
    assert "cheapest" in got["refused"]
    assert got["ad"].startswith("Canada ad number")
