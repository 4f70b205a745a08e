"""Lexemes -> a checked query tree.

Precedence, tightest first: NEAR > NOT > AND (explicit or implicit) > OR. Recursion depth is
bounded by ``MAX_NESTING`` parenthesis levels, so hostile input gets a clear error instead of
a ``RecursionError``; chains that need no brackets (``a OR b OR ...``, ``NOT NOT a``) are
parsed with loops and cost no depth at all.
"""

from __future__ import annotations

from slusha.query.ast import And, Field, Near, Node, Not, Or, Phrase, Term
from slusha.query.errors import QuerySyntaxError
from slusha.query.lexer import Lexeme, lex

# Far beyond what a person writes; keeps the parser and every tree walk far from Python's
# recursion limit.
MAX_NESTING = 64

_OPERAND_START = frozenset({"ATOM", "(", "NOT"})
_NOT_IN_NEAR = "NOT cannot stand inside a side of NEAR; put it outside: (a NEAR/3 b) NOT c."


def parse(query: str) -> Node:
    """Parse and check a query; raise ``QuerySyntaxError`` with a position on any problem."""
    if not query.strip():
        raise QuerySyntaxError("The query is empty. Write at least one word to listen for.", 0)
    lexemes = lex(query)
    _check_brackets(lexemes)
    parser = _Parser(lexemes)
    node = parser.parse_or(0)
    if parser.i < len(lexemes):  # pragma: no cover - brackets were checked above
        raise QuerySyntaxError("This is not expected here.", lexemes[parser.i].start)
    _check_not_only(node)
    return node


def _check_brackets(lexemes: list[Lexeme]) -> None:
    opened: list[int] = []
    for lexeme in lexemes:
        if lexeme.kind == "(":
            opened.append(lexeme.start)
        elif lexeme.kind == ")":
            if not opened:
                raise QuerySyntaxError("This ) has no ( before it.", lexeme.start)
            opened.pop()
    if opened:
        raise QuerySyntaxError("This ( is never closed. Add a ) where the group ends.", opened[0])


class _Parser:
    def __init__(self, lexemes: list[Lexeme]) -> None:
        self.lexemes = lexemes
        self.i = 0

    def peek(self) -> Lexeme | None:
        return self.lexemes[self.i] if self.i < len(self.lexemes) else None

    def take(self) -> Lexeme:
        lexeme = self.lexemes[self.i]
        self.i += 1
        return lexeme

    def parse_or(self, depth: int) -> Node:
        first = self.peek()
        if first is not None and first.kind == "OR":
            raise QuerySyntaxError(
                "OR needs something on its left, e.g. acme OR acmecorp.", first.start
            )
        children = [self.parse_and(depth)]
        op = -1
        while (nxt := self.peek()) is not None and nxt.kind == "OR":
            operator = self.take()
            op = operator.start if op < 0 else op
            after = self.peek()
            if after is None or after.kind not in _OPERAND_START:
                raise QuerySyntaxError(
                    "OR needs something on its right, e.g. acme OR acmecorp.", operator.start
                )
            children.append(self.parse_and(depth))
        if len(children) == 1:
            return children[0]
        return Or(_flatten(children, Or), start=_start(children[0]), op=op)

    def parse_and(self, depth: int) -> Node:
        children = [self.parse_not(depth)]
        op = -1
        while (nxt := self.peek()) is not None and (
            nxt.kind == "AND" or nxt.kind in _OPERAND_START
        ):
            if nxt.kind == "AND":
                operator = self.take()
                after = self.peek()
                if after is None or after.kind not in _OPERAND_START:
                    raise QuerySyntaxError(
                        "AND needs something on its right, e.g. acme AND refund.", operator.start
                    )
                op = operator.start if op < 0 else op
            else:
                op = nxt.start if op < 0 else op
            children.append(self.parse_not(depth))
        if len(children) == 1:
            return children[0]
        return And(_flatten(children, And), start=_start(children[0]), op=op)

    def parse_not(self, depth: int) -> Node:
        nots: list[Lexeme] = []
        while (nxt := self.peek()) is not None and nxt.kind == "NOT":
            nots.append(self.take())
        if nots:
            after = self.peek()
            if after is None or after.kind not in ("ATOM", "("):
                raise QuerySyntaxError(
                    "NOT needs something after it to exclude, e.g. acme NOT jobs.",
                    nots[-1].start,
                )
        node = self.parse_near(depth)
        # NOT NOT a is a: an even number of negations cancels out.
        if len(nots) % 2:
            return Not(node, start=nots[0].start)
        return node

    def parse_near(self, depth: int) -> Node:
        left = self.parse_primary(depth)
        nxt = self.peek()
        if nxt is None or nxt.kind != "NEAR":
            return left
        operator = self.take()
        after = self.peek()
        if after is not None and after.kind == "NOT":
            raise QuerySyntaxError(_NOT_IN_NEAR, after.start)
        if after is None or after.kind not in ("ATOM", "("):
            raise QuerySyntaxError(
                "NEAR needs a word or phrase on its right, e.g. acme NEAR/3 refund.",
                operator.start,
            )
        right = self.parse_primary(depth)
        _check_near_operand(left)
        _check_near_operand(right)
        again = self.peek()
        if again is not None and again.kind == "NEAR":
            raise QuerySyntaxError(
                "NEAR joins exactly two sides. Join several with AND: "
                "(a NEAR/3 b) AND (b NEAR/3 c).",
                again.start,
            )
        return Near(
            left,
            right,
            distance=operator.distance,
            ordered=operator.ordered,
            start=_start(left),
            op=operator.start,
        )

    def parse_primary(self, depth: int) -> Node:
        lexeme = self.take()
        if lexeme.kind == "ATOM":
            assert lexeme.atom is not None
            return lexeme.atom
        if lexeme.kind == "(":
            if depth >= MAX_NESTING:
                raise QuerySyntaxError(
                    f"Brackets are nested too deeply (more than {MAX_NESTING} levels). "
                    "Simplify the query.",
                    lexeme.start,
                )
            nxt = self.peek()
            if nxt is not None and nxt.kind == ")":
                raise QuerySyntaxError("There is nothing inside these brackets.", lexeme.start)
            node = self.parse_or(depth + 1)
            self.take()  # the ")": brackets were checked to be balanced
            return node
        if lexeme.kind in ("AND", "OR"):
            raise QuerySyntaxError(
                f"{lexeme.kind} needs something on its left, e.g. acme {lexeme.kind} refund.",
                lexeme.start,
            )
        if lexeme.kind == "NEAR":
            raise QuerySyntaxError(
                "NEAR needs a word or phrase on its left, e.g. acme NEAR/3 refund.", lexeme.start
            )
        raise QuerySyntaxError("This is not expected here.", lexeme.start)  # pragma: no cover


