"""Errors that services raise. Each carries a machine-readable code and a
human message; interfaces (API, pages, commands) map them to their own form."""


class ServiceError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.field = field


class InvalidInput(ServiceError):
    """The payload is malformed or breaks a rule (400)."""

    status = 400


class NotPermitted(ServiceError):
    """The actor may not do this (403)."""

    status = 403


class NotFound(ServiceError):
    """The object does not exist or lies outside the actor's scope (404)."""

    status = 404


class Conflict(ServiceError):
    """Illegal in the current state, or another actor got there first (409)."""

    status = 409
