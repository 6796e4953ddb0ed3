"""paidfor: an open election-ad integrity platform."""

__version__ = "0.1.0"
