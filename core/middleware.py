import time
from contextlib import ExitStack

from django.conf import settings
from django.contrib.auth import logout
from django.db import connections
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages speak Simplified Chinese unless the user picked English with the
    language switch (a cookie), whatever the browser's Accept-Language says:
    many office machines are set up in English. API clients still negotiate
    with Accept-Language."""

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            try:
                language = translation.get_supported_language_variant(chosen)
            except LookupError:
                pass  # a stale or forged cookie: keep the default
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class SessionLifetimeMiddleware:
    """A signed-in session ends after ZOUFANG_SESSION_IDLE_MINUTES without a
    request, and after ZOUFANG_SESSION_MAX_HOURS whatever happens (a shared
    office machine left signed in). The last-seen stamp is written at most
    once a minute, not on every request. Token-authenticated API calls have
    no session and are not concerned."""

    TOUCH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            started, seen = session.get("zf_started"), session.get("zf_seen")
            idle = settings.ZOUFANG_SESSION_IDLE_MINUTES * 60
            longest = settings.ZOUFANG_SESSION_MAX_HOURS * 3600
            if started is not None and (now - started > longest or (seen is not None and now - seen > idle)):
                logout(request)  # the request goes on signed out: pages send it to sign in
            else:
                if started is None:
                    session["zf_started"] = now
                if seen is None or now - seen > self.TOUCH_SECONDS:
                    session["zf_seen"] = now
        return self.get_response(request)


class AuditContextMiddleware:
    """Entries of the audit trail written while a request is served carry its
    user (read when the entry is written, so a token-authenticated API call
    counts) and its address (core.audit)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from core import audit

        with audit.request_context(request):
            return self.get_response(request)


class QueryCountHeaderMiddleware:
    """Says in an X-Query-Count header how many SQL statements answering the
    request took, on every database, with DEBUG off: the benchmark suite
    (`make bench`) reads it from the production server. Installed only when
    ZOUFANG_QUERY_COUNT_HEADER=1 (config/settings/base.py), outermost, so
    the session and the user are counted too. A streamed answer runs most of
    its queries after its headers are sent, so it gets no header rather than
    a wrong one."""

    HEADER = "X-Query-Count"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with ExitStack() as stack:
            for connection in connections.all(initialized_only=False):
                stack.enter_context(connection.execute_wrapper(counter))
            response = self.get_response(request)
        if not response.streaming:
            response[self.HEADER] = str(count[0])
        return response
