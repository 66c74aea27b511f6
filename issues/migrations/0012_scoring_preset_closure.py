# The preset rule brought to the closure loop: the return call (回访), the
# first answer on time and the 督办 ladder's two rungs count in a unit's
# score. Only a rule that is still the preset as 0010 put it (by its name
# and its old points) is changed; a rule a county has edited is left alone.

from importlib import import_module

from django.db import migrations

OLD = {
    key: import_module("issues.migrations.0010_scoring_rule").PRESET[key]
    for key in ("name", "source", "weights", "per_item")
}

# The same values as issues.scoring.PRESET (copied, as a migration must not
# change with the code; a test keeps them equal).
NEW = {
    "source": (
        "走访的默认设置，各项分值为走访自定，请按本地细则修改。未找到逐项给出签收、办结、回访、满意等分值的县级公开细则，"
        "参照以下公开做法：\n"
        "1. 榆林市12345热线月度综合考评“红黑榜”：评分指标为工单量、满意度、及时接收率、回退率、重办率、按时办结率；"
        "红榜分别取县市区、市直部门得分前五名，相同分数排名不分先后。"
        "https://m.yybnet.net/yulin/news/202201/11719082.html\n"
        "2. 蚌埠市市长热线电话工作考核办法（试行）（蚌政办〔2011〕118号）：百分制，优秀90分以上、良好80–89分、"
        "合格60–79分、不合格59分以下。http://www.fymate.com/html/text/lar/174199/17419926.html\n"
        "3. 鲁山县政府热线办理工作考核办法（试行）（鲁政办〔2017〕26号）：百分制，其中转交办理40分、催办督办22分；"
        "当年无承办件的单位不作为考核对象。https://www.hnls.gov.cn/contents/33124/269609.html\n"
        "4. 连云港市12345在线平台绩效评估标准（试行）：县区、区、市直部门分开考评，及时签收率、按时办结率、"
        "回访满意率分项计分。http://www.lyg.gov.cn/zglygzfmhwz/fktj/content/f7176698-8c1e-4122-a0f0-74dd65af7f19.html\n"
        "闭环管理的考核项：办结件逐件回访，回访率与满意率并列计分；首次答复在时限内；"
        "督办单、通报批评计入承办单位考核，按被督办、被通报的问题逐件扣分（参照第3条以催办督办计分）。"
    ),
    "weights": {
        "on_time_sign_for_rate": 10,
        "on_time_rate": 20,
        "closure_rate": 10,
        "satisfaction_rate": 20,
        "follow_up_rate": 10,
        "answer_on_time_rate": 5,
        "return_rate": 5,
        "rework_rate": 5,
        "overdue": 5,
        "ever_supervised": 5,
        "ever_criticised": 5,
    },
    "per_item": {"overdue": 1, "ever_supervised": 1, "ever_criticised": 2.5},
}


def _bring(apps, old, new):
    ScoringRule = apps.get_model("issues", "ScoringRule")
    for rule in ScoringRule.objects.filter(name=old["name"]):
        if rule.weights != old["weights"] or rule.per_item != old["per_item"]:
            continue  # edited: the county's own points stay
        rule.weights, rule.per_item = new["weights"], new["per_item"]
        fields = ["weights", "per_item"]
        if rule.source == old["source"]:  # a source the county wrote stays too
            rule.source = new["source"]
            fields.append("source")
        rule.save(update_fields=fields)


def forwards(apps, schema_editor):
    _bring(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _bring(apps, {**NEW, "name": OLD["name"]}, OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0011_supervise_ladder"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
