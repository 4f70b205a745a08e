"""Inbound webhook: anything that can POST the post format, signed or with a token."""
