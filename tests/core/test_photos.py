"""core.photos: a photo's time and place from its EXIF, and nothing from a
photo without one or with one that does not parse."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from core import photos

from .. import samples
from ..samples import upload


def test_the_time_and_place_a_phone_wrote_are_read():
    shot = photos.taken(upload("现场.jpg", samples.photo()))
    assert shot.at == timezone.make_aware(datetime.datetime(2026, 5, 29, 10, 21))
    # 31°13′49.4″N 121°28′25.3″E
    assert (shot.latitude, shot.longitude) == (Decimal("31.230389"), Decimal("121.473694"))


def test_south_and_west_are_negative():
    data = samples.photo().replace(b"N\x00", b"S\x00").replace(b"E\x00", b"W\x00")
    shot = photos.taken(upload("现场.jpg", data))
    assert shot.latitude < 0 and shot.longitude < 0


@pytest.mark.parametrize(
    "content",
    [
        samples.photo(taken=None, gps=None),  # a photo with no EXIF
        samples.PNG,  # a header and nothing more
        samples.photo(taken="not a date", gps=((0, 0, 0), (0, 0, 0))),  # null island is no place
    ],
)
def test_a_photo_without_readable_exif_has_neither(content):
    assert photos.taken(upload("现场.jpg", content)) == photos.Taken()


def test_a_place_without_a_time_is_kept_and_the_file_is_rewound():
    uploaded = upload("现场.jpg", samples.photo(taken=None))
    shot = photos.taken(uploaded)
    assert shot.at is None and shot.latitude is not None
    assert uploaded.read(2) == b"\xff\xd8"


def test_a_photo_claiming_too_many_pixels_has_neither_and_raises_nothing(monkeypatch):
    """Pillow refuses to open an image past its pixel limit (a 200-megapixel
    phone photo, or a crafted header): the visit is saved all the same."""
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10)  # the 16×16 sample is past it twice over
    assert photos.taken(upload("现场.jpg", samples.photo())) == photos.Taken()
