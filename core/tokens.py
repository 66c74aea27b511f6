"""API tokens that expire and die with a password change. Kept apart from
core.api: DRF imports authentication classes while its own views module is
still loading."""

import datetime

from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ExpiringTokenAuthentication(TokenAuthentication):
    """API tokens that expire (ZOUFANG_TOKEN_HOURS after they were issued) and
    die when the password changes; a deactivated account's token is refused
    by DRF already. The token endpoint issues a fresh one."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_is_stale(token, user):
            raise exceptions.AuthenticationFailed(
                _("This token has expired or the password changed; ask for a new one.")
            )
        return user, token


def token_is_stale(token, user) -> bool:
    from django.conf import settings
    from django.utils import timezone

    if token.created < timezone.now() - datetime.timedelta(hours=settings.ZOUFANG_TOKEN_HOURS):
        return True
    changed = getattr(user, "credentials_changed_at", None)
    return changed is not None and token.created < changed
