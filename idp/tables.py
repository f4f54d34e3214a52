"""The declarative base and column types every wing's tables share; `idp.schema` gathers them."""

from __future__ import annotations

from sqlalchemy import DateTime
from sqlalchemy.orm import DeclarativeBase

TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Metadata of the tables the idp package owns, one module of them per wing."""
