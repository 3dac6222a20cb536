"""Which rubric parts read which field: the template's 用于评分 column and evidence list.

`field_uses` walks each rubric's indicators through the operator registry (the names an
operator reads, and its nested parts such as a province's block), and its conditions,
resolving metrics down to the fields they read.  `gate_fields` are the fields that decide
whether a firm may apply at all (a condition) or its size class; `evidence_documents`
groups the evidence the rubrics ask for into one line per document.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from assess.fields import FIELDS_BY_ID
from assess.rubric.size import SIZE_FACTS


@dataclass
class FieldUse:
    """What a field is used for: the indicators and conditions, and their evidence."""

    used_by: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    provinces: set[str] = field(default_factory=set)  # local blocks only, else empty
    national: bool = False  # read by a part that is not one province's

    def add(self, title: str, evidence: Iterable[str], province: str | None) -> None:
        if title not in self.used_by:
            self.used_by.append(title)
        for item in evidence:
            if item not in self.evidence:
                self.evidence.append(item)
        if province is None:
            self.national = True
        else:
            self.provinces.add(province)

    def for_province(self, province: str | None) -> bool:
        """Whether a firm of `province` (None: any) is asked for this field."""
        if province is None or self.national or not self.provinces:
            return True
        return province_key(province) in {province_key(p) for p in self.provinces}


def province_key(name: str) -> str:
    """湖南省, 湖南 and 湖南 省 name the same province."""
    text = re.sub(r"\s", "", name)
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "特别行政区", "省", "市"):
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


@dataclass(frozen=True)
class _Use:
    ids: frozenset[str]
    title: str
    evidence: tuple[str, ...]
    province: str | None
    gate: bool  # a condition: it decides whether the firm may apply


def _walk(rubrics: Sequence[Any]) -> Iterator[_Use]:
    from assess.rubric.operators import names_read, operator_for

    for rubric in rubrics:

        def resolve(names: Iterable[str], rubric: Any = rubric) -> frozenset[str]:
            return frozenset(n for n in rubric.values_read(names) if n in FIELDS_BY_ID)

        for ind in rubric.indicators:
            # Titles without ids: the same indicator in several rubrics is listed once.
            op = operator_for(ind.score)
            yield _Use(
                resolve(names_read(ind.score)), ind.title.zh, tuple(ind.evidence), None, False
            )
            for title, part, ev in op.parts(ind.score):
                province = title.split("：", 1)[0] if "：" in title else None
                yield _Use(
                    resolve(names_read(part)), title, tuple(ev or ind.evidence), province, False
                )
        for cond in rubric.conditions:
            names = set().union(*(c.when.names for c in cond.require))
            yield _Use(resolve(names), cond.title.zh, tuple(cond.evidence), None, True)


def field_uses(rubrics: Sequence[Any]) -> dict[str, FieldUse]:
    """Field id → the indicators/conditions that read it and the evidence they ask for."""
    uses: dict[str, FieldUse] = {}
    for use in _walk(rubrics):
        for fid in use.ids:
            uses.setdefault(fid, FieldUse()).add(use.title, use.evidence, use.province)
    return uses


def gate_fields(rubrics: Sequence[Any]) -> frozenset[str]:
    """The fields that decide a condition of any rubric, and those of the size class."""
    out: set[str] = set(SIZE_FACTS)  # the size class (《中小企业划型标准规定》)
    for use in _walk(rubrics):
        if use.gate:
            out |= use.ids
    return frozenset(out)


# One document, however the rubrics word it: (the document, what its wordings contain).
# The first match wins; a wording that matches none is a document of its own.
DOCUMENTS: tuple[tuple[str, str], ...] = (
    ("经审计的财务报表（近三年，含资产负债表、利润表及附注）", r"财务报表|资产负债表"),
    (
        "研发费用加计扣除申报表（企业所得税年度纳税申报表及优惠明细表）或研发费用专项审计报告",
        r"加计扣除|研发费用专项审计",
    ),
    ("研发人员名单及社保缴纳记录", r"研发人员名单"),
    ("从业人员花名册及社保缴纳记录", r"从业人员"),
    ("知识产权在主导产品中实施应用并产生效益的证明", r"实施应用|专利实施|实施及"),
    ("高价值知识产权证明材料", r"高价值"),
    ("发明专利等知识产权证书", r"知识产权证书|专利证书"),
    ("投资协议、验资报告或银行进账单", r"投资协议|验资报告|银行进账单"),
    ("行业协会或第三方机构出具的细分市场占有率、排名证明", r"市场占有率"),
    ("科技奖励证书（含获奖单位排名）", r"科技奖励"),
    ("研发机构认定文件或设立文件", r"研发机构认定"),
    ("与高校、科研院所的合作或共建协议", r"高校|共建研发机构"),
    ("主导产品与《战略性新兴产业分类》对应条目的说明", r"战略性新兴产业分类"),
    ("优质中小企业梯度培育平台发展评价结果截图或导出报告", r"梯度培育平台"),
    ("中小企业数字化水平评测结果", r"数字化水平评测"),
    ("质量管理体系认证证书（如 ISO 9001）", r"管理体系认证"),
    ("首台套、首批次或首版次认定文件", r"首台套"),
    ("创新型或专精特新中小企业公示文件", r"中小企业公示文件|中小企业或专精特新"),
    ("“创客中国”等赛事获奖证书或公示名单", r"获奖证书或.*公示名单"),
    ("主导产品在产业链中作用的说明及下游应用证明", r"产业链中作用|下游重点客户"),
    ("主导产品所属产业领域的说明", r"所属产业(领域|体系)|^所属产业领域"),
    ("省、市、县重点产业或链长制产业链名单", r"重点产业"),
    ("替代进口、填补空白的用户证明或鉴定报告", r"替代进口"),
    ("与链主或龙头企业的供货合同、合格供应商名录证明", r"供货合同|合格供应商"),
    ("获奖证书", r"^获奖证书$|质量奖获奖证书"),
)


def document_of(wording: str) -> str:
    """The document a rubric's evidence wording names: one line per document."""
    for name, pattern in DOCUMENTS:
        if re.search(pattern, wording):
            return name
    return wording


def evidence_documents(
    rubrics: Sequence[Any], wanted: Iterable[str], province: str | None = None
) -> list[tuple[str, list[str]]]:
    """(document, the indicators it serves), one line per document, in the order first
    asked for; only the uses that read a field in `wanted` and apply to `province`."""
    keep = set(wanted)
    out: dict[str, list[str]] = {}
    for use in _walk(rubrics):
        if not use.ids & keep:
            continue
        other = province is not None and use.province is not None
        if other and province_key(str(use.province)) != province_key(str(province)):
            continue
        for wording in use.evidence:
            titles = out.setdefault(document_of(wording), [])
            if use.title not in titles:
                titles.append(use.title)
    return list(out.items())
