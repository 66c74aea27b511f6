from django.urls import path

from . import ladder_views
from . import supervise_views as views

urlpatterns = [
    path("dispatch/", views.dispatch, name="dispatch"),
    path("dispatch/bulk/", views.dispatch_bulk, name="dispatch-bulk"),
    path("dispatch/<int:pk>/", views.dispatch_row, name="dispatch-row"),
    path("verification/", views.verification, name="verification"),
    path("extensions/", views.extensions, name="extensions"),
    path("escalations/", views.escalations, name="escalations"),
    path("common/new/", views.common_new, name="common-new"),
    path("common/radar/", views.radar_now, name="radar-now"),
    path("common/<int:pk>/<slug:action>/", views.common_act, name="common-act"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("scores/<int:pk>/", views.unit_score, name="unit-score"),
    path("bulletins/", views.bulletin_list, name="bulletin-list"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin-detail"),
    path("bulletins/<int:pk>/xlsx/", views.bulletin_file, name="bulletin-file"),
    path("bulletins/<int:pk>/regenerate/", views.bulletin_regenerate, name="bulletin-regenerate"),
    path("notices/", ladder_views.notice_list, name="notice-list"),
]
