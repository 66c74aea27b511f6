import pytest
from django.core.exceptions import ValidationError

from core.validators import credit_code_check_char, credit_code_error, validate_credit_code

# Codes printed on public business licences (check characters verified by hand
# against GB 32100-2015's weights).
PUBLISHED = ["91350100M000100Y43", "9144030071526726XG", "91110108551385082Q"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_validate(code):
    assert credit_code_error(code) is None
    validate_credit_code(code)


def test_worked_example_of_the_check_character():
    # 91350100M000100Y4: values 9,1,3,5,0,1,0,0,21,0,0,0,1,0,0,30,4 times the
    # weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28 sum to 1640;
    # 1640 mod 31 = 28; 31 - 28 = 3, and the alphabet's character 3 is "3".
    assert credit_code_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y4333", "18 characters"),
        ("91350100I000100Y43", "“I”"),
        ("91350100m000100Y43", "“m”"),
    ],
)
def test_bad_codes_say_why(code, fragment, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        error = credit_code_error(code)
        assert error is not None and fragment in error
        with pytest.raises(ValidationError):
            validate_credit_code(code)
