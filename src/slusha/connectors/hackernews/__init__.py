"""Hacker News: Algolia search by date, and the official Firebase item API."""
