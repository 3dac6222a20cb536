"""The questionnaire's field ids: a public, stable interface.

Every rubric reads its inputs from these fields; the ids are the keys of the JSON/YAML
firm-data format and the machine column of the Excel questionnaire.  Add fields freely,
never rename one.  Money is 万元; percentages are entered as numbers (12.5 means 12.5%).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from itertools import pairwise
from typing import Any

from assess.catalog import language

# Limits on what one field may hold.  The reader refuses, with the cell or key named, a
# value beyond them, and the template's data validation carries the same text limits.
TEXT_MAX_LENGTH = 200  # characters in a text field without a limit of its own
MAX_NUMBER_DIGITS = 15  # a number's magnitude is below 10^15 of its unit (万元, 人, %)
MIN_NUMBER_EXPONENT = -30  # a non-zero number is at least 10^-30: no firm figure is smaller
MAX_NUMBER_TEXT = 40  # characters in a number typed as text ("1,234,567.89万元")


class FieldType(StrEnum):
    TEXT = "text"
    INT = "int"  # a whole count: persons, patents, a year
    NUMBER = "number"  # a plain number: years, a score
    MONEY = "money"  # 万元, may be negative where the field says so
    PERCENT = "percent"  # entered as 12.5 for 12.5%
    BOOL = "bool"
    ENUM = "enum"


class Section(StrEnum):
    BASIC = "基本信息"
    FINANCE = "财务"
    RD = "研发"
    IP = "知识产权"
    MARKET = "市场与产品"
    QUALITY = "质量与数字化"
    ECOSYSTEM = "合作与生态"
    LOCAL = "地方特色指标"

    @property
    def label(self) -> str:
        """The section's heading in the language in force (the value is the Chinese)."""
        return _SECTION_EN[self] if language() == "en" else self.value


_SECTION_EN = {
    Section.BASIC: "Basic information",
    Section.FINANCE: "Finance",
    Section.RD: "R&D",
    Section.IP: "Intellectual property",
    Section.MARKET: "Market and products",
    Section.QUALITY: "Quality and digitalisation",
    Section.ECOSYSTEM: "Cooperation and ecosystem",
    Section.LOCAL: "Local distinctive indicators",
}


@dataclass(frozen=True)
class Field:
    """One questionnaire field.  Its words are Chinese (`label_zh`, `unit_zh`, `help_zh`,
    `choices`) and English (`label_en`, …, from `_ENGLISH` below); `label`, `unit`, `help`
    and `choice_label` give them in the language in force (`assess.catalog.language()`),
    the Chinese when a field has no English (a local rubric's field written in Chinese
    only).  The Chinese ones are also what the questionnaire's cells are read by."""

    id: str
    label_zh: str
    type: FieldType
    section: Section
    unit_zh: str = ""
    help_zh: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (machine value, Chinese label)
    required: bool = False
    negative_ok: bool = False
    minimum: int | None = None
    maximum: int | None = None
    source: str = ""  # where the figure comes from
    aliases: tuple[str, ...] = field(default=())
    max_length: int | None = None  # a text field's limit, if not TEXT_MAX_LENGTH
    label_en: str = ""
    unit_en: str = ""
    help_en: str = ""
    choices_en: tuple[str, ...] = ()  # English labels, in the order of `choices`

    @property
    def label(self) -> str:
        return self.label_en if self.label_en and _english() else self.label_zh

    @property
    def unit(self) -> str:
        """The unit shown after a value (万元, 人; 10k yuan, persons); "%" either way."""
        return self.unit_en if self.unit_zh and _english() else self.unit_zh

    @property
    def help(self) -> str:
        return self.help_en if self.help_en and _english() else self.help_zh

    @property
    def text_limit(self) -> int:
        """The most characters this text field may hold."""
        return self.max_length if self.max_length is not None else TEXT_MAX_LENGTH

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.choices)

    def choice_label(self, value: str) -> str:
        """The label of a choice in the language in force (the value itself if unknown)."""
        english = _english() and len(self.choices_en) == len(self.choices)
        for i, (v, label) in enumerate(self.choices):
            if v == value:
                return self.choices_en[i] if english else label
        return value


