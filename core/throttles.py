"""API throttles (Django REST framework's, counted in the Django cache): a
burst rate and a sustained rate per signed-in user (per address before
sign-in), and a rate per address on the token endpoint. Rates are settings
(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], from ZOUFANG_API_*_RATE); an
empty rate turns a throttle off. A throttled request answers 429 in the
API's error shape, code "throttled", with Retry-After."""

import logging

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


class _Throttle:
    def get_rate(self):
        # Read when the throttle is made, not when DRF's module was imported,
        # so a changed setting (an override in a test) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        # The counters live in Redis in production. A Redis outage must not
        # turn every API call into a 500: the throttle lets requests through
        # until Redis is back (the health check reports the outage).
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            logger.warning("API throttle %s skipped: the cache is unreachable", self.scope, exc_info=True)
            return True


class BurstRateThrottle(_Throttle, throttling.UserRateThrottle):
    scope = "burst"


class SustainedRateThrottle(_Throttle, throttling.UserRateThrottle):
    scope = "sustained"


class SignInRateThrottle(_Throttle, throttling.AnonRateThrottle):
    scope = "sign_in"
