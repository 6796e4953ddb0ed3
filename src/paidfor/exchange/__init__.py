"""The threat-indicator exchange: privacy groups, indicators with owners, reactions and
expiry, and the updates feed a member mirrors a group by (see docs/exchange.md)."""
