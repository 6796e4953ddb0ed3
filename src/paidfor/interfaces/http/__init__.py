"""The HTTP interface: the FastAPI app and its JSON routes (``api``), the HTML pages
(``web``: Jinja2 templates and static files), the staff sign-in (``auth``) and the
role-checking dependencies (``deps``)."""