def _english() -> bool:
    return language() == "en"


T, S = FieldType, Section
_AUDIT = "经审计的财务报表"

INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("agriculture", "农、林、牧、渔业"),
    ("industry", "工业"),
    ("construction", "建筑业"),
    ("wholesale", "批发业"),
    ("retail", "零售业"),
    ("transport", "交通运输业"),
    ("warehousing", "仓储业"),
    ("postal", "邮政业"),
    ("hotel", "住宿业"),
    ("catering", "餐饮业"),
    ("telecom", "信息传输业"),
    ("software", "软件和信息技术服务业"),
    ("real_estate", "房地产开发经营"),
    ("property_management", "物业管理"),
    ("leasing_business", "租赁和商务服务业"),
    ("other", "其他未列明行业"),
)

FIELDS: tuple[Field, ...] = (
    # 基本信息
    Field("name", "企业名称", T.TEXT, S.BASIC, required=True, source="营业执照"),
    Field(
        "credit_code",
        "统一社会信用代码",
        T.TEXT,
        S.BASIC,
        help_zh="18 位，校验位按 GB 32100-2015",
        source="营业执照",
        max_length=40,  # a wrong length below this is a warning with the check character
    ),
    Field(
        "province",
        "所在省份",
        T.TEXT,
        S.BASIC,
        help_zh="如 湖南省；用于选择地方特色化指标",
        max_length=50,
    ),
    Field("city", "所在市州", T.TEXT, S.BASIC, help_zh="如 长沙市", max_length=50),
    Field("district", "所在区县", T.TEXT, S.BASIC, help_zh="如 岳麓区", max_length=50),
    Field(
        "industry",
        "所属行业(划型)",
        T.ENUM,
        S.BASIC,
        choices=INDUSTRIES,
        help_zh="按《中小企业划型标准规定》的 16 类行业",
    ),
    Field(
        "assessment_year",
        "评价年度",
        T.INT,
        S.BASIC,
        unit_zh="年",
        minimum=2000,
        maximum=2100,
        help_zh="如 2026；“上年度”即 2025 年",
    ),
    Field("main_product", "主导产品", T.TEXT, S.BASIC),
    Field("niche_market", "细分市场", T.TEXT, S.BASIC),
    Field(
        "niche_years",
        "从事特定细分市场年限(截至上年末)",
        T.NUMBER,
        S.BASIC,
        unit_zh="年",
        source="首笔主导产品销售合同或发票",
    ),
    Field("employees", "从业人员数", T.INT, S.BASIC, unit_zh="人", source="社保缴纳记录"),
    Field(
        "review",
        "本次为已获称号企业复核",
        T.BOOL,
        S.BASIC,
        help_zh="已获专精特新或“小巨人”称号、期满复核时填“是”；新申报填“否”",
        source="原认定文件",
    ),
    Field(
        "compliance_ok",
        "无失信/异常名录、无重大事故、无偷漏税、产品非禁限淘汰类",
        T.BOOL,
        S.BASIC,
        help_zh="资格声明：近三年均满足时填“是”",
        source="信用中国查询、企业承诺书",
    ),
    # 财务
    Field("revenue", "上年度营业收入", T.MONEY, S.FINANCE, unit_zh="万元", source=_AUDIT),
    Field("revenue_prev", "前年营业收入", T.MONEY, S.FINANCE, unit_zh="万元", source=_AUDIT),
    Field("revenue_prev2", "大前年营业收入", T.MONEY, S.FINANCE, unit_zh="万元", source=_AUDIT),
    Field("main_revenue", "上年度主营业务收入", T.MONEY, S.FINANCE, unit_zh="万元", source=_AUDIT),
    Field(
        "main_revenue_prev", "前年主营业务收入", T.MONEY, S.FINANCE, unit_zh="万元", source=_AUDIT
    ),
    Field(
        "main_revenue_prev2",
        "大前年主营业务收入",
        T.MONEY,
        S.FINANCE,
        unit_zh="万元",
        source=_AUDIT,
        help_zh="计算近2年平均增长率所需",
    ),
    Field(
        "net_profit",
        "上年度净利润",
        T.MONEY,
        S.FINANCE,
        unit_zh="万元",
        negative_ok=True,
        source=_AUDIT,
        help_zh="亏损填负数",
    ),
    Field("total_assets", "上年末资产总额", T.MONEY, S.FINANCE, unit_zh="万元", source=_AUDIT),
    Field("total_liabilities", "上年末负债总额", T.MONEY, S.FINANCE, unit_zh="万元", source=_AUDIT),
    Field(
        "equity_financing_2y",
        "近2年新增股权融资(合格机构投资者实缴)",
        T.MONEY,
        S.FINANCE,
        unit_zh="万元",
        source="投资协议、验资报告或银行进账单",
    ),
    Field(
        "equity_financing_3y",
        "近3年新增股权融资(合格机构投资者实缴)",
        T.MONEY,
        S.FINANCE,
        unit_zh="万元",
        source="投资协议、验资报告或银行进账单",
    ),
    # 研发
    Field(
        "rd_expense",
        "上年度研发费用",
        T.MONEY,
        S.RD,
        unit_zh="万元",
        source="研发费用加计扣除申报表或专项审计报告",
    ),
    Field(
        "rd_expense_prev",
        "前年研发费用",
        T.MONEY,
        S.RD,
        unit_zh="万元",
        source="研发费用加计扣除申报表或专项审计报告",
    ),
    Field("rd_staff", "研发人员数", T.INT, S.RD, unit_zh="人", source="研发人员名单及社保记录"),
    Field(
        "rd_institution",
        "研发机构级别",
        T.ENUM,
        S.RD,
        choices=(
            ("national", "国家级"),
            ("provincial", "省级"),
            ("municipal", "市级"),
            ("below_municipal", "市级以下"),
            ("none", "未建立"),
        ),
        source="研发机构认定文件",
    ),
    Field(
        "rd_institution_joint", "与高校/科研院所联合建立研发机构", T.BOOL, S.RD, source="共建协议"
    ),
    Field(
        "tech_upgrade_expense",
        "上年度技术改造投入",
        T.MONEY,
        S.RD,
        unit_zh="万元",
        help_zh="设备更新、工艺改造、智能化改造等技术改造项目的实际投入，没有填 0",
        source="技术改造项目备案文件及投资凭证",
    ),
    Field(
        "rd_super_deduction", "享受研发费用加计扣除", T.BOOL, S.RD, source="企业所得税年度申报表"
    ),
    Field(
        "award",
        "近3年科技奖励",
        T.ENUM,
        S.RD,
        choices=(
            ("national_top3", "国家级(排名前三)"),
            ("national_top5", "国家级(排名前五)"),
            ("national", "国家级(其他排名)"),
            ("provincial_top3", "省级(排名前三)"),
            ("provincial", "省级(其他排名)"),
            ("none", "无"),
        ),
        source="获奖证书",
    ),
    Field("high_tech_enterprise", "有效期内高新技术企业", T.BOOL, S.RD, source="高新技术企业证书"),
    Field("innovation_demo", "国家级技术创新示范企业", T.BOOL, S.RD, source="认定文件"),
    Field(
        "maker_china",
        "近3年“创客中国”大赛",
        T.ENUM,
        S.RD,
        choices=(
            ("top50", "全国 50 强(企业组)"),
            ("top500", "全国 500 强(企业组)"),
            ("none", "无"),
        ),
        source="获奖证书或公示名单",
    ),
    # 知识产权
    Field(
        "ip_class1_high_value",
        "Ⅰ类高价值知识产权数",
        T.INT,
        S.IP,
        unit_zh="件",
        source="专利证书及高价值证明(海外同族、维持年限、质押融资或获奖)",
    ),
    Field("ip_class1_self", "自主研发Ⅰ类知识产权数", T.INT, S.IP, unit_zh="件", source="专利证书"),
    Field(
        "ip_class1",
        "Ⅰ类知识产权数(与主导产品相关)",
        T.INT,
        S.IP,
        unit_zh="件",
        help_zh="发明专利、植物新品种、国家级农作物品种、国家新药、一级中药保护品种、集成电路布图设计",
        source="专利证书",
    ),
    Field(
        "ip_class1_applied",
        "已应用并产生效益的Ⅰ类知识产权数",
        T.INT,
        S.IP,
        unit_zh="件",
        help_zh="与主导产品相关、已在主导产品中应用并产生经济效益的；2026 年“小巨人”不计受让取得的",
        source="专利实施及产品销售证明",
    ),
    Field(
        "ip_class2",
        "Ⅱ类知识产权数",
        T.INT,
        S.IP,
        unit_zh="件",
        help_zh="实用新型、外观设计、软件著作权(不含商标)",
        source="证书",
    ),
    Field("ip_advantage", "知识产权优势/示范企业", T.BOOL, S.IP, source="认定文件"),
    # 市场与产品
    Field("strategic_emerging", "主导产品属于《战略性新兴产业分类》", T.BOOL, S.MARKET),
    Field(
        "product_field",
        "主导产品所属领域情况",
        T.ENUM,
        S.MARKET,
        choices=(
            ("key_link", "补短板/锻长板/填空白并取得实际成效"),
            ("six_basics", "工业“六基”/中华老字号/为产业链龙头配套"),
            ("other", "其他"),
        ),
        source="相关证明材料",
    ),
    Field(
        "market_share",
        "主导产品全国细分市场占有率",
        T.PERCENT,
        S.MARKET,
        unit_zh="%",
        source="行业协会或第三方机构出具的市场占有率证明",
    ),
    Field(
        "market_share_intl",
        "主导产品国际细分市场占有率",
        T.PERCENT,
        S.MARKET,
        unit_zh="%",
        help_zh="主导产品面向国际细分市场时填写",
        source="行业协会或第三方机构出具的市场占有率证明",
    ),
    Field("market_rank", "主导产品全国细分市场排名", T.INT, S.MARKET, unit_zh="名", minimum=1),
    Field("own_brand", "拥有自主品牌", T.BOOL, S.MARKET, source="商标注册证"),
    # 质量与数字化
    Field(
        "digital_level",
        "数字化水平等级",
        T.INT,
        S.QUALITY,
        minimum=0,
        maximum=4,
        help_zh="0 = 未评测；按《中小企业数字化水平评测指标》",
        source="数字化水平评测结果",
    ),
    Field("quality_award", "获省级以上质量奖", T.BOOL, S.QUALITY, source="获奖证书"),
    Field(
        "quality_cert", "通过质量管理体系认证(ISO 9001 等)", T.BOOL, S.QUALITY, source="认证证书"
    ),
    Field(
        "standards_drafting", "参与制修订标准", T.BOOL, S.QUALITY, source="标准文本及起草单位名单"
    ),
    Field("info_system", "核心业务采用信息系统支撑", T.BOOL, S.QUALITY, source="系统截图或合同"),
    Field("intl_cert", "产品通过发达国家和地区认证", T.BOOL, S.QUALITY, source="认证证书"),
    # 合作与生态
    Field(
        "univ_partners", "合作高校/科研院所数", T.INT, S.ECOSYSTEM, unit_zh="家", source="合作协议"
    ),
    Field(
        "univ_projects",
        "近3年产学研合作项目数",
        T.INT,
        S.ECOSYSTEM,
        unit_zh="项",
        source="项目合同",
    ),
    Field("talent_cotraining", "开展校企联合人才培养", T.BOOL, S.ECOSYSTEM, source="合作协议"),
    Field(
        "chain_leader_supplier", "进入“链主”/龙头企业供应链", T.BOOL, S.ECOSYSTEM, source="供货合同"
    ),
    Field(
        "large_firm_co_innovation",
        "与大企业开展协同创新(不含单纯供货)",
        T.BOOL,
        S.ECOSYSTEM,
        help_zh="与链主或龙头企业联合研发、承接其开放的应用场景或共建创新平台；只供货不算",
        source="联合研发协议或共建平台文件",
    ),
    Field(
        "industry_dialogue",
        "参与“企业+协会+智库+政府”对话交流",
        T.BOOL,
        S.ECOSYSTEM,
        help_zh="近3年作为行业协会会员参加政企座谈、智库咨询或行业共性问题研讨",
        source="会员证书、会议通知或纪要",
    ),
    Field("public_platform", "使用中小企业公共服务平台", T.BOOL, S.ECOSYSTEM, source="服务记录"),
    Field("priority_industry", "属于本省优势新兴产业", T.BOOL, S.ECOSYSTEM),
    Field(
        "has_innovative_title",
        "已获创新型(科技和创新型)中小企业称号",
        T.BOOL,
        S.ECOSYSTEM,
        source="公示文件",
    ),
    Field(
        "tech_sme_title",
        "有效期内科技型中小企业(已入库)",
        T.BOOL,
        S.ECOSYSTEM,
        help_zh="已在全国科技型中小企业信息服务平台入库并取得登记编号、在有效期内",
        source="科技型中小企业入库登记编号",
    ),
    Field("has_srdi_title", "已获省级专精特新中小企业称号", T.BOOL, S.ECOSYSTEM, source="公示文件"),
    Field(
        "platform_score",
        "专精特新发展评价得分(国家平台)",
        T.NUMBER,
        S.ECOSYSTEM,
        unit_zh="分",
        minimum=0,
        maximum=100,
        source="优质中小企业梯度培育平台",
    ),
    Field(
        "platform_score_prev",
        "上一年度专精特新发展评价得分",
        T.NUMBER,
        S.ECOSYSTEM,
        unit_zh="分",
        minimum=0,
        maximum=100,
        help_zh="复核时使用：近两年中任一年达到分数线即可",
        source="优质中小企业梯度培育平台",
    ),
    # 地方特色指标
    Field(
        "local_points",
        "地方特色化指标得分(省级主管部门给出)",
        T.NUMBER,
        S.LOCAL,
        unit_zh="分",
        minimum=0,
        maximum=15,
        help_zh="本省无内置特色化指标时填写，0–15 分",
    ),
    Field(
        "sd_key_industry",
        "山东：本省重点产业领域",
        T.ENUM,
        S.LOCAL,
        choices=(
            ("province_chain", "省重点产业领域且属链长制产业链"),
            ("province_or_special", "省重点产业领域，或海洋/乡村振兴/军民融合领域"),
            ("city", "市重点产业领域"),
            ("county", "县(市、区)重点产业领域"),
            ("none", "均不属于"),
        ),
    ),
    Field(
        "sd_innovation_items",
        "山东：创新生产经营情况项数",
        T.INT,
        S.LOCAL,
        unit_zh="项",
        minimum=0,
        maximum=6,
        help_zh="首台套/首批次认定、省级赛事获奖、细分领域核心技术、数字化/人工智能新业态、"
        "海外并购或研发或发达市场认证、精益生产，符合几项填几",
    ),
    Field(
        "sd_market_position",
        "山东：细分市场地位",
        T.ENUM,
        S.LOCAL,
        choices=(
            ("national_top3", "全国市场占有率超过 10% 或全国前三"),
            ("national_top10", "全国前十或全省前三"),
            ("province_top10", "全省前十"),
            ("none", "均不属于"),
        ),
    ),
    Field(
        "sd_listing",
        "山东：上市进展",
        T.ENUM,
        S.LOCAL,
        choices=(
            ("listed", "已上市或新三板挂牌"),
            ("none", "其他(含区域性股权市场挂牌，原文分值缺失)"),
        ),
    ),
    Field("sc_key_system", "四川：属于“5+1”“4+6”“10+3”产业体系", T.BOOL, S.LOCAL),
    Field("sc_heritage_or_first", "四川：非遗、地理标志或首台套/首版次", T.BOOL, S.LOCAL),
    Field("sc_regional_product", "四川：区域特色产品", T.BOOL, S.LOCAL),
)

