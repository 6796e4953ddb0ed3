"""HTML form fields → the JSON API's request bodies (``api.intake_schemas``), so a form obeys
exactly the rules the API does, and pydantic's errors → one plain sentence per form field.

Nothing here echoes what was typed into a secret field: the card number and the identity
document reference are never put back into a re-rendered form, and no error message quotes
them (the models' messages quote only country, currency and language codes).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)
Form = Mapping[str, Any]  # Starlette's FormData, or a dict in tests
Errors = dict[str, str]  # form field → what is wrong with it; "" for the whole form

#: Fields whose value is never sent back to the browser.
SECRET_FIELDS = frozenset({"card_number", "id_document_ref", "csrf", "token"})
#: Model field names as people read them, for model-wide messages ("stop is not after start").
LABELS = {
    "card_number": "the card number",
    "start": "the start",
    "stop": "the end",
    "age_min": "the youngest age",
    "age_max": "the oldest age",
}
#: A field whose every error says the same thing.
FIELD_MESSAGES = {"page_id": "Choose one of your pages."}
FRIENDLY = {
    "missing": "This is required.",
    "too_short": "Give at least one.",
    "url_parsing": "Give a full web address, starting with https://",
    "url_scheme": "Give a full web address, starting with https://",
    "decimal_parsing": "Give an amount like 250 or 99.50.",
    "int_parsing": "Give a whole number.",
    "datetime_from_date_parsing": "Give a date and time.",
    "datetime_parsing": "Give a date and time.",
}


def text(form: Form, name: str) -> str | None:
    """A text field, stripped; None when empty or absent (so optional fields stay unset and
    required ones are reported as missing)."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def values_to_show(form: Form) -> dict[str, str]:
    """What to put back into a form shown again: every text field except secret ones."""
    return {k: v for k, v in form.items() if isinstance(v, str) and k not in SECRET_FIELDS}


def chosen(form: Form, name: str) -> list[str]:
    """Every value of a repeated field (checkboxes)."""
    getlist = getattr(form, "getlist", None)
    found = getlist(name) if getlist is not None else form.get(name, [])
    return [v for v in (found if isinstance(found, list) else [found]) if isinstance(v, str)]


def split_codes(value: str | None) -> list[str]:
    """``"US, gb ca"`` → ``["US", "gb", "ca"]`` (checked and upper-cased by the model)."""
    return [part for part in (value or "").replace(",", " ").split() if part]


def parse_admins(value: str | None) -> list[dict[str, Any]]:
    """One admin a line, ``Name: US, GB`` (the countries they sign in from; may be empty)."""
    admins = []
    for line in (value or "").splitlines():
        if not line.strip():
            continue
        name, _, countries = line.rpartition(":") if ":" in line else (line, "", "")
        admins.append({"name": name.strip(), "login_countries": split_codes(countries)})
    return admins


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def signup_data(form: Form) -> dict[str, Any]:
    return _drop_none({"name": text(form, "name"), "country": text(form, "country")})


def card_data(form: Form) -> dict[str, Any]:
    names = ("currency", "billing_country", "card_number")
    return _drop_none({n: text(form, n) for n in names})


def page_data(form: Form) -> dict[str, Any]:
    names = ("name", "category", "country", "language")
    return _drop_none(
        {**{n: text(form, n) for n in names}, "admins": parse_admins(text(form, "admins"))}
    )


def authorization_data(form: Form) -> dict[str, Any]:
    names = ("country", "legal_name", "residence_country", "id_document_ref", "funder")
    return _drop_none({n: text(form, n) for n in names})


#: The declaration's fields (``DeclarationIn``), named ``declaration_<field>`` in the ad form.
DECLARATION_FIELDS = (
    "status", "sponsor_kind", "sponsor_name", "sponsor_email", "sponsor_address",
    "sponsor_country", "sponsor_registration", "funding_source", "funding_origin",
    "linked_election_id", "linked_process", "controller_name", "controller_email",
    "controller_address", "payer_name", "payer_email", "payer_address",
)  # fmt: skip


def declaration_data(form: Form) -> dict[str, Any] | None:
    """The sponsor's declaration of the ad form (Regulation (EU) 2024/900, art. 7), when the
    advertiser filled any of it in; None otherwise."""
    data = _drop_none({f: text(form, f"declaration_{f}") for f in DECLARATION_FIELDS})
    return data or None


def ad_data(form: Form) -> dict[str, Any]:
    """The ad form: one body, the link's texts, countries as ``US, GB``, ages, a schedule in
    UTC (``datetime-local`` fields), budget and currency, "Paid for by", a political box, and
    the sponsor's declaration for an ad aimed at the EU."""
    countries = split_codes(text(form, "countries"))
    platforms = chosen(form, "platforms")
    targeting = _drop_none(
        {
            "locations": [{"country": c} for c in countries],
            "age_min": text(form, "age_min"),
            "age_max": text(form, "age_max"),
        }
    )
    body = text(form, "body")
    data = {
        "page_id": text(form, "page_id"),
        "bodies": [body] if body else [],
        "targeting": targeting,
        "political": form.get("political") == "yes",
        "platforms": platforms or None,
        "declaration": declaration_data(form),
    }
    names: tuple[str, ...] = ("link_title", "link_caption", "link_description", "landing_url")
    names += ("start", "stop", "budget", "currency", "paid_for_by")
    data.update({n: text(form, n) for n in names})
    return _drop_none(data)


def ad_field(loc: tuple[Any, ...]) -> str:
    """The ad form's field for an error at ``loc`` in ``AdIn``."""
    if loc[:2] == ("targeting", "locations"):
        return "countries"
    if loc[0] in ("targeting", "declaration") and len(loc) > 1:
        return f"declaration_{loc[1]}" if loc[0] == "declaration" else str(loc[1])
    return {"bodies": "body"}.get(str(loc[0]), str(loc[0]))


def page_field(loc: tuple[Any, ...]) -> str:
    """The page form's field for an error at ``loc`` in ``PageIn``."""
    return "admins" if loc[0] == "admins" else str(loc[0])


def _message(err: Mapping[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return FRIENDLY["missing"]
    if kind in FRIENDLY:
        return FRIENDLY[kind]
    message = str(err.get("msg", "is not valid")).removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def field_errors(exc: ValidationError, locate: Callable[[tuple[Any, ...]], str]) -> Errors:
    """One sentence per form field from a model's ``ValidationError``."""
    out: Errors = {}
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        first = message.split(" ", 1)[0]
        if err.get("type") == "value_error" and first in LABELS:  # a model-wide rule
            field = first
            for name, label in LABELS.items():
                message = message.replace(name, label)
            message = message[:1].upper() + message[1:] + "."
        else:
            field = locate(loc) if loc else ""
            message = FIELD_MESSAGES.get(field) or _message(err)
        if field == "admins" and len(loc) > 1 and isinstance(loc[1], int):
            message = f"Admin {loc[1] + 1}: {message}"
        if message not in out.get(field, ""):
            out[field] = f"{out[field]} {message}" if field in out else message
    return out


def validate(
    model: type[M], data: dict[str, Any], locate: Callable[[tuple[Any, ...]], str] | None = None
) -> tuple[M | None, Errors]:
    """The model built from ``data``, or None and the errors by form field."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, field_errors(exc, locate or (lambda loc: str(loc[0])))
