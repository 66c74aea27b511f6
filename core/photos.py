"""When and where a photo was taken, as the camera wrote it (EXIF): the time
it was taken and, when the phone gave it, the place. Read with Pillow from
the file's header alone (the image is not decoded); a photo without EXIF, or
with EXIF that does not parse, simply has neither."""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

logger = logging.getLogger(__name__)

EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATE_TIME_ORIGINAL, DATE_TIME = 36867, 306  # in the Exif IFD; in IFD0
GPS_LAT_REF, GPS_LAT, GPS_LON_REF, GPS_LON = 1, 2, 3, 4


@dataclass(frozen=True)
class Taken:
    at: datetime.datetime | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None


def _time(text) -> datetime.datetime | None:
    """EXIF's "YYYY:MM:DD HH:MM:SS", local to the camera: read in the site's
    time zone (a county's phones are in it)."""
    try:
        naive = datetime.datetime.strptime(str(text).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    return timezone.make_aware(naive)


def _degrees(value, ref, limit: int) -> Decimal | None:
    """Degrees, minutes and seconds to signed decimal degrees (6 places, ~0.1 m)."""
    try:
        d, m, s = (float(part) for part in value)
    except (TypeError, ValueError):
        return None
    degrees = d + m / 60 + s / 3600
    if str(ref).upper().startswith(("S", "W")):
        degrees = -degrees
    if not -limit <= degrees <= limit or degrees == 0:
        return None
    return Decimal(f"{degrees:.6f}")


def taken(uploaded) -> Taken:
    """The photo's time and place; the file is left at its start."""
    from PIL import Image, UnidentifiedImageError

    try:
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            exif = image.getexif()
            at = _time(exif.get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME) or "")
            gps = exif.get_ifd(GPS_IFD)
            latitude = _degrees(gps.get(GPS_LAT), gps.get(GPS_LAT_REF, "N"), 90)
            longitude = _degrees(gps.get(GPS_LON), gps.get(GPS_LON_REF, "E"), 180)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as error:
        # DecompressionBombError: a header claiming more pixels than Pillow opens (a 200 MP photo, or a
        # crafted one); the file is still judged and stored by core.uploads, it just says no time or place.
        logger.info("no EXIF read from %s: %s", getattr(uploaded, "name", "?"), error)
        return Taken()
    finally:
        uploaded.seek(0)
    if latitude is None or longitude is None:
        latitude = longitude = None
    return Taken(at=at, latitude=latitude, longitude=longitude)
