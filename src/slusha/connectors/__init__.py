"""Built-in connectors, one folder per network; the registry finds them by scanning this package."""
