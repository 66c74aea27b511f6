from django.urls import path

from . import manage_views as views

urlpatterns = [
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/template/<str:kind>.xlsx", views.import_template, name="import-template"),
    path("export/<str:kind>.xlsx", views.export, name="master-export"),
]