# The English of each field, beside the Chinese above: (label, help, choice labels in the
# order of the field's choices).  A figure of last year says so after its name, "(last
# year)", which the plan strips when it words a next-year target.
_ENGLISH: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "name": ("Company name", "", ()),
    "credit_code": (
        "Unified social credit code",
        "18 characters; check character per GB 32100-2015",
        (),
    ),
    "province": (
        "Province",
        "In Chinese, as on the business licence; selects the province's local indicators",
        (),
    ),
    "city": ("City", "In Chinese, as on the business licence", ()),
    "district": ("District or county", "In Chinese, as on the business licence", ()),
    "industry": (
        "Industry (for the size class)",
        "One of the 16 industries of the SME size standard",
        (
            "Agriculture, forestry, animal husbandry and fishery",
            "Industry",
            "Construction",
            "Wholesale",
            "Retail",
            "Transport",
            "Warehousing",
            "Postal services",
            "Accommodation",
            "Catering",
            "Information transmission",
            "Software and information technology services",
            "Real estate development",
            "Property management",
            "Leasing and business services",
            "Other industries not listed",
        ),
    ),
    "assessment_year": ("Assessment year", 'e.g. 2026; "last year" is then 2025', ()),
    "main_product": ("Main product", "", ()),
    "niche_market": ("Niche market", "", ()),
    "niche_years": ("Years in the niche market (to the end of last year)", "", ()),
    "employees": ("Employees", "", ()),
    "review": (
        "This is a review of a firm already holding the title",
        "Yes when an SRDI or Little Giant title is up for its review; no for a new application",
        (),
    ),
    "compliance_ok": (
        "No dishonesty or abnormal listing, no major accident, no tax evasion, "
        "no prohibited or phased-out product",
        "Eligibility declaration: yes when true for each of the last three years",
        (),
    ),
    "revenue": ("Operating revenue (last year)", "", ()),
    "revenue_prev": ("Operating revenue, the year before last", "", ()),
    "revenue_prev2": ("Operating revenue, three years ago", "", ()),
    "main_revenue": ("Main-business revenue (last year)", "", ()),
    "main_revenue_prev": ("Main-business revenue, the year before last", "", ()),
    "main_revenue_prev2": (
        "Main-business revenue, three years ago",
        "Needed for the average growth rate over two years",
        (),
    ),
    "net_profit": ("Net profit (last year)", "A loss as a negative number", ()),
    "total_assets": ("Total assets (end of last year)", "", ()),
    "total_liabilities": ("Total liabilities (end of last year)", "", ()),
    "equity_financing_2y": (
        "New equity financing in 2 years (paid in by qualified institutional investors)",
        "",
        (),
    ),
    "equity_financing_3y": (
        "New equity financing in 3 years (paid in by qualified institutional investors)",
        "",
        (),
    ),
    "rd_expense": ("R&D expense (last year)", "", ()),
    "rd_expense_prev": ("R&D expense, the year before last", "", ()),
    "rd_staff": ("R&D staff", "", ()),
    "rd_institution": (
        "Level of the R&D institution",
        "",
        ("National", "Provincial", "Municipal", "Below municipal", "None"),
    ),
    "rd_institution_joint": (
        "R&D institution set up jointly with a university or research institute",
        "",
        (),
    ),
    "tech_upgrade_expense": (
        "Technical upgrading investment (last year)",
        "Actual spending on equipment renewal, process upgrading, smart manufacturing and "
        "other technical upgrading projects; 0 if none",
        (),
    ),
    "rd_super_deduction": ("Claims the R&D super deduction", "", ()),
    "award": (
        "Science and technology award in 3 years",
        "",
        (
            "National (ranked in the top 3)",
            "National (ranked in the top 5)",
            "National (other rank)",
            "Provincial (ranked in the top 3)",
            "Provincial (other rank)",
            "None",
        ),
    ),
    "high_tech_enterprise": ("Valid high-tech enterprise certificate", "", ()),
    "innovation_demo": ("National technology innovation demonstration enterprise", "", ()),
    "maker_china": (
        '"Maker China" competition in 3 years',
        "",
        ("National top 50 (enterprise group)", "National top 500 (enterprise group)", "None"),
    ),
    "ip_class1_high_value": ("High-value class I IP", "", ()),
    "ip_class1_self": ("Self-developed class I IP", "", ()),
    "ip_class1": (
        "Class I IP (related to the main product)",
        "Invention patents, plant varieties, national crop varieties, national new drugs, "
        "first-grade protected traditional Chinese medicines, integrated circuit layout designs",
        (),
    ),
    "ip_class1_applied": (
        "Class I IP applied and yielding returns",
        "Related to the main product, applied in it and yielding economic returns; the 2026 "
        "Little Giant standard does not count IP acquired by transfer",
        (),
    ),
    "ip_class2": (
        "Class II IP",
        "Utility models, designs, software copyrights (not trademarks)",
        (),
    ),
    "ip_advantage": ("IP advantage or demonstration enterprise", "", ()),
    "strategic_emerging": (
        "Main product in the Classification of Strategic Emerging Industries",
        "",
        (),
    ),
    "product_field": (
        "Field of the main product",
        "",
        (
            "Fills a gap or strengthens a weak or strong link of a chain, with real results",
            'Industrial "six basics", China time-honoured brand, or supplier to a chain leader',
            "Other",
        ),
    ),
    "market_share": ("National niche market share of the main product", "", ()),
    "market_share_intl": (
        "International niche market share of the main product",
        "When the main product serves an international niche market",
        (),
    ),
    "market_rank": ("National niche market rank of the main product", "", ()),
    "own_brand": ("Owns its own brand", "", ()),
    "digital_level": (
        "Digitalisation level",
        "0 = not assessed; per the SME digitalisation level assessment indicators",
        (),
    ),
    "quality_award": ("Provincial or higher quality award", "", ()),
    "quality_cert": ("Quality management system certified (ISO 9001 etc.)", "", ()),
    "standards_drafting": ("Took part in drafting or revising standards", "", ()),
    "info_system": ("Core business run on information systems", "", ()),
    "intl_cert": ("Products certified in developed countries or regions", "", ()),
    "univ_partners": ("Partner universities and research institutes", "", ()),
    "univ_projects": ("Industry-university-research projects in 3 years", "", ()),
    "talent_cotraining": ("Trains talent jointly with schools", "", ()),
    "chain_leader_supplier": ("In the supply chain of a chain leader or leading firm", "", ()),
    "large_firm_co_innovation": (
        "Innovates together with large firms (not supply alone)",
        "Joint R&D with a chain leader or leading firm, serving an application scenario it "
        "opens, or a shared innovation platform; supplying alone does not count",
        (),
    ),
    "industry_dialogue": (
        "Takes part in firm-association-think-tank-government dialogue",
        "In the last 3 years, as a member of an industry association, attended "
        "government-business meetings, think-tank consultations or discussions of common "
        "industry problems",
        (),
    ),
    "public_platform": ("Uses SME public service platforms", "", ()),
    "priority_industry": ("In a priority emerging industry of the province", "", ()),
    "has_innovative_title": (
        "Holds the innovative (technology and innovation) SME title",
        "",
        (),
    ),
    "tech_sme_title": (
        "Valid technology-based SME (registered)",
        "Registered on the national technology-based SME information platform with a "
        "registration number, within its validity",
        (),
    ),
    "has_srdi_title": ("Holds the provincial SRDI SME title", "", ()),
    "platform_score": ("SRDI development score (national platform)", "", ()),
    "platform_score_prev": (
        "SRDI development score, the year before",
        "For a review: either of the last two years reaching the line is enough",
        (),
    ),
    "local_points": (
        "Local distinctive indicators score (given by the provincial authority)",
        "Fill in when the province has no built-in local indicators, 0–15 points",
        (),
    ),
    "sd_key_industry": (
        "Shandong: the province's key industry",
        "",
        (
            "Provincial key industry and in a chain-leader industrial chain",
            "Provincial key industry, or marine, rural revitalisation or "
            "military-civilian integration",
            "Municipal key industry",
            "County (city, district) key industry",
            "None of these",
        ),
    ),
    "sd_innovation_items": (
        "Shandong: innovative production and operation items",
        "First-of-a-kind equipment or first batch recognised, provincial competition award, "
        "core technology of a niche, digital or AI new business, overseas acquisition, R&D "
        "or certification in developed markets, lean production: count those that apply",
        (),
    ),
    "sd_market_position": (
        "Shandong: position in the niche market",
        "",
        (
            "National market share above 10% or national top 3",
            "National top 10 or provincial top 3",
            "Provincial top 10",
            "None of these",
        ),
    ),
    "sd_listing": (
        "Shandong: listing progress",
        "",
        (
            "Listed, or quoted on the NEEQ",
            "Other (incl. a regional equity market; the original gives no points)",
        ),
    ),
    "sc_key_system": (
        'Sichuan: in the "5+1", "4+6" or "10+3" industrial systems',
        "",
        (),
    ),
    "sc_heritage_or_first": (
        "Sichuan: intangible heritage, geographical indication, or first set or first edition",
        "",
        (),
    ),
    "sc_regional_product": ("Sichuan: regional speciality product", "", ()),
}

