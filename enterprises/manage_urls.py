from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/<int:pk>/changes.xlsx", views.import_changes, name="import-changes"),
    path("imports/template/<str:kind>.xlsx", views.import_template, name="import-template"),
    path("export/<str:kind>.xlsx", views.export, name="master-export"),
]
urlpatterns += [
    path("board/", views.board, name="board"),
    path("board/<int:campaign_id>/<int:enterprise_id>/<str:op>/", views.board_change, name="board-change"),
]
urlpatterns += [
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/<int:pk>/", views.campaign_list, name="campaign-edit"),
    path("plans/", views.plan_status, name="plan-status"),
    path("officials/", views.official_list, name="official-list"),
    path("officials/new/", views.official_edit, name="official-create"),
    path("officials/<int:pk>/", views.official_edit, name="official-edit"),
]
urlpatterns += [
    path("audit/", views.audit_list, name="audit-list"),
]
