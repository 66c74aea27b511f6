"""The query-count header the benchmark suite reads from a production server
(core.middleware.QueryCountHeaderMiddleware): the statements the whole
request ran, none for a streamed answer, absent unless switched on."""

from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.middleware import QueryCountHeaderMiddleware

HEADER = "X-Query-Count"


def _three_queries(request):
    with connection.cursor() as cursor:
        for _ in range(3):
            cursor.execute("SELECT 1")
    return HttpResponse("ok")


def test_the_header_counts_the_statements_the_request_ran(db):
    response = QueryCountHeaderMiddleware(_three_queries)(RequestFactory().get("/"))
    assert response[HEADER] == "3"
    # A second request counts from nothing again.
    assert QueryCountHeaderMiddleware(lambda request: HttpResponse())(RequestFactory().get("/"))[HEADER] == "0"


def test_a_streamed_answer_gets_no_header(db):
    def stream(request):
        return StreamingHttpResponse(iter([b"a", b"b"]))

    assert HEADER not in QueryCountHeaderMiddleware(stream)(RequestFactory().get("/"))


def test_outermost_it_counts_every_query_of_a_page_and_is_off_by_default(client, world, settings):
    client.force_login(world.official_a)
    assert HEADER not in client.get(reverse("my-work"))
    settings.MIDDLEWARE = ["core.middleware.QueryCountHeaderMiddleware", *settings.MIDDLEWARE]
    client = Client()  # a client reads the middleware on its first request
    client.force_login(world.official_a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("my-work"))
    assert response.status_code == 200
    # The session, the user and the page: everything, as the test client saw it.
    assert int(response[HEADER]) == len(captured.captured_queries) > 3
