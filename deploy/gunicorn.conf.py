"""gunicorn's settings, one home for `make stack` (deploy/stack/supervisord.conf)
and docker-compose.yml; each passes its own --bind."""

import os

# Sync workers: two suit two cores. nginx buffers whole requests and answers,
# so a slow client never holds a worker.
workers = int(os.environ.get("ZOUFANG_WEB_WORKERS", "2"))
worker_class = "sync"
# A request still running after a minute is killed (nginx waits 90 s).
timeout = 60
graceful_timeout = 30
# Recycle workers now and then, so a slow leak never grows.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# No control socket under ~/.gunicorn: supervisord or compose manage the process.
control_socket_disable = True
