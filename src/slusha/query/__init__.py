"""The listening query language (``shared/spec/query-language.md``) and the topic matcher.

Pure: no framework, database, network or I/O. Use::

    from slusha.query import compile_query, QuerySyntaxError, Matcher

    q = compile_query("acme NEAR/3 refund")
    q.matches(post)                      # a post-format dict, a Post or a store row
    m = Matcher({"t1": "acme", "t2": "#acme NOT job*"})
    m.match(post)                        # {"t1", ...}
"""

from __future__ import annotations

from slusha.query.compiler import CompiledQuery, compile_query, validate_query
from slusha.query.errors import QuerySyntaxError
from slusha.query.evaluate import evaluate
from slusha.query.matcher import Matcher
from slusha.query.normalise import Token, tokenize
from slusha.query.terms import search_terms

__all__ = [
    "CompiledQuery",
    "Matcher",
    "QuerySyntaxError",
    "Token",
    "compile_query",
    "evaluate",
    "search_terms",
    "tokenize",
    "validate_query",
]
