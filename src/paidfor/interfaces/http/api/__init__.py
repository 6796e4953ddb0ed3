"""HTTP interface: the FastAPI application."""
