"""Mastodon (any instance): streaming API with REST fallback, search, replies."""
