"""The client's address behind the proxy: taken from X-Forwarded-For only
when the request came from a trusted proxy."""

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from core.proxy import ForwardedClientMiddleware


@pytest.fixture
def seen(settings):
    settings.ZOUFANG_TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    addresses = []

    def view(request):
        addresses.append(request.META["REMOTE_ADDR"])
        return HttpResponse()

    middleware = ForwardedClientMiddleware(view)

    def through(peer, forwarded=None):
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        middleware(RequestFactory().get("/", REMOTE_ADDR=peer, **extra))
        return addresses[-1]

    return through


def test_a_trusted_proxy_passes_the_client_address(seen):
    assert seen("127.0.0.1", "198.51.100.7") == "198.51.100.7"
    assert seen("10.1.2.3", "2001:db8::1") == "2001:db8::1"


def test_only_the_entry_the_proxy_wrote_counts(seen):
    # A client that sends its own X-Forwarded-For cannot pick its address.
    assert seen("127.0.0.1", "203.0.113.9, 198.51.100.7") == "198.51.100.7"


def test_an_untrusted_peer_or_a_malformed_header_changes_nothing(seen):
    assert seen("198.51.100.20", "203.0.113.9") == "198.51.100.20"
    assert seen("127.0.0.1", "not-an-address") == "127.0.0.1"
    assert seen("127.0.0.1") == "127.0.0.1"
