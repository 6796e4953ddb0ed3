"""Integrity: foreign-interference signals, coordinated networks, cases."""
