from django.urls import path

from . import ladder_views, meeting_views
from . import supervise_views as views

urlpatterns = [
    path("dispatch/", views.dispatch, name="dispatch"),
    path("dispatch/bulk/", views.dispatch_bulk, name="dispatch-bulk"),
    path("dispatch/<int:pk>/", views.dispatch_row, name="dispatch-row"),
    path("dispatch/<int:pk>/merge/", views.dispatch_merge, name="dispatch-merge"),
    path("verification/", views.verification, name="verification"),
    path("extensions/", views.extensions, name="extensions"),
    path("escalations/", views.escalations, name="escalations"),
    path("common/new/", views.common_new, name="common-new"),
    path("common/radar/", views.radar_now, name="radar-now"),
    path("common/<int:pk>/<slug:action>/", views.common_act, name="common-act"),
    path("meetings/", meeting_views.meeting_list, name="meeting-list"),
    path("meetings/<int:pk>/", meeting_views.meeting_detail, name="meeting-detail"),
    path("meetings/<int:pk>/edit/", meeting_views.meeting_edit, name="meeting-edit"),
    path("meetings/<int:pk>/add/", meeting_views.meeting_add, name="meeting-add"),
    path("meetings/agenda/", meeting_views.meeting_add, name="meeting-add-chosen"),
    path("meetings/<int:pk>/items/<int:item>/decide/", meeting_views.meeting_decide, name="meeting-decide"),
    path("meetings/<int:pk>/items/<int:item>/remove/", meeting_views.meeting_remove, name="meeting-remove"),
    path("meetings/<int:pk>/cancel/", meeting_views.meeting_cancel, name="meeting-cancel"),
    path("meetings/<int:pk>/issue/", meeting_views.meeting_issue, name="meeting-issue"),
    path("meetings/<int:pk>/minutes/", meeting_views.meeting_minutes, name="meeting-minutes"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("scores/<int:pk>/", views.unit_score, name="unit-score"),
    path("bulletins/", views.bulletin_list, name="bulletin-list"),
    path("bulletins/<int:pk>/", views.bulletin_detail, name="bulletin-detail"),
    path("bulletins/<int:pk>/xlsx/", views.bulletin_file, name="bulletin-file"),
    path("bulletins/<int:pk>/regenerate/", views.bulletin_regenerate, name="bulletin-regenerate"),
    path("notices/", ladder_views.notice_list, name="notice-list"),
]
