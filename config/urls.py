from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated

from core.health import HealthView

# The Django admin under the product's name (its own default is "Django 管理").
admin.site.site_header = gettext_lazy("Zoufang administration")
admin.site.site_title = gettext_lazy("Zoufang administration")
admin.site.index_title = gettext_lazy("Data and settings")

urlpatterns = [
    path("admin/", admin.site.urls),
    # For the reverse proxy and monitoring: names each check and says ok or not (core.health).
    path("health/", HealthView.as_view(), name="health"),
    # Browsers ask for /favicon.ico on pages without the icon link (the admin's).
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static("favicon.ico"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    # The schema and the docs are for signed-in users only (they map every endpoint).
    path("api/schema/", SpectacularAPIView.as_view(permission_classes=[IsAuthenticated]), name="api-schema"),
    # The split view serves the page's start-up script from its own URL, so no script is inline (CSP).
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")),
        name="api-docs",
    ),
    path("", include("desk.urls")),
    path("enterprises/", include("enterprises.urls")),
    path("manage/", include("enterprises.manage_urls")),
    path("visits/", include("visits.urls")),
    path("issues/", include("issues.urls")),
    path("supervise/", include("issues.supervise_urls")),
    path("", include("core.urls")),
]

handler404 = "core.api.not_found"
handler500 = "core.api.server_error"
