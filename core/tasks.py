from celery import shared_task


@shared_task
def ping(value: str = "pong") -> dict:
    """A round trip through the broker and the result backend."""
    import socket

    return {"echo": value, "worker": socket.gethostname()}


@shared_task
def relay_outbox() -> dict:
    """Beat's minute: hand over what the outbox still holds (the broker was
    away, or a message waited for its time), and forget old sent rows."""
    from . import outbox

    return {"handed": outbox.relay(), "pruned": outbox.prune()}


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Beat sends this every ZOUFANG_HEARTBEAT_SECONDS; the stamp it leaves is
    what the health check's beat check reads (core.health)."""
    from core.health import record_heartbeat

    record_heartbeat()
