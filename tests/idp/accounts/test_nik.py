"""NIK structure: province, regency, district, birth date (women +40), sequence."""

from __future__ import annotations

from datetime import date

import pytest

from idp.accounts.nik import InvalidNik, parse_nik

TODAY = date(2026, 11, 24)


def test_a_man_born_in_bandung_1985():
    nik = parse_nik("3273012303850002", today=TODAY)
    assert nik.province == "Jawa Barat" and nik.regency_code == "73" and nik.district_code == "01"
    assert nik.birth_date == date(1985, 3, 23) and nik.sex == "M" and nik.sequence == "0002"


def test_a_woman_adds_forty_to_the_day():
    nik = parse_nik("3578106708010003", today=TODAY)  # Surabaya, 27 Aug 2001
    assert nik.province == "Jawa Timur"
    assert nik.birth_date == date(2001, 8, 27) and nik.sex == "F"


def test_spaces_and_dots_are_tolerated_and_century_follows_today():
    assert parse_nik("1101 0151 1298 0001", today=TODAY).birth_date == date(1998, 12, 11)
    assert parse_nik("5171.01.010124.0001", today=TODAY).birth_date == date(2024, 1, 1)
    assert parse_nik("9471010101300001", today=TODAY).birth_date == date(1930, 1, 1)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("327301230385000", "length"),  # 15 digits
        ("32730123038500021", "length"),  # 17 digits
        ("32730123038500a2", "digits"),
        ("1073012303850002", "province"),  # 10 is no province
        ("2073012303850002", "province"),  # 20 neither
        ("9973012303850002", "province"),
        ("3200012303850002", "regency"),
        ("3273002303850002", "district"),
        ("3273013202850002", "birth_date"),  # 32 Feb
        ("3273017202850002", "birth_date"),  # 72-40 = 32 Feb for a woman
        ("3273012902850002", "birth_date"),  # 29 Feb 1985 did not exist
        ("3273010013850002", "birth_date"),  # month 13
        ("3273014000850002", "birth_date"),  # day 0 for a woman (40)
        ("3273012303850000", "sequence"),
    ],
)
def test_invalid_niks_are_rejected_with_a_reason(value, reason):
    with pytest.raises(InvalidNik) as exc:
        parse_nik(value, today=TODAY)
    assert exc.value.reason == reason


def test_leap_day_for_a_woman_is_a_real_date():
    assert parse_nik("3273016902000001", today=TODAY).birth_date == date(2000, 2, 29)
