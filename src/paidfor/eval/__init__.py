"""Evaluation material written apart from the detectors it judges (synthetic worlds)."""
