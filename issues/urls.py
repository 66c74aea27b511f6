from django.urls import path

from . import views

urlpatterns = [
    path("", views.issue_list, name="issue-list"),
    path("export.xlsx", views.issue_export, name="issue-export"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.inbox_read, name="inbox-read"),
    path("evidence/<int:pk>/", views.evidence_download, name="issue-evidence"),
    path("<int:pk>/", views.issue_detail, name="issue-detail"),
    path("<int:pk>/<str:action>/", views.issue_action, name="issue-action"),
]
