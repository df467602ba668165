"""The catalogues of DOMAIN.md §3 with their exact texts."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from committees.models import PlaceKind


class Level(models.TextChoices):
    TOWNSHIP = "township", _("镇级")
    VILLAGE = "village", _("村级")


LEVEL_OF_PLACE = {PlaceKind.TOWNSHIP: Level.TOWNSHIP, PlaceKind.VILLAGE: Level.VILLAGE}


class Category(models.TextChoices):
    T1 = "t1", _("区域经济社会发展总体（专项）规划和相关计划的编制和调整")
    T2 = "t2", _("区域内重大基础设施规划建设")
    T3 = (
        "t3",
        _(
            "涉及切身利益的重大政策措施（征地拆迁、旧村改造、劳动就业、社会保障、"
            "文化教育、医疗卫生、公共交通、住房保障、社会治安、城乡管理）"
        ),
    )
    T4 = "t4", _("重大政府投资项目、重要专项资金安排和重大国有集体资产资源处置方案")
    T5 = "t5", _("辖区群众普遍关注或反映强烈的重要事项")
    T6 = "t6", _("其他全局性、长远性或与群众利益密切相关的公共事务和公益事业决策事项")
    T7 = "t7", _("镇党委认为需要协商的其他重大事项")
    V1 = "v1", _("村经济社会发展规划和年度工作计划")
    V2 = "v2", _("村庄建设规划编制和调整")
    V3 = "v3", _("村民自治章程、村规民约的制定和修改")
    V4 = (
        "v4",
        _(
            "村级集体建设项目立项、承包、招投标方案，集体举债，大额专项资金安排，"
            "集体资产资源处置"
        ),
    )
    V5 = "v5", _("宅基地安排使用、承包土地山林变更调整、征用征收补偿分配使用方案")
    V6 = "v6", _("村民反映强烈且意见较为集中的公共事务问题")
    V7 = "v7", _("其他涉及本村或多数村民利益的重要事项")


class Tag(models.TextChoices):
    """四公一热 (§六.1)."""

    PUBLIC_AFFAIRS = "public_affairs", _("重大公共事务")
    PUBLIC_DECISION = "public_decision", _("公共决策")
    PUBLIC_INTEREST = "public_interest", _("公众利益")
    PUBLIC_WELFARE = "public_welfare", _("公益事业")
    LIVELIHOOD = "livelihood", _("民生热点难点问题")


class Form(models.TextChoices):
    """Forms of consultation (§五)."""

    T_MEETING = "t_meeting", _("会议审议协商")
    T_INSPECTION = "t_inspection", _("视察点评协商")
    T_SEMINAR = "t_seminar", _("研讨咨询协商")
    T_WRITTEN = "t_written", _("书面征询协商")
    T_INTERVIEW = "t_interview", _("个别访谈协商")
    T_ONLINE = "t_online", _("网络互动协商")
    V_MEETING = "v_meeting", _("会议协商")
    V_TALK = "v_talk", _("恳谈协商")
    V_WRITTEN = "v_written", _("书面协商")
    V_ONLINE = "v_online", _("网上协商")


class Source(models.TextChoices):
    ANNUAL_PLAN = "annual_plan", _("年度计划")
    ASSIGNED = "assigned", _("上级交办")
    RESIDENTS = "residents", _("群众提出")
    DEPUTIES = "deputies", _("代表委员联名")
    LEADERSHIP = "leadership", _("班子提出")


_PREFIX = {Level.TOWNSHIP: "t", Level.VILLAGE: "v"}


def categories_for(level: str) -> list[tuple[str, str]]:
    return [c for c in Category.choices if c[0].startswith(_PREFIX[level])]


def forms_for(level: str) -> list[tuple[str, str]]:
    return [f for f in Form.choices if f[0].startswith(_PREFIX[level] + "_")]


def category_fits(level: str, category: str) -> bool:
    return category in {c for c, _label in categories_for(level)}


def form_fits(level: str, form: str) -> bool:
    return form in {f for f, _label in forms_for(level)}
