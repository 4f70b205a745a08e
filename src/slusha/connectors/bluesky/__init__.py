"""Bluesky: Jetstream WebSocket with cursor resume, searchPosts backfill, replies."""
