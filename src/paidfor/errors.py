"""One error hierarchy for paidfor: what went wrong, as the HTTP status an API answers and
the exit code a command ends with. Each context's refusals subclass one of these (an
exchange ``NotFound``, a disclosure ``WrongState``...), raised where the refusal is decided.
No route catches them to choose a status: the HTTP app's one handler
(``paidfor.interfaces.http.refusals``) answers any of them with its status, as
``{"error": {"message", "status"}}`` or as the page of a route that answers with HTML, and
the ``paidfor`` command says the message and exits with its code
(``paidfor.interfaces.cli.support.Commands``). Anything else is a bug: a 500, and a
traceback.

The ``EXIT_*`` codes are those of a command that ends without a refusal: it ran, and its
answer is no (a broken audit chain, a package that does not verify), or what it was given
cannot be used. Every code a command ends with is in the README's "Exit codes" table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: The command ran and its answer is no: the audit chain is broken, the package does not
#: verify, the search index is not in step, a source could not be fetched, no row of an
#: import could be read (and a bug: an exception that is no refusal, with its traceback).
EXIT_FAILED = 1
#: What the command was given cannot be used: an unknown source, a missing file, a bad
#: option (``Invalid.exit_code``).
EXIT_USAGE = 2


class PaidforError(Exception):
    """A refusal paidfor explains to whoever asked."""

    http_status = 500
    exit_code = EXIT_FAILED
    #: Headers an HTTP answer carries (a 401's ``WWW-Authenticate``).
    headers: Mapping[str, str] = {}

    def as_json(self) -> dict[str, Any]:
        """The ``error`` object of an HTTP answer."""
        return {"message": str(self), "status": self.http_status}


class Invalid(PaidforError, ValueError):
    """Input that breaks a rule; the message names the field and the rule."""

    http_status = 422
    exit_code = EXIT_USAGE


class BadRequest(Invalid):
    """A request that cannot be taken as asked: a query parameter the library does not know,
    an ad for a page that is not the caller's (400, where ``Invalid`` is a 422)."""

    http_status = 400


class NotFound(PaidforError, LookupError):
    """No such thing, or none the caller may see."""

    http_status = 404
    exit_code = 3


class Unauthorized(PaidforError, PermissionError):
    """No valid credentials: sign in or send a token."""

    http_status = 401
    exit_code = 4


class Forbidden(PaidforError, PermissionError):
    """The caller's role or ownership does not allow it."""

    http_status = 403
    exit_code = 4


class Conflict(PaidforError):
    """The thing's state does not allow it now (someone decided first, a name is taken)."""

    http_status = 409
    exit_code = 5


class Unavailable(PaidforError):
    """Something it needs is busy or down; try again."""

    http_status = 503
    exit_code = 6
