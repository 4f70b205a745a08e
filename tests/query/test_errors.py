"""Every rule that makes a query invalid, with the exact 0-based position of the problem."""

from __future__ import annotations

import pickle

import pytest

from slusha.errors import InputError
from slusha.query import QuerySyntaxError, compile_query, validate_query


def error(query: str) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as info:
        compile_query(query)
    exc = info.value
    assert exc.message.strip(), "the message must say what is wrong"
    assert 0 <= exc.position <= max(len(query) - 1, 0)
    return exc


@pytest.mark.parametrize(
    ("query", "position"),
    [
        # empty or only whitespace
        ("", 0),
        ("   ", 0),
        ("\n\t", 0),
        # unbalanced parentheses, quotes, braces: where the bracket or quote starts
        ("(acme", 0),
        ("acme (refund OR (money back)", 5),
        ("acme)", 4),
        ("(acme) refund)", 13),
        ('"acme corp', 0),
        ('acme "corp', 5),
        ('acme "corp" "', 12),
        ("{Acme", 0),
        ("acme {Acme", 5),
        ("Acme}", 4),
        ("acme }", 5),
        ("\u201cacme corp", 0),
        ("acme corp\u201d", 9),
        # an operator lacks an operand: the operator
        ("acme AND", 5),
        ("OR acme", 0),
        ("acme NOT", 5),
        ("AND acme", 0),
        ("acme OR", 5),
        ("acme AND OR refund", 5),
        ("acme OR OR refund", 5),
        ("(acme OR) refund", 6),
        ("(AND acme)", 1),
        ("acme AND AND refund", 5),
        ("acme NOT NOT", 9),
        ("NOT", 0),
        ("acme NEAR/3", 5),
        ("NEAR/3 acme", 0),
        ("acme NEAR/3 OR refund", 5),
        ("()", 0),
        ("acme ()", 5),
        # NEAR lacks its number or has a negative one
        ("acme NEAR/ refund", 5),
        ("NEAR/", 0),
        ("acme NEAR/x refund", 5),
        ("acme NEAR/-1 refund", 5),
        ("acme NEAR refund", 5),
        ("acme NEAR/3F refund", 5),
        ("acme NEAR/3ff refund", 5),
        # wildcards: fewer than 3 characters before *, or * inside a word
        ("ac*", 0),
        ("a*", 0),
        ("*", 0),
        ("acme *", 5),
        ("acme #ac*", 5),
        ("ac*me", 0),
        ("acme *corp", 5),
        ("acme**", 0),
        ("acme ac*me*", 5),
        ('"acme ab*"', 0),
        ('"acme *corp"', 0),
        ("{Acme*}", 0),
        # unknown field, malformed value: where the field term starts
        ("colour:red", 0),
        ("acme colour:red", 5),
        ("followers:>many", 0),
        ("acme followers:>many", 5),
        ("followers:", 0),
        ("followers:>", 0),
        ("followers:>-5", 0),
        ("lang:macedonian", 0),
        ("lang:", 0),
        ("network:myspace", 0),
        ("site:https://example.com", 0),
        ("site:", 0),
        ("author:", 0),
        ("author:@", 0),
        # NEAR operands: AND/NOT inside, fields, chains
        ("(acme AND corp) NEAR/3 refund", 6),
        ("(acme corp) NEAR/3 refund", 6),
        ("refund NEAR/3 (acme NOT corp)", 20),
        ("acme NEAR/3 NOT refund", 12),
        ("lang:mk NEAR/3 refund", 0),
        ("acme NEAR/3 lang:mk", 12),
        ("a NEAR/1 b NEAR/1 c", 11),
        ("((a NEAR/1 b) OR c) NEAR/2 d", 4),
        # could match a post in which none of its terms matches: the negation
        ("NOT acme", 0),
        ("NOT (a OR b)", 0),
        ("acme OR NOT jobs", 8),
        ("NOT a NOT b", 0),
        ("lang:mk OR NOT acme", 11),
        ("(acme NOT jobs) OR (NOT hiring)", 20),
        ("NOT (acme NOT jobs)", 0),
        # nothing to search for
        ("!!!", 0),
        ("acme 😀", 5),
        ('""', 0),
        ('acme "?!"', 5),
        ("{}", 0),
        ("{ }", 0),
    ],
)
def test_error_position(query: str, position: int) -> None:
    assert error(query).position == position


def test_messages_speak_plainly() -> None:
    assert "empty" in error("").message
    assert "never closed" in error("(acme").message
    assert "AND" in error("acme AND").message
    assert "NEAR" in error("acme NEAR/x b").message
    assert "3" in error("ac*").message
    assert "colour" in error("colour:red").message
    assert "followers" in error("followers:>many").message
    assert "NOT" in error("NOT acme").message


def test_brackets_are_checked_before_operands() -> None:
    # Two problems: the unclosed bracket is reported, as it is the one to fix first.
    assert error("(acme AND").position == 0


def test_error_is_an_input_error_with_a_code() -> None:
    exc = error("acme AND")
    assert isinstance(exc, InputError)
    assert exc.code == "query_syntax"
    assert "character 6" in str(exc)


def test_error_pickles() -> None:
    exc = error("acme AND")
    again = pickle.loads(pickle.dumps(exc))
    assert (again.message, again.position) == (exc.message, exc.position)


def test_caret_points_at_the_position() -> None:
    exc = error("acme AND (refund")
    assert exc.caret("acme AND (refund") == "acme AND (refund\n         ^"


def test_caret_on_multi_line_and_wide_text() -> None:
    query = "acme\nOR 中文 AND"
    exc = error(query)
    assert exc.position == query.index("AND")
    assert exc.caret(query) == "OR 中文 AND\n        ^"


def test_validate_query_returns_the_problem() -> None:
    assert validate_query("acme NOT jobs") is None
    problem = validate_query("acme NOT")
    assert problem is not None and problem.position == 5


def test_non_string_query() -> None:
    with pytest.raises(QuerySyntaxError):
        compile_query(None)  # type: ignore[arg-type]
