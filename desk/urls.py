from django.urls import path

from enterprises import views as enterprise_views

from . import views

urlpatterns = [
    path("", views.my_work, name="my-work"),
    path("accounts/preferences/", enterprise_views.preferences, name="preferences"),
    path("enterprises/", views.enterprise_list, name="enterprise-list"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise-detail"),
    path("enterprises/<int:pk>/profile/", views.enterprise_profile, name="enterprise-profile"),
    path("enterprises/ours/", views.our_enterprises, name="our-enterprises"),
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/person-times/", views.participation_list, name="visit-participations"),
    path("visits/new/", views.visit_create, name="visit-create"),
    path("visits/export.xlsx", views.visit_export, name="visit-export"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/correct/", views.visit_correct, name="visit-correct"),
    path("visits/<int:pk>/withdraw/", views.visit_withdraw, name="visit-withdraw"),
]
