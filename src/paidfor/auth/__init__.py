"""Accounts and roles: hashed API tokens with a role, the staff web session, and the FastAPI
dependencies that check them (``paidfor.interfaces.http.deps.require``). The public needs no
account.

Wiring: ``paidfor.interfaces.http.auth.install_auth(app, tokens, settings)`` in ``create_app`` and
``app.add_typer(token_app, name="token")`` (``paidfor.interfaces.cli.tokens``) in the CLI.
"""

from paidfor.auth.roles import STAFF_ROLES, Principal, Role

__all__ = ["STAFF_ROLES", "Principal", "Role"]
