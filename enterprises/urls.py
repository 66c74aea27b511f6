from django.urls import path

from . import views

urlpatterns = [
    path("", views.enterprise_list, name="enterprise-list"),
    path("<int:pk>/", views.enterprise_detail, name="enterprise-detail"),
    path("ours/", views.our_enterprises, name="our-enterprises"),
    path("plan/", views.help_plan, name="help-plan"),
    path("plan/<int:pk>/file/", views.help_plan_file, name="plan-file"),
]
