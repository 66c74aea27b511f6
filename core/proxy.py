"""Behind the reverse proxy every request arrives from the proxy's address.
nginx (deploy/nginx.conf.template) puts the address it saw in
X-Forwarded-For; a request that came from a trusted proxy gets that address
as REMOTE_ADDR, so the sign-in lockout, throttling and logs see the client
and not the proxy (every client shared one lockout counter before)."""

import ipaddress

from django.conf import settings


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class ForwardedClientMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.trusted = [ipaddress.ip_network(net, strict=False) for net in settings.ZOUFANG_TRUSTED_PROXIES]

    def __call__(self, request):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        peer = _address(request.META.get("REMOTE_ADDR", ""))
        if forwarded and peer is not None and any(peer in net for net in self.trusted):
            # The last entry is the one the proxy wrote; earlier ones are the client's word.
            client = _address(forwarded.rsplit(",", 1)[-1])
            if client is not None:
                request.META["REMOTE_ADDR"] = str(client)
        return self.get_response(request)