# The English of the units the fields are counted in.
_UNIT_EN = {
    "万元": "10k yuan",
    "%": "%",
    "年": "years",
    "人": "persons",
    "件": "items",
    "项": "items",
    "家": "partners",
    "名": "",
    "分": "points",
}


def _with_english(spec: Field) -> Field:
    label, help_en, choices = _ENGLISH[spec.id]
    return replace(
        spec,
        label_en=label,
        unit_en=_UNIT_EN[spec.unit_zh] if spec.unit_zh else "",
        help_en=help_en,
        choices_en=choices,
    )


FIELDS = tuple(_with_english(f) for f in FIELDS)

FIELDS_BY_ID: dict[str, Field] = {f.id: f for f in FIELDS}

# Fields a loaded rubric declared (`assess.rubric.local_fields`), in the order declared.
# They join FIELDS_BY_ID, so that every lookup by id sees them, and `all_fields()`.
_LOCAL: dict[str, Field] = {}
_BUILTIN = frozenset(FIELDS_BY_ID)


def register_local(spec: Field) -> str | None:
    """Add a rubric's own field; the reason, in the language in force, when it cannot be."""
    from assess.catalog import t

    if spec.id in _BUILTIN:
        return t("intake.local.builtin", id=spec.id, label=FIELDS_BY_ID[spec.id].label)
    known = _LOCAL.get(spec.id)
    if known is not None and known != spec:
        return t("intake.local.differs", id=spec.id, label=known.label)
    _LOCAL[spec.id] = spec
    FIELDS_BY_ID[spec.id] = spec
    return None


