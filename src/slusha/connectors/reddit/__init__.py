"""Reddit: subreddit listings and search, polled with before/after; replies as comments."""
