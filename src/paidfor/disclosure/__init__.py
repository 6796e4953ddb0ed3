"""Disclosure packages for investigators: rendering, manifest, signing and verification."""
