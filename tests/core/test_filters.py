"""core.filters: the labels a filter form shows follow each request's language."""

from django.utils import translation
from drf_spectacular.generators import SchemaGenerator

from enterprises.filters import OfficialFilter


def test_a_label_made_from_the_model_field_is_translated_per_request(db):
    # The API schema reads the filters' labels, here first and in English;
    # before the labels were lazy, every Chinese page after it said "Role"
    # and "Rank" until the server restarted.
    with translation.override("en"):
        SchemaGenerator().get_schema(request=None, public=True)
        assert [str(OfficialFilter().form.fields[name].label) for name in ("role", "rank")] == ["Role", "Rank"]
    with translation.override("zh-hans"):
        form = OfficialFilter().form
        assert [str(form.fields[name].label) for name in ("role", "rank", "unit")] == ["角色", "职级", "单位"]
