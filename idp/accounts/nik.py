"""NIK (Nomor Induk Kependudukan), the 16-digit national identity number on the KTP.

Layout (Permendagri on population administration): PP KK CC DDMMYY SSSS
- PP: province code, from the Ministry of Home Affairs (Kemendagri) list;
- KK: regency (kabupaten, 01-70) or city (kota, 71-99) within the province;
- CC: district (kecamatan), 01-99;
- DDMMYY: date of birth; women add 40 to the day (so 41-71);
- SSSS: a sequence number, 0001-9999.

The check is structural: it cannot tell whether Dukcapil really issued a number, only that it
could have. It never logs or returns the number itself, only its parsed parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from idp.errors import InvalidInput

# Kemendagri province codes. 91-96 cover Papua: 91 (Papua Barat) and 94 (Papua) are on nearly
# every NIK issued there; 92, 93, 95 and 96 came with the provinces created in 2022.
PROVINCES: dict[str, str] = {
    "11": "Aceh",
    "12": "Sumatera Utara",
    "13": "Sumatera Barat",
    "14": "Riau",
    "15": "Jambi",
    "16": "Sumatera Selatan",
    "17": "Bengkulu",
    "18": "Lampung",
    "19": "Kepulauan Bangka Belitung",
    "21": "Kepulauan Riau",
    "31": "DKI Jakarta",
    "32": "Jawa Barat",
    "33": "Jawa Tengah",
    "34": "DI Yogyakarta",
    "35": "Jawa Timur",
    "36": "Banten",
    "51": "Bali",
    "52": "Nusa Tenggara Barat",
    "53": "Nusa Tenggara Timur",
    "61": "Kalimantan Barat",
    "62": "Kalimantan Tengah",
    "63": "Kalimantan Selatan",
    "64": "Kalimantan Timur",
    "65": "Kalimantan Utara",
    "71": "Sulawesi Utara",
    "72": "Sulawesi Tengah",
    "73": "Sulawesi Selatan",
    "74": "Sulawesi Tenggara",
    "75": "Gorontalo",
    "76": "Sulawesi Barat",
    "81": "Maluku",
    "82": "Maluku Utara",
    "91": "Papua Barat",
    "92": "Papua (2022 province)",
    "93": "Papua (2022 province)",
    "94": "Papua",
    "95": "Papua (2022 province)",
    "96": "Papua (2022 province)",
}


class InvalidNik(InvalidInput, ValueError):
    """`reason` is a stable code: length, digits, province, regency, district, birth_date,
    sequence."""

    code = "invalid_nik"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


MESSAGES = {
    "length": "The NIK must be exactly 16 digits.",
    "digits": "The NIK must contain digits only.",
    "province": "The NIK does not start with a valid Indonesian province code.",
    "regency": "The NIK has an invalid regency/city code (digits 3-4).",
    "district": "The NIK has an invalid district code (digits 5-6).",
    "birth_date": "The NIK does not contain a valid date of birth (digits 7-12).",
    "sequence": "The NIK has an invalid sequence number (last 4 digits).",
}


@dataclass(frozen=True)
class Nik:
    province_code: str
    province: str
    regency_code: str
    district_code: str
    birth_date: date
    sex: str  # "F" or "M"
    sequence: str


def _fail(reason: str) -> InvalidNik:
    return InvalidNik(reason, MESSAGES[reason])


def parse_nik(value: str, *, today: date) -> Nik:
    """The parts of a structurally valid NIK; InvalidNik otherwise. `today` decides the century
    of the two-digit birth year and rejects birth dates in the future."""
    nik = value.strip().replace(" ", "").replace(".", "")
    if not nik.isascii() or not nik.isdigit():
        raise _fail("digits" if len(nik) == 16 else "length")
    if len(nik) != 16:
        raise _fail("length")
    province, regency, district = nik[0:2], nik[2:4], nik[4:6]
    if province not in PROVINCES:
        raise _fail("province")
    if regency == "00":
        raise _fail("regency")
    if district == "00":
        raise _fail("district")
    day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "M"
    if day > 40:
        day, sex = day - 40, "F"
    year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
    try:
        born = date(year, month, day)
    except ValueError:
        raise _fail("birth_date") from None
    if born > today:
        raise _fail("birth_date")
    if nik[12:] == "0000":
        raise _fail("sequence")
    return Nik(province, PROVINCES[province], regency, district, born, sex, nik[12:])
