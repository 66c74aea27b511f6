import os

from celery import Celery

# Served or run without a stated settings module means production (which has no
# secret defaults and refuses to start without its environment), never the
# development settings with DEBUG on and a known key. `make run` states local.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("zoufang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
