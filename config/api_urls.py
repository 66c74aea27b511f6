from django.urls import include, path
from rest_framework.routers import DefaultRouter

from core.signin import TokenView
from desk import api as desk_api
from enterprises import api as enterprises_api
from issues import api as issues_api

router = DefaultRouter()
# No ".json" suffix routes: actions take no `format` argument (they answered 500), and JSON is the only format.
router.include_format_suffixes = False
router.register("regions", enterprises_api.RegionViewSet, basename="region")
router.register("units", enterprises_api.HelpUnitViewSet, basename="unit")
router.register("officials", enterprises_api.OfficialViewSet, basename="official")
router.register("enterprises", desk_api.EnterpriseViewSet, basename="enterprise")
router.register("campaigns", enterprises_api.CampaignViewSet, basename="campaign")
router.register("assignments", enterprises_api.AssignmentViewSet, basename="assignment")
router.register("visits", desk_api.VisitViewSet, basename="visit")
router.register("issues", issues_api.IssueViewSet, basename="issue")

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("stats/", issues_api.StatsView.as_view(), name="api-stats"),
    path("", include(router.urls)),
]
