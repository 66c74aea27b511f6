"""The radar's words for the ledger's common problems: each concept with the
ways officials write it. An issue that uses any of a concept's words carries
the concept, and two issues that carry the same concepts read as one problem
even when they share few characters (招工难 and 普工招不到人, 电费太贵 and
峰谷电价调整后成本上升). Concepts that look alike but are other problems are
kept apart (电价 and 停电 and 增容; 抽贷 and 过桥 and 贴息; 普工 and 技工 and
高层次人才), because a wrong proposal costs a supervisor's trust.

A word is matched as written inside the issue's title, description and
request; the longest words are tried first, and a character is read by one
word only, so 电价补贴 is the subsidy and not also the price. Add words here
as new ways of writing a problem turn up (the benchmark shows what a change
does to precision and recall)."""

CONCEPTS: dict[str, tuple[str, ...]] = {
    # Power, gas, water, sewage, signal, roads, transport
    "power_price": ("电价", "电费", "用电成本", "峰谷", "峰时", "谷时", "分时电价", "市场化交易", "直购电", "煤改电"),
    "power_outage": ("停电", "断电", "跳闸", "供电不稳", "电压不稳", "线路老化", "供电可靠"),
    "power_capacity": ("增容", "扩容", "变压器容量", "用电容量", "专线", "报装容量", "电力容量"),
    "gas_supply": ("限气", "停气", "天然气供应", "供气", "气源", "燃气保供", "用气"),
    "gas_price": ("气价", "天然气价格", "燃气价格"),
    "water_supply": ("水压", "供水", "管径", "用水量不够", "停水"),
    "water_price": ("水价", "水费"),
    "sewage": ("污水管网", "纳管", "污水接管", "污水处理厂", "管网未接", "废水"),
    "emission_upgrade": ("提标改造", "排放标准", "超低排放", "治污设施"),
    "signal": ("信号", "宽带", "网速", "5G", "基站", "网络不通", "光纤"),
    "park_road": ("路面破损", "道路破损", "坑洼", "年久失修", "道路颠簸", "路面", "修路", "道路维修"),
    "road_planning": ("规划红线", "道路红线", "征地拆迁"),
    "street_light": ("路灯",),
    "bus": ("公交", "通勤", "班车", "上下班交通"),
    "logistics": ("物流", "冷链", "快递", "运费", "运输成本", "集散", "中转", "发货成本"),
    "truck_limit": ("限行", "通行证", "禁货", "进城受限", "货车进城"),
    "hazwaste": ("危废", "危险废物", "废油", "废液", "废显影", "废油墨", "处置渠道"),
    # Money
    "loan_cut": ("抽贷", "断贷", "压贷", "惜贷", "续贷", "压缩授信", "收紧信贷", "授信额度", "不再续", "银行收回"),
    "bridge_fund": ("过桥", "转贷", "应急周转", "周转资金", "应急资金"),
    "loan_subsidy": ("贴息",),
    "bill_discount": ("贴现", "承兑", "商票"),
    "guarantee": ("担保",),
    "export_rebate": ("出口退税", "退税", "退（免）税", "退免税"),
    "vat_credit": ("留抵",),
    "stable_post": ("稳岗", "失业保险返还", "稳岗返还"),
    "tech_award": ("技改", "技术改造", "设备更新", "智能化改造", "奖补", "补助资金", "奖励资金"),
    "policy_cash": ("兑现", "兑付", "未到账", "没到位", "未拨付", "拨付滞后", "迟迟未发", "没有发放"),
    # Land and buildings
    "land_quota": ("用地指标", "土地指标", "拿不到地", "无地可扩", "用地难", "用地报批", "缺地", "扩建用地"),
    "property_cert": ("产权证", "房产证", "不动产权", "产权登记", "办不了证", "产权手续", "办证"),
    "rent": ("租金", "房租"),
    # Approvals
    "eia": ("环评", "环境影响评价", "环境影响"),
    "discharge_permit": ("排污许可",),
    "fire": ("消防",),
    "repeat_assessment": ("能评", "安评", "节能报告", "区域评估", "重复评估", "区域能评"),
    "high_tech": ("高新技术企业", "高企", "高新认定"),
    "tax_benefit": ("税收优惠", "汇算清缴", "减免税", "加计扣除", "优惠税率"),
    # People
    "skilled_labour": ("技工", "技术工人", "熟练工", "焊工", "钳工", "数控", "技能人才", "磨工", "电工", "模具"),
    "general_labour": ("普工", "一线工人", "挡车工", "缺员", "返岗", "临时用工", "流水线工人", "用工短缺"),
    "recruiting": ("招工", "招聘", "招不到", "缺工", "用工难", "缺人", "人手不足", "招人"),
    "talent": ("高层次人才", "人才引进", "博士", "研发人才", "高端人才"),
    "school": ("入学", "上学", "子女", "学位"),
    "childcare": ("托管", "托育", "暑期", "寒暑假", "幼儿园"),
    "housing": ("人才公寓", "宿舍", "住处", "住宿", "公租房", "住房"),
    # Market and technology
    "orders": ("订单", "销路", "库存积压", "开工率", "产能闲置", "产能利用", "开工不足"),
    "raw_material": ("原材料", "原料价格", "材料涨价"),
    "testing": ("检测", "检验"),
    "vehicle_inspection": ("机动车检测", "车辆检测", "综合性能检测", "车辆年检", "年审"),
}

# Concepts that speak of the same problem from two sides: an issue with
# both reads as one thing (the word 兑现 on 稳岗 is the 稳岗 problem).
QUALIFIERS = frozenset({"policy_cash", "recruiting"})
