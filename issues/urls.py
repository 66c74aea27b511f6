from django.urls import path

from . import ladder_views, views

urlpatterns = [
    path("", views.issue_list, name="issue-list"),
    path("export.xlsx", views.issue_export, name="issue-export"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox-read"),
    path("evidence/<int:pk>/", views.evidence_download, name="issue-evidence"),
    path("notices/<int:pk>/", ladder_views.notice_detail, name="notice-detail"),
    path("<int:pk>/", views.issue_detail, name="issue-detail"),
    path("<int:pk>/<str:action>/", views.issue_action, name="issue-action"),
]
