"""The X-Query-Count header the suite reads, as Zoufang's
core.middleware.QueryCountHeaderMiddleware gives it: the SQL statements the
whole request ran (none for a streamed answer)."""

from django.db import connection


class QueryCountHeaderMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = [0]

        def counter(execute, sql, params, many, context):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        if not response.streaming:
            response["X-Query-Count"] = str(count[0])
        return response
