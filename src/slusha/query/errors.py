"""The one error the query language raises: what is wrong, in plain words, and where."""

from __future__ import annotations

import unicodedata

from slusha.errors import InputError


class QuerySyntaxError(InputError):
    """A query was rejected; ``message`` says why and ``position`` (0-based) says where."""

    code = "query_syntax"

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.message} (at character {self.position + 1})"

    def __reduce__(self) -> tuple[type[QuerySyntaxError], tuple[str, int]]:
        # Keeps the error picklable (multiprocessing, the bus) despite the extra argument.
        return (type(self), (self.message, self.position))

    def caret(self, query: str) -> str:
        """The query's line that holds the problem, with a caret under the offending place."""
        line_start = query.rfind("\n", 0, self.position) + 1
        line_end = query.find("\n", self.position)
        if line_end == -1:
            line_end = len(query)
        line = query[line_start:line_end]
        pad = "".join(_pad(ch) for ch in line[: self.position - line_start])
        return f"{line}\n{pad}^"


def _pad(ch: str) -> str:
    # Tabs keep their width and wide characters (CJK, emoji) take two cells, so the caret
    # lines up under the offending place in a terminal.
    if ch == "\t":
        return "\t"
    if unicodedata.combining(ch):
        return ""
    return "  " if unicodedata.east_asian_width(ch) in "WF" else " "
