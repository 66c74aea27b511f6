"""Sign-in lockout (django-axes): too many failed sign-ins for one user name
from one address lock it out for a while, on the sign-in page and on the
token endpoint alike."""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.response import Response

from core import audit
from core.throttles import SignInRateThrottle
from core.tokens import token_is_stale


def locked_out(request, original_response=None, credentials=None):
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm
    from django.shortcuts import render

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if request.path.startswith("/api/"):
        detail = _("Too many failed sign-ins: try again in %(n)d minutes.") % {"n": minutes}
        return JsonResponse({"code": "locked_out", "detail": detail}, status=429)
    context = {"form": AuthenticationForm(request), "locked_out": True, "minutes": minutes}
    return render(request, "registration/login.html", context, status=429)


class TokenView(ObtainAuthToken):
    """POST user name and password, get a token; locked out like the sign-in
    page after repeated failures (the lockout needs Django's own request).
    Per address, too many attempts in a minute answer 429 whatever the user
    names (the lockout counts per user name, so spraying many names passes it)."""

    throttle_classes = [SignInRateThrottle]

    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.context["request"] = request._request
        if not serializer.is_valid():
            if getattr(request._request, "axes_locked_out", False):
                return locked_out(request._request)
            raise exceptions.ValidationError(serializer.errors)
        user = serializer.validated_data["user"]
        audit.record_sign_in(request._request, user, via="api")
        token, _created = Token.objects.get_or_create(user=user)
        if token_is_stale(token, user):
            token.delete()
            token = Token.objects.create(user=user)
        return Response({"token": token.key})
