import os

from django.core.wsgi import get_wsgi_application

# Served or run without a stated settings module means production (which has no
# secret defaults and refuses to start without its environment), never the
# development settings with DEBUG on and a known key. `make run` states local.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()
