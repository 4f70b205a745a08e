"""The web app: FastAPI JSON API and server-rendered pages."""
