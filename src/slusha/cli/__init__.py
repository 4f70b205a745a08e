"""The command line: the composition root. Nothing imports this package."""
