"""Ids from the outside (query strings, form fields), parsed strictly.

`str.isdigit()` accepts "²" and "٣", which int() then refuses (a 500); an id
is plain ASCII digits that fit a database integer, or it is no id at all."""

import re

_ID = re.compile(r"[0-9]{1,18}")
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    text = str(value if value is not None else "").strip()
    if not _ID.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_ids(values) -> list[int]:
    return [number for number in (parse_id(value) for value in values) if number is not None]
