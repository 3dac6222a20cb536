"""Rebuild the sample workbooks: `python samples/make_samples.py`.

* strong.xlsx, borderline.xlsx, weak.xlsx: the questionnaire template with column D of 问卷
  filled from the JSON sample of the same name (scores exactly like the JSON).
* agency-batch.xlsx: the template with 36 invented firms in 批量, strong to weak, from
  several provinces, districts and industries; one (row 3 + BLANK_ROW) leaves a few
  figures blank.  Then, as an agency's real sheet has them: a large firm that cannot
  apply, a firm sent twice (the second time under its new name, with corrected figures)
  and the agency's own column 推荐单位, which names no field.

The firms are made up; the generator is seeded, so a rebuild gives the same values.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from assess.intake.checks import CREDIT_CODE_CHARSET, credit_code_check_char
from assess.intake.firm import load_firm_file
from assess.intake.template import write_template

HERE = Path(__file__).resolve().parent
SEED = 20260401
BLANK_ROW = 7  # the firm (0-based) whose data has gaps

# province, admin-division code of its capital, cities
PROVINCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("山东省", "370100", ("济南市", "青岛市", "烟台市", "潍坊市", "淄博市")),
    ("四川省", "510100", ("成都市", "绵阳市", "德阳市", "宜宾市")),
    ("湖南省", "430100", ("长沙市", "株洲市", "湘潭市", "衡阳市")),
    ("江苏省", "320100", ("南京市", "苏州市", "无锡市", "常州市")),
    ("浙江省", "330100", ("杭州市", "宁波市", "温州市", "台州市")),
    ("广东省", "440100", ("广州市", "深圳市", "佛山市", "东莞市")),
    ("湖北省", "420100", ("武汉市", "襄阳市", "宜昌市")),
    ("安徽省", "340100", ("合肥市", "芜湖市", "蚌埠市")),
)

# industry, words for the name, main product, niche market
TRADES: tuple[tuple[str, str, str, str], ...] = (
    ("industry", "精密机械", "数控机床主轴单元", "高速电主轴"),
    ("industry", "新材料", "高性能聚酰亚胺薄膜", "柔性电路基膜"),
    ("industry", "传感技术", "MEMS 压力传感器", "汽车电子压力传感"),
    ("industry", "环保装备", "工业废气催化燃烧设备", "VOCs 治理设备"),
    ("industry", "生物科技", "酶制剂", "饲料用复合酶"),
    ("industry", "电子科技", "功率半导体模块", "光伏逆变器用 IGBT 模块"),
    ("industry", "医疗器械", "一次性内窥镜", "泌尿外科内窥镜"),
    ("industry", "食品", "发酵辣椒酱", "川式复合调味料"),
    ("software", "软件", "工业设备远程运维平台", "设备预测性维护软件"),
    ("software", "信息技术", "电力巡检图像识别系统", "输电线路智能巡检"),
    ("wholesale", "供应链", "工业紧固件集采服务", "紧固件 B2B 分销"),
    ("telecom", "通信", "5G 小基站", "室内覆盖小基站"),
)

SUFFIXES = ("科技有限公司", "股份有限公司", "技术有限公司", "有限公司")
PLACE_WORDS = ("华", "鑫", "恒", "瑞", "中", "新", "博", "智", "远", "诚", "宏", "达")


# Two districts of each city (区县), the first for even rows, the second for odd ones.
DISTRICTS: dict[str, tuple[str, str]] = {
    "济南市": ("历下区", "高新区"),
    "青岛市": ("黄岛区", "城阳区"),
    "烟台市": ("芝罘区", "福山区"),
    "潍坊市": ("奎文区", "寿光市"),
    "淄博市": ("张店区", "临淄区"),
    "成都市": ("武侯区", "双流区"),
    "绵阳市": ("涪城区", "游仙区"),
    "德阳市": ("旌阳区", "广汉市"),
    "宜宾市": ("翠屏区", "叙州区"),
    "长沙市": ("岳麓区", "雨花区"),
    "株洲市": ("天元区", "荷塘区"),
    "湘潭市": ("岳塘区", "雨湖区"),
    "衡阳市": ("蒸湘区", "珠晖区"),
    "南京市": ("江宁区", "鼓楼区"),
    "苏州市": ("工业园区", "昆山市"),
    "无锡市": ("新吴区", "江阴市"),
    "常州市": ("武进区", "新北区"),
    "杭州市": ("滨江区", "余杭区"),
    "宁波市": ("鄞州区", "北仑区"),
    "温州市": ("鹿城区", "瑞安市"),
    "台州市": ("椒江区", "温岭市"),
    "广州市": ("黄埔区", "番禺区"),
    "深圳市": ("南山区", "宝安区"),
    "佛山市": ("顺德区", "南海区"),
    "东莞市": ("松山湖", "长安镇"),
    "武汉市": ("东湖高新区", "江夏区"),
    "襄阳市": ("襄州区", "樊城区"),
    "宜昌市": ("西陵区", "夷陵区"),
    "合肥市": ("蜀山区", "包河区"),
    "芜湖市": ("鸠江区", "弋江区"),
    "蚌埠市": ("禹会区", "龙子湖区"),
}
RECOMMENDER = "推荐单位"  # the agency's own column: no field of the questionnaire
TWICE = 4  # the firm sent twice (0-based), the second time at the end of the sheet


def credit_code(rng: random.Random, division: str) -> str:
    body = "91" + division + "MA" + "".join(rng.choice(CREDIT_CODE_CHARSET[:31]) for _ in range(7))
    return body + credit_code_check_char(body)


def money(x: float) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def invent_firm(rng: random.Random, i: int, quality: float) -> dict[str, Any]:
    """One plausible firm; `quality` 0 (weak) .. 1 (strong) drives every indicator."""
    province, division, cities = PROVINCES[i % len(PROVINCES)]
    industry, word, product, niche = TRADES[(i * 5) % len(TRADES)]
    city = cities[(i // len(PROVINCES)) % len(cities)]
    first, second = rng.sample(PLACE_WORDS, 2)
    suffixes = SUFFIXES[1::2] if word.endswith(("科技", "技术")) else SUFFIXES
    name = city.removesuffix("市") + first + second + word + rng.choice(suffixes)
    employees = int(rng.uniform(20, 80) + quality * rng.uniform(60, 420))
    revenue = rng.uniform(800, 3000) + quality * rng.uniform(2000, 25000)
    growth = rng.uniform(-0.08, 0.05) + quality * rng.uniform(0.03, 0.35)
    growth_prev = rng.uniform(-0.05, 0.05) + quality * rng.uniform(0.0, 0.25)
    revenue_prev = revenue / (1 + growth)
    revenue_prev2 = revenue_prev / (1 + growth_prev)
    main_share = rng.uniform(0.55, 0.75) + quality * rng.uniform(0.1, 0.4)
    main_share = min(main_share, 0.99)
    rd_share = rng.uniform(0.005, 0.02) + quality * rng.uniform(0.01, 0.07)
    ip1 = int(quality * rng.uniform(0, 20))
    levels = ("none", "below_municipal", "municipal", "provincial", "national")
    firm: dict[str, Any] = {
        "name": name,
        "credit_code": credit_code(rng, division),
        "province": province,
        "city": city,
        "district": DISTRICTS[city][i % 2],
        "industry": industry,
        "assessment_year": 2026,
        "main_product": product,
        "niche_market": niche,
        "niche_years": int(2 + quality * rng.uniform(2, 18)),
        "employees": employees,
        "rd_staff": max(1, int(employees * (0.03 + quality * rng.uniform(0.05, 0.25)))),
        "compliance_ok": rng.random() > 0.04,
        "revenue": money(revenue),
        "revenue_prev": money(revenue_prev),
        "revenue_prev2": money(revenue_prev2),
        "main_revenue": money(revenue * main_share),
        "main_revenue_prev": money(revenue_prev * main_share),
        "main_revenue_prev2": money(revenue_prev2 * main_share),
        "net_profit": money(revenue * (rng.uniform(-0.06, 0.04) + quality * 0.12)),
        "total_assets": money(revenue * rng.uniform(0.9, 1.6)),
        "rd_expense": money(revenue * rd_share),
        "rd_expense_prev": money(revenue_prev * rd_share * rng.uniform(0.8, 1.0)),
        "rd_institution": levels[min(4, int(quality * 4.6 * rng.uniform(0.6, 1.0)))],
        "rd_institution_joint": rng.random() < quality * 0.6,
        "rd_super_deduction": rng.random() < 0.4 + quality * 0.6,
        "award": rng.choice(("provincial", "provincial_top3"))
        if rng.random() < quality * 0.4
        else "none",
        "high_tech_enterprise": rng.random() < 0.2 + quality * 0.8,
        "innovation_demo": rng.random() < quality * 0.1,
        "maker_china": "top500" if rng.random() < quality * 0.2 else "none",
        "ip_class1": ip1,
        "ip_class1_self": int(ip1 * rng.uniform(0.6, 1.0)),
        "ip_class1_high_value": int(ip1 * rng.uniform(0, 0.3)),
        "ip_class1_applied": int(ip1 * rng.uniform(0.3, 0.8)),
        "ip_class2": int(rng.uniform(0, 8) + quality * rng.uniform(5, 45)),
        "ip_advantage": rng.random() < quality * 0.3,
        "strategic_emerging": rng.random() < 0.3 + quality * 0.6,
        "product_field": (
            "key_link" if quality > 0.75 else "six_basics" if quality > 0.4 else "other"
        ),
        "market_share": money(0.2 + quality * rng.uniform(1, 18)),
        "market_rank": max(1, int(40 - quality * rng.uniform(20, 40))),
        "own_brand": rng.random() < 0.5 + quality * 0.5,
        "digital_level": min(4, int(quality * 4.5 * rng.uniform(0.6, 1.0))),
        "quality_award": rng.random() < quality * 0.25,
        "quality_cert": rng.random() < 0.5 + quality * 0.5,
        "standards_drafting": rng.random() < quality * 0.6,
        "info_system": rng.random() < 0.4 + quality * 0.6,
        "intl_cert": rng.random() < quality * 0.4,
        "univ_partners": int(quality * rng.uniform(0, 5)),
        "univ_projects": int(quality * rng.uniform(0, 8)),
        "talent_cotraining": rng.random() < quality * 0.7,
        "chain_leader_supplier": rng.random() < 0.2 + quality * 0.6,
        "public_platform": rng.random() < 0.5,
        "priority_industry": rng.random() < 0.3 + quality * 0.6,
        "has_innovative_title": rng.random() < 0.2 + quality * 0.8,
        "has_srdi_title": rng.random() < quality * 0.7,
        "platform_score": int(30 + quality * rng.uniform(30, 60)),
    }
    firm["total_liabilities"] = money(
        float(firm["total_assets"]) * (rng.uniform(0.25, 0.5) + (1 - quality) * 0.35)
    )
    raised = money(rng.uniform(500, 5000)) if rng.random() < quality * 0.5 else Decimal(0)
    firm["equity_financing_2y"] = raised
    firm["equity_financing_3y"] = raised + (
        money(rng.uniform(0, 2000)) if rng.random() < 0.3 else Decimal(0)
    )
    if province == "山东省":
        firm["sd_key_industry"] = rng.choice(
            ("province_chain", "province_or_special", "city", "county", "none")
        )
        firm["sd_innovation_items"] = int(quality * rng.uniform(0, 6))
        firm["sd_market_position"] = (
            "national_top3"
            if quality > 0.8
            else "national_top10"
            if quality > 0.5
            else "province_top10"
            if quality > 0.3
            else "none"
        )
        firm["sd_listing"] = "listed" if rng.random() < quality * 0.15 else "none"
    elif province == "四川省":
        firm["sc_key_system"] = rng.random() < 0.4 + quality * 0.5
        firm["sc_heritage_or_first"] = rng.random() < quality * 0.4
        firm["sc_regional_product"] = rng.random() < 0.3
    if i == BLANK_ROW:
        for key in (
            "main_revenue_prev",
            "market_share",
            "rd_institution",
            "net_profit",
            "digital_level",
        ):
            del firm[key]
    return firm


def agency_firms(count: int = 36) -> list[dict[str, Any]]:
    """The invented firms, then a large firm and the second submission of firm TWICE."""
    rng = random.Random(SEED)
    qualities = [i / (count - 1) for i in range(count)]
    rng.shuffle(qualities)
    firms = [invent_firm(rng, i, q) for i, q in enumerate(qualities)]
    large = invent_firm(random.Random(SEED + 1), 2, 1.0)
    large.update(  # far above the SME limits for industry (1000 persons, 40000 万元)
        name="长沙岳麓重工装备集团有限公司",
        employees=2600,
        revenue=money(185000),
        revenue_prev=money(172000),
        revenue_prev2=money(160000),
    )
    again = dict(firms[TWICE])
    again["name"] = again["name"].replace("有限公司", "股份有限公司", 1)
    if again["name"] == firms[TWICE]["name"]:
        again["name"] = "（更名）" + again["name"]
    again["rd_expense"] = money(float(again["rd_expense"]) * 1.2)  # corrected figures
    return [*firms, large, again]


def recommenders(count: int) -> list[str]:
    """The 推荐单位 of each row: the park or county bureau that put the firm forward."""
    units = ("高新区管委会", "经开区经发局", "县工信局", "")
    return [units[i % len(units)] for i in range(count)]


def add_agency_column(path: Path, values: list[str]) -> None:
    """The agency's own column after the template's last one, as agencies add them."""
    import openpyxl

    from assess.intake.layout import BATCH_FIRST_ROW, BATCH_LABEL_ROW, SHEET_BATCH

    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET_BATCH]
    col = ws.max_column + 1
    ws.cell(BATCH_LABEL_ROW, col, RECOMMENDER)
    for i, value in enumerate(values):
        if value:
            ws.cell(BATCH_FIRST_ROW + i, col, value)
    wb.save(path)


def main() -> None:
    for stem in ("strong", "borderline", "weak"):
        firm = load_firm_file(HERE / f"{stem}.json")
        write_template(HERE / f"{stem}.xlsx", form=dict(firm.values))
        print(f"samples/{stem}.xlsx")
    firms = agency_firms()
    write_template(HERE / "agency-batch.xlsx", batch=firms)
    add_agency_column(HERE / "agency-batch.xlsx", recommenders(len(firms)))
    print(f"samples/agency-batch.xlsx ({len(firms)} firms)")


if __name__ == "__main__":
    main()
