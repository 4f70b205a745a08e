"""Slusha: self-hosted social listening and engagement."""

__version__ = "0.1.0"
