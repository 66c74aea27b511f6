"""Page helpers every app shares."""

from django.http import Http404

from core.api import restricted


def get_restricted_or_404(queryset, **lookup):
    """One row of a queryset restricted to the user's scope, or a 404: a
    guessed id outside the scope looks exactly like one that does not exist.
    A queryset that was not restricted is refused (see core.api.restricted)."""
    try:
        return restricted(queryset).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None
