from celery import shared_task


@shared_task
def ping(value: str = "pong") -> dict:
    """A round trip through the broker and the result backend."""
    import socket

    return {"echo": value, "worker": socket.gethostname()}