def local_fields() -> tuple[Field, ...]:
    """The fields loaded rubrics declared, in the order declared."""
    return tuple(_LOCAL.values())


def all_fields() -> tuple[Field, ...]:
    """The built-in fields, then those loaded rubrics declared."""
    return (*FIELDS, *_LOCAL.values())


NUMERIC_TYPES = frozenset({T.INT, T.NUMBER, T.MONEY, T.PERCENT})


# A figure and the same figure a year and two years before it: a growth rate read from
# them, aimed at for next year, is measured from last year's figure (next year's base).
YEARS: tuple[tuple[str, ...], ...] = (
    ("revenue", "revenue_prev", "revenue_prev2"),
    ("main_revenue", "main_revenue_prev", "main_revenue_prev2"),
    ("rd_expense", "rd_expense_prev"),
    ("platform_score", "platform_score_prev"),
)


def next_year_values(values: dict[str, Any], lever: str, figure: Any) -> dict[str, Any]:
    """The firm's figures a year on, with `figure` as next year's `lever`: each earlier
    year of the lever's chain takes the one after it (前年 ← 上年度), then the lever takes
    `figure`.  A lever outside `YEARS` is simply set."""
    out = dict(values)
    chain = next((c for c in YEARS if c[0] == lever), (lever,))
    for earlier, later in reversed(list(pairwise(chain))):
        out[later] = out.get(earlier)
    out[lever] = figure
    return out


def get(field_id: str) -> Field:
    return FIELDS_BY_ID[field_id]
