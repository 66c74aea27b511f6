"""Production: every secret and host comes from the environment."""

import os

from .base import *  # noqa: F403
from .base import MEDIA_STORAGE, MIDDLEWARE, env_bool, env_list

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
# Cookies travel over HTTPS only (the session, CSRF and language cookies).
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The reverse proxy terminates TLS and says so in X-Forwarded-Proto (it must
# overwrite the header a client sends). A request that reached gunicorn over
# plain HTTP is redirected to HTTPS, except the health check, which the proxy
# and monitors call directly; DJANGO_SECURE_SSL_REDIRECT=false when the proxy
# redirects itself.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# Browsers keep to HTTPS once they have seen it (the proxy terminates TLS).
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", False)
# Deliberately off, so `check --deploy` is told: an intranet host shares its
# parent domain with other departments' plain-HTTP services, which
# includeSubDomains would lock out (opt in with the variable above), and an
# intranet name can never be on the browsers' HSTS preload list.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    SILENCED_SYSTEM_CHECKS.append("security.W005")
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "zoufang@localhost")
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# WhiteNoise serves the collected static files (no CDN, no separate web server).
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]

# --- Behind the reverse proxy (deploy/nginx.conf.template: make stack, docker-compose.yml) ---
# nginx terminates TLS (SECURE_PROXY_SSL_HEADER above) and passes the client's
# address in X-Forwarded-For; requests from these addresses get it as
# REMOTE_ADDR (core.proxy). gunicorn listens on loopback or the compose network only.
ZOUFANG_TRUSTED_PROXIES = env_list("ZOUFANG_TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
MIDDLEWARE = ["core.proxy.ForwardedClientMiddleware", *MIDDLEWARE]
