"""Web app and API tests."""
