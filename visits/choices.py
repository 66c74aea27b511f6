from django.db import models
from django.utils.translation import gettext_lazy as _


class VisitForm(models.TextChoices):
    ONSITE = "onsite", _("On-site visit")
    FORUM = "forum", _("Forum")
    OFFICE = "office", _("On-site office")
    REMOTE = "remote", _("Phone / video")


class VisitPurpose(models.TextChoices):
    SITUATION = "situation", _("Learn the situation")
    PROJECTS = "projects", _("Push projects")
    TRANSFORMATION = "transformation", _("Promote transformation")
    POLICY = "policy", _("Policy briefing")
    RETURN_VISIT = "return_visit", _("Return visit")
