import os

from celery import Celery
from celery.signals import beat_init

# Served or run without a stated settings module means production (which has no
# secret defaults and refuses to start without its environment), never the
# development settings with DEBUG on and a known key. `make run` states local.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("zoufang")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def heartbeat_at_start(sender, **kwargs):
    """Beat's first heartbeat goes out as it starts, not a minute later, so
    /health/ turns healthy as soon as beat and a worker are up."""
    sender.app.send_task("core.tasks.heartbeat", expires=60)
