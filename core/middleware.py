from django.conf import settings
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
