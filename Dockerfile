# The production images (docker-compose.yml builds both):
#   app    web (gunicorn), the Celery worker and beat;
#   proxy  nginx with the collected static files and deploy/nginx.conf.template,
#          the same site `make stack` serves natively.

FROM python:3.11-slim-bookworm AS app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app
# pg_dump and pg_restore for manage.py backup and restore (the server's version).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput -v0
RUN useradd --system --home /app zoufang && mkdir -p /app/var && chown -R zoufang /app/var
USER zoufang
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "config.wsgi:application"]

FROM debian:bookworm-slim AS proxy
# Debian's nginx, as `make stack` uses; envsubst (gettext-base) renders the
# site; curl answers the health check.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nginx gettext-base curl \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default \
    && ln -sf /dev/stdout /var/log/nginx/access.log \
    && ln -sf /dev/stderr /var/log/nginx/error.log
COPY deploy/nginx.conf.template deploy/render.sh /etc/zoufang/
COPY --from=app /app/staticfiles /srv/zoufang/static
ENV ZOUFANG_LISTEN=443 ZOUFANG_UPSTREAM=web:8000 ZOUFANG_STATIC_ROOT=/srv/zoufang/static \
    ZOUFANG_TLS_DIR=/etc/zoufang/tls ZOUFANG_MAX_BODY=210m
# ZOUFANG_MAX_BODY matches the app's default ZOUFANG_REQUEST_MAX_BYTES (20 files
# of 10 MB and the form); set both together in .env to change it.
EXPOSE 443
CMD ["sh", "-c", "/etc/zoufang/render.sh /etc/zoufang/nginx.conf.template >/etc/nginx/conf.d/zoufang.conf && exec nginx -g 'daemon off;'"]

# `docker build .` without a target gives the app image.
FROM app
