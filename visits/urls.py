from django.urls import path

from . import views

# The visit list, page, export and form are the desk's (they show the issues raised).
urlpatterns = [
    path("participants/", views.participant_search, name="participant-search"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
]
