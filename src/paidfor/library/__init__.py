"""Public queries over the library: what anyone may see."""
