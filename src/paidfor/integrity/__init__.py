"""Integrity: foreign-interference signals, coordinated networks, content coordination."""
