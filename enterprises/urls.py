from django.urls import path

from . import views

# The enterprise list and page are the desk's (they show visits and issues).
urlpatterns = [
    path("plan/", views.help_plan, name="help-plan"),
    path("plan/<int:pk>/file/", views.help_plan_file, name="plan-file"),
]
