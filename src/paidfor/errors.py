"""One error hierarchy for paidfor: what went wrong, as the HTTP status an API answers and
the exit code a command ends with. Each context's refusals subclass one of these (an
exchange ``NotFound``, a disclosure ``WrongState``...); the HTTP app renders any of them
that a route lets through as ``{"error": {"message", "status"}}`` with its status, and the
``paidfor`` command prints the message and exits with its code. Anything else is a bug: a
500, and a traceback."""

from __future__ import annotations


class PaidforError(Exception):
    """A refusal paidfor explains to whoever asked."""

    http_status = 500
    exit_code = 1


class Invalid(PaidforError, ValueError):
    """Input that breaks a rule; the message names the field and the rule."""

    http_status = 422
    exit_code = 2


class NotFound(PaidforError, LookupError):
    """No such thing, or none the caller may see."""

    http_status = 404
    exit_code = 3


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
