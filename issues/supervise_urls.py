from django.urls import path

from . import supervise_views as views

urlpatterns = [
    path("dispatch/", views.dispatch, name="dispatch"),
    path("dispatch/bulk/", views.dispatch_bulk, name="dispatch-bulk"),
    path("verification/", views.verification, name="verification"),
    path("extensions/", views.extensions, name="extensions"),
    path("escalations/", views.escalations, name="escalations"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
