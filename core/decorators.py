from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def role_required(allowed):
    """A page for signed-in users that `allowed(user)` accepts; 403 for
    the others (the scope of what they then see is the selectors' job)."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


admin_required = role_required(lambda user: user.is_admin)
supervisor_required = role_required(lambda user: user.is_admin or user.is_supervisor)
