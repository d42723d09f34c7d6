"""Parsing database URLs: which backends Sluice supports, and how to show a URL without its password."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ._errors import StoreError

# Sluice picks the driver, so `postgresql://` works without psycopg2 installed.
_DRIVERS: dict[str, str] = {
    "sqlite": "sqlite+pysqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mysql+pymysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
    "mariadb+pymysql": "mariadb+pymysql",
}

_INSTALL_HINTS: dict[str, str] = {
    "postgresql": "pip install 'sluice[postgres]' (psycopg 3)",
    "mysql": "pip install 'sluice[mysql]' (PyMySQL)",
    "mariadb": "pip install 'sluice[mysql]' (PyMySQL)",
}

SUPPORTED_SCHEMES = ("sqlite", "postgresql+psycopg", "mysql+pymysql", "mariadb+pymysql")


def redact(url: str | URL) -> str:
    """The URL as text with its password replaced by ``***``; unparsable text is returned with a guess."""
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Not a URL SQLAlchemy understands; still hide anything between ':' and '@' after the scheme.
        scheme, sep, rest = url.partition("://")
        credentials, at, host = rest.rpartition("@")
        if at and ":" in credentials:
            credentials = credentials.split(":", 1)[0] + ":***"
        return f"{scheme}{sep}{credentials}{at}{host}"


def parse_database_url(url: str | URL) -> URL:
    """Validate ``url`` and pin the driver Sluice ships for its backend."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise StoreError(f"not a database URL: {redact(url)!r}: {exc}") from exc
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise StoreError(
            f"unknown database URL scheme {parsed.drivername!r} in {redact(parsed)!r}; "
            f"Sluice supports {', '.join(SUPPORTED_SCHEMES)}"
        )
    return parsed.set(drivername=driver)


def install_hint(url: URL) -> str:
    """How to install the driver ``url`` needs."""
    return _INSTALL_HINTS.get(url.get_backend_name(), "")
