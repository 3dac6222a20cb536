"""Industry names as firms write them → the 16 rows of the size standard.

The size standard (《中小企业划型标准规定》, 工信部联企业〔2011〕300号) sorts firms into
16 rows, defined by the national industry classification (GB/T 4754-2017, as the
statistics bureau's 《统计上大中小微型企业划分办法（2017）》 spells out).  Firms usually
write their GB/T 4754 section or division ("制造业", "专用设备制造业", "互联网和相关服务")
rather than the row, so the reader maps those names to the row and says so.  A section
that spans several rows ("批发和零售业", "住宿和餐饮业") maps to all of them, and the
reader asks the firm to choose one.
"""

from __future__ import annotations

import unicodedata

# GB/T 4754-2017 divisions (两位数代码) under each row of the size standard.
_DIVISIONS: dict[str, tuple[str, ...]] = {
    "agriculture": (
        "农业",
        "林业",
        "畜牧业",
        "渔业",
        "农、林、牧、渔专业及辅助性活动",
    ),
    "industry": (
        # B 采矿业 06–12
        "煤炭开采和洗选业",
        "石油和天然气开采业",
        "黑色金属矿采选业",
        "有色金属矿采选业",
        "非金属矿采选业",
        "开采专业及辅助性活动",
        "其他采矿业",
        # C 制造业 13–43
        "农副食品加工业",
        "食品制造业",
        "酒、饮料和精制茶制造业",
        "烟草制品业",
        "纺织业",
        "纺织服装、服饰业",
        "皮革、毛皮、羽毛及其制品和制鞋业",
        "木材加工和木、竹、藤、棕、草制品业",
        "家具制造业",
        "造纸和纸制品业",
        "印刷和记录媒介复制业",
        "文教、工美、体育和娱乐用品制造业",
        "石油、煤炭及其他燃料加工业",
        "化学原料和化学制品制造业",
        "医药制造业",
        "化学纤维制造业",
        "橡胶和塑料制品业",
        "非金属矿物制品业",
        "黑色金属冶炼和压延加工业",
        "有色金属冶炼和压延加工业",
        "金属制品业",
        "通用设备制造业",
        "专用设备制造业",
        "汽车制造业",
        "铁路、船舶、航空航天和其他运输设备制造业",
        "电气机械和器材制造业",
        "计算机、通信和其他电子设备制造业",
        "仪器仪表制造业",
        "其他制造业",
        "废弃资源综合利用业",
        "金属制品、机械和设备修理业",
        # D 电力、热力、燃气及水生产和供应业 44–46
        "电力、热力生产和供应业",
        "燃气生产和供应业",
        "水的生产和供应业",
    ),
    "construction": (
        "房屋建筑业",
        "土木工程建筑业",
        "建筑安装业",
        "建筑装饰、装修和其他建筑业",
    ),
    "wholesale": ("批发",),
    "retail": ("零售",),
    "transport": (
        "铁路运输业",
        "道路运输业",
        "水上运输业",
        "航空运输业",
        "管道运输业",
        "多式联运和运输代理业",
        "运输业",
    ),
    "warehousing": ("装卸搬运和仓储业", "仓储", "物流仓储"),
    "postal": ("邮政",),
    "hotel": ("住宿",),
    "catering": ("餐饮",),
    "telecom": (
        "电信、广播电视和卫星传输服务",
        "互联网和相关服务",
        "互联网",
        "电信",
    ),
    "software": ("软件业", "软件", "信息技术服务业", "软件开发", "信息技术服务"),
    "real_estate": ("房地产开发", "房地产开发经营业"),
    "property_management": ("物业服务", "物业管理业"),
    "leasing_business": ("租赁业", "商务服务业", "租赁和商务服务"),
    "other": (
        "房地产中介服务",
        "房地产租赁经营",
        "科学研究和技术服务业",
        "研究和试验发展",
        "专业技术服务业",
        "科技推广和应用服务业",
        "水利、环境和公共设施管理业",
        "生态保护和环境治理业",
        "居民服务、修理和其他服务业",
        "居民服务业",
        "机动车、电子产品和日用产品修理业",
        "其他服务业",
        "教育",
        "卫生和社会工作",
        "卫生",
        "社会工作",
        "文化、体育和娱乐业",
        "新闻和出版业",
        "广播、电视、电影和录音制作业",
        "文化艺术业",
        "体育",
        "娱乐业",
    ),
}

# GB/T 4754-2017 sections (门类) by name: one row, or several the firm must choose from.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "农林牧渔业": ("agriculture",),
    "农、林、牧、渔业": ("agriculture",),
    "采矿业": ("industry",),
    "制造业": ("industry",),
    "电力、热力、燃气及水生产和供应业": ("industry",),
    "建筑业": ("construction",),
    "批发和零售业": ("wholesale", "retail"),
    "批发零售业": ("wholesale", "retail"),
    "交通运输、仓储和邮政业": ("transport", "warehousing", "postal"),
    "交通运输仓储和邮政业": ("transport", "warehousing", "postal"),
    "住宿和餐饮业": ("hotel", "catering"),
    "住宿餐饮业": ("hotel", "catering"),
    "信息传输、软件和信息技术服务业": ("telecom", "software"),
    "房地产业": ("real_estate", "property_management", "other"),
    "租赁和商务服务业": ("leasing_business",),
}


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace(" ", "").replace("\u3000", "").strip()


def _build() -> dict[str, tuple[str, ...]]:
    out = {_key(name): rows for name, rows in _SECTIONS.items()}
    for row, names in _DIVISIONS.items():
        for name in names:
            out.setdefault(_key(name), (row,))
            if not name.endswith("业"):
                out.setdefault(_key(name + "业"), (row,))
    return out


SYNONYMS: dict[str, tuple[str, ...]] = _build()


def industry_rows(text: str) -> tuple[str, ...]:
    """The size-standard rows an industry name stands for: one, several, or none known.

    `专用设备制造业` → ("industry",); `批发和零售业` → ("wholesale", "retail"); any other
    name ending in 制造业 is industry as well (a firm's own wording of its division).
    """
    key = _key(text)
    rows = SYNONYMS.get(key)
    if rows is not None:
        return rows
    if key.endswith(("制造业", "制造", "加工业")):
        return ("industry",)
    return ()
