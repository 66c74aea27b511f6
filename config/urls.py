from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
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
