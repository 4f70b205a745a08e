"""Engines for SQLite and PostgreSQL, sessions, and transactions with after-commit hooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from slusha.errors import ConfigError, TransientError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` and use psycopg 3 for both."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers work while the one writer commits; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A deferred transaction that later writes cannot wait for the lock (SQLite answers BUSY at
    # once to avoid a deadlock), so writers take the lock up front and wait for it (busy
    # timeout); read-only transactions stay deferred and never block anyone under WAL.
    read_only = conn.get_execution_options().get("slusha_read_only", False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """One database: an engine, a session factory and transactions with after-commit hooks."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = normalise_url(url)
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise ConfigError(
                f"database URL {url!r} is not valid (expected sqlite:///PATH or "
                "postgresql://USER@HOST/DB)"
            ) from None
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False, "isolation_level": None}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"connect_timeout": 10}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _on_sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(
            self.engine.execution_options(slusha_read_only=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def check(self) -> None:
        """Connect once; raise a ``TransientError`` that says what to do when it fails."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            self.engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise TransientError(
                f"cannot connect to the database {self.safe_url}: {reason} "
                "(check SLUSHA_DATABASE_URL and that the server is running)",
                code="db_unreachable",
            ) from None

    @property
    def safe_url(self) -> str:
        """The URL with its password masked."""
        return make_url(self.url).render_as_string(hide_password=True)

    def session(self) -> Session:
        """A new session (the caller closes it)."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A session in a transaction; hooks added with ``after_commit`` run only on commit."""
        with self._transaction(self._sessions) as tx:
            yield tx

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A transaction that only reads: on SQLite it never waits for, or blocks, a writer."""
        with self._transaction(self._read_sessions) as tx:
            yield tx

    @contextmanager
    def _transaction(self, factory: sessionmaker[Session]) -> Iterator[Transaction]:
        session = factory()
        tx = Transaction(session)
        try:
            with session.begin():
                yield tx
        except (OperationalError, InterfaceError) as exc:
            # Lost connection, locked database, deadlock: worth retrying, say so by type.
            session.close()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise TransientError(
                f"database {self.safe_url} failed: {reason}", code="db_unavailable"
            ) from exc
        except BaseException:
            session.close()
            raise
        session.close()
        for hook in tx.hooks:
            hook()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class Transaction:
    """A session plus the side effects to run once it has committed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.hooks: list[Callable[[], None]] = []

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` after a successful commit (never on rollback)."""
        self.hooks.append(hook)
