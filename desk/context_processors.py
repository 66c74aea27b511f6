from enterprises.scope import scope_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from issues.models import Digest

    scope = scope_of(user)
    return {
        "nav_scope": scope,
        "nav_is_admin": scope.everything,
        "nav_is_supervisor": scope.is_supervisor,
        "nav_unread": Digest.objects.filter(recipient=user, read_at__isnull=True).count,
    }
