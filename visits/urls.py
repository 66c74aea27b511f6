from django.urls import path

from . import views

urlpatterns = [
    path("", views.visit_list, name="visit-list"),
    path("person-times/", views.participation_list, name="visit-participations"),
    path("new/", views.visit_create, name="visit-create"),
    path("export.xlsx", views.visit_export, name="visit-export"),
    path("participants/", views.participant_search, name="participant-search"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("<int:pk>/", views.visit_detail, name="visit-detail"),
]
