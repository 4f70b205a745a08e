"""Server-rendered pages (Jinja2 + HTMX)."""
