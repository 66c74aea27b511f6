"""Format checks shared by every app: the unified social credit code, phone
numbers and e-mail addresses.

Unified social credit code (统一社会信用代码), GB 32100-2015:

18 characters from a 31-character alphabet (digits and capitals without
I, O, S, V, Z); the last one is a check character: weights 3^i mod 31,
check = 31 - (Σ value×weight mod 31), 31 written as 0.
"""

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(ch) * w for ch, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """The reason `code` is not a valid credit code, or None when it is."""
    if len(code) != 18:
        return _("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)}
    bad = [ch for ch in code if ch not in CREDIT_CODE_ALPHABET]
    if bad:
        return _("“%(ch)s” cannot appear in a unified social credit code.") % {"ch": bad[0]}
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        return _("The check character of this unified social credit code is wrong (expected %(ch)s).") % {
            "ch": expected
        }
    return None


def validate_credit_code(value: str) -> None:
    error = credit_code_error(value)
    if error:
        raise ValidationError(error, code="invalid_credit_code")


# Phone numbers --------------------------------------------------------------
#
# Accepted forms, digits only apart from the separators shown:
#   mobile    13812345678, +8613812345678, +86 13812345678, +86-13812345678
#             (11 digits, 1 then 3–9: every mainland carrier's range)
#   landline  0571-88888888, 057188888888, 010-62345678, 0571-8888888,
#             optionally with an extension: 0571-88888888-123
#             (area code 0 + 2–3 digits, subscriber 7–8 digits not starting
#             with 0 or 1, which belong to area codes and service numbers)
# Spaces, brackets around the area code and several numbers in one cell are
# refused, so a number dials as written and searches find it.
MOBILE_PATTERN = re.compile(r"(?:\+86[ -]?)?1[3-9]\d{9}")
LANDLINE_PATTERN = re.compile(r"0\d{2,3}-?[2-9]\d{6,7}(?:-\d{1,6})?")


def phone_error(value: str) -> str | None:
    """The reason `value` is not a phone number we accept, or None."""
    if MOBILE_PATTERN.fullmatch(value) or LANDLINE_PATTERN.fullmatch(value):
        return None
    return _(
        "“%(v)s” is not a phone number: write a mobile number (11 digits, e.g. 13812345678) "
        "or a landline with its area code (e.g. 0571-88888888)."
    ) % {"v": value}


_email_validator = EmailValidator()


def email_error(value: str) -> str | None:
    """The reason `value` is not an e-mail address (Django's own check), or None."""
    try:
        _email_validator(value)
    except ValidationError:
        return _("“%(v)s” is not an e-mail address.") % {"v": value}
    return None


# Characters no database column can hold: NUL (PostgreSQL refuses it in text
# and JSON) and a surrogate code point that pairs with nothing (it has no
# UTF-8 form). JSON can carry both ("\u0000", "\ud800").
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_error(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if isinstance(value, str) and _UNSTORABLE.search(value):
        return _("contains a character that cannot be stored (a NUL byte or an unpaired surrogate)")
    return None


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length rule, its refusal in the project's catalogue: Django
    5's wording of it has no Chinese in Django's own."""

    def get_error_message(self):
        return ngettext(
            "This password is too short: it needs at least %(n)d character.",
            "This password is too short: it needs at least %(n)d characters.",
            self.min_length,
        ) % {"n": self.min_length}