def _flatten(children: list[Node], kind: type[And] | type[Or]) -> tuple[Node, ...]:
    # (a AND b) AND c is a AND b AND c: flat trees are shallower and faster to evaluate.
    out: list[Node] = []
    for child in children:
        if isinstance(child, kind):
            out.extend(child.children)
        else:
            out.append(child)
    return tuple(out)


def _start(node: Node) -> int:
    return node.start


def _check_near_operand(node: Node) -> None:
    """NEAR operands: terms, phrases, wildcards, or OR-groups of those."""
    if isinstance(node, Term | Phrase):
        return
    if isinstance(node, Or):
        for child in node.children:
            _check_near_operand(child)
        return
    if isinstance(node, Field):
        raise QuerySyntaxError(
            "NEAR measures the distance between words, so a field such as "
            f"'{node.name}:' cannot be one of its sides. Join the field with AND instead.",
            node.start,
        )
    if isinstance(node, And):
        raise QuerySyntaxError(
            "AND cannot stand inside a side of NEAR; a side of NEAR is a word, a phrase, "
            "or (a OR b).",
            node.op,
        )
    if isinstance(node, Not):
        raise QuerySyntaxError(_NOT_IN_NEAR, node.start)
    raise QuerySyntaxError(
        "NEAR cannot stand inside a side of another NEAR. Join them with AND instead.",
        node.op,
    )


def _matches_nothing_present(node: Node) -> bool:
    """Whether the node holds for a post in which none of its terms matches."""
    if isinstance(node, Not):
        return not _matches_nothing_present(node.child)
    if isinstance(node, And):
        return all(_matches_nothing_present(c) for c in node.children)
    if isinstance(node, Or):
        return any(_matches_nothing_present(c) for c in node.children)
    return False


def _check_not_only(node: Node) -> None:
    if not _matches_nothing_present(node):
        return
    # Walk to the negation that lets it through, so the error points at it.
    current = node
    while not isinstance(current, Not):
        if isinstance(current, Or):
            current = next(c for c in current.children if _matches_nothing_present(c))
        else:
            assert isinstance(current, And)
            current = current.children[0]
    raise QuerySyntaxError(
        "This query would match posts that contain none of its words, because NOT only "
        "excludes. Add something a post must contain, e.g. acme NOT jobs.",
        current.start,
    )
