"""A statement that fails raises an error whose text (what a traceback in the server log
prints) shows the SQL but none of its bound values: those are NIK blind indexes, password
hashes, ciphertexts, interaction parameters with a login_hint in them."""

from __future__ import annotations

import traceback

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.db import make_engine

NIK = "3201011501900001"


def test_a_failing_statement_prints_no_bound_value(settings):
    engine = make_engine(settings.db_url)
    try:
        with pytest.raises(DBAPIError) as failed, engine.connect() as c:
            c.execute(text("SELECT * FROM no_such_table WHERE login = :login"), {"login": NIK})
        printed = "".join(traceback.format_exception(failed.value))
        assert "no_such_table" in printed
        assert NIK not in printed
    finally:
        engine.dispose()
