"""The demo township 青溪镇: organisation, people, accounts and topics.

Pure data, read by ``manage.py seed_demo``. Names and contacts are derived from
a person's index, so every run produces the same people; the natural keys the
command matches on (place codes, usernames, person names per place, topic
titles per place) never change between runs.
"""

from dataclasses import dataclass
from datetime import date

from committees.models import BodyKind, MemberCategory, PlaceKind, PlatformKind, Role
from topics.catalogue import Category, Form, Source, Tag
from topics.states import State

DEMO_PASSWORD = "demo12345"
SITE_URL = "http://127.0.0.1:8000"

# Fifty surnames and forty-seven two-character given names; the strides 7 and 11
# are coprime with those counts, so the first 2,350 indexes give distinct names.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋"
    "唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚"
)
_GIVEN_NAMES = (
    "建国秀英志强海燕国华丽娟春生玉梅德明卫东红霞晓峰文斌桂芳永康淑珍"
    "雪梅振华立新美玲浩然思远静怡国栋金龙玉兰长青家豪雨婷石磊志勇晓敏"
    "建军秀芳伟民明辉素琴志刚慧敏宏伟林峰晓燕建平秋菊水根月娥正清"
)


def chinese_name(index: int) -> str:
    surname = _SURNAMES[index * 7 % len(_SURNAMES)]
    given = index * 11 % (len(_GIVEN_NAMES) // 2)
    return surname + _GIVEN_NAMES[2 * given : 2 * given + 2]


@dataclass(frozen=True)
class PersonSpec:
    name: str
    organisation: str
    phone: str
    email: str


def _person(index: int, organisation: str, *, reachable: bool = False) -> PersonSpec:
    """One person; every ninth has neither phone nor email (paper notices)."""
    unreachable = index % 9 == 8 and not reachable
    phone = "" if unreachable else f"13{index % 8 + 2}0571{index:04d}"
    with_email = not unreachable and (reachable or index % 3 == 0)
    email = f"qx{index:03d}@example.com" if with_email else ""
    return PersonSpec(chinese_name(index), organisation, phone, email)


@dataclass(frozen=True)
class PlaceSpec:
    code: str
    name: str
    kind: PlaceKind
    parent: str | None = None


COUNTY = PlaceSpec("linjiang", "临江县", PlaceKind.COUNTY)
TOWNSHIP = PlaceSpec("qingxi", "青溪镇", PlaceKind.TOWNSHIP, COUNTY.code)
VILLAGES = (
    PlaceSpec("qingxi-v1", "东坑村", PlaceKind.VILLAGE, TOWNSHIP.code),
    PlaceSpec("qingxi-v2", "西岭村", PlaceKind.VILLAGE, TOWNSHIP.code),
    PlaceSpec("qingxi-v3", "南塘村", PlaceKind.VILLAGE, TOWNSHIP.code),
)
PLACES = (COUNTY, TOWNSHIP, *VILLAGES)

BODY_NAMES = {
    BodyKind.TOWN_PARTY: "{place}党委",
    BodyKind.TOWN_GOVERNMENT: "{place}人民政府",
    BodyKind.VILLAGE_BRANCH: "{place}党支部",
    BodyKind.VILLAGE_COMMITTEE: "{place}村委会",
}
PLATFORM_NAMES = {
    PlatformKind.TOWN_COMMITTEE: "{place}协商民主委员会",
    PlatformKind.TOWN_ADVISORY: "{place}公共决策咨询委员会",
    PlatformKind.VILLAGE_COUNCIL: "{place}协商民主议事会",
}


@dataclass(frozen=True)
class AccountSpec:
    username: str
    role: Role
    place: str
    person: PersonSpec
    superuser: bool = False


@dataclass(frozen=True)
class MemberSpec:
    person: PersonSpec
    category: MemberCategory
    position: str = "委员"


@dataclass(frozen=True)
class RosterSpec:
    place: str
    kind: PlatformKind
    members: tuple[MemberSpec, ...]
    term_start: date
    term_end: date
    appointed_by: str
    appointed_on: date


def _members(
    base: int, rows: tuple[tuple[MemberCategory, str, str], ...]
) -> tuple[MemberSpec, ...]:
    return tuple(
        MemberSpec(_person(base + i, organisation), category, position)
        for i, (category, organisation, position) in enumerate(rows)
    )


C = MemberCategory

# 镇协商民主委员会 (§八(一)): 25 members, 两代表一委员 and the sectors.
TOWN_COMMITTEE = RosterSpec(
    place=TOWNSHIP.code,
    kind=PlatformKind.TOWN_COMMITTEE,
    members=_members(
        20,
        (
            (C.PARTY_DEPUTY, "县党代表、青溪镇中心小学校长", "主任"),
            (C.PARTY_DEPUTY, "镇党代表、青溪镇卫生院院长", "委员"),
            (C.PARTY_DEPUTY, "镇党代表、东坑村党支部委员", "委员"),
            (C.PARTY_DEPUTY, "镇党代表、青溪茶业有限公司党支部书记", "委员"),
            (C.NPC_DEPUTY, "县人大代表、西岭村种粮大户", "副主任"),
            (C.NPC_DEPUTY, "镇人大代表、南塘村水产养殖户", "委员"),
            (C.NPC_DEPUTY, "镇人大代表、镇区农贸市场个体工商户", "委员"),
            (C.NPC_DEPUTY, "县人大代表、青溪竹木制品厂厂长", "委员"),
            (C.CPPCC_MEMBER, "县政协委员、青溪中学教师", "副主任"),
            (C.CPPCC_MEMBER, "县政协委员、镇区个体医生", "委员"),
            (C.CPPCC_MEMBER, "县政协委员、民营企业负责人", "委员"),
            (C.GRASSROOTS_ORG, "东坑村村民委员会主任", "委员"),
            (C.GRASSROOTS_ORG, "西岭村村务监督委员会主任", "委员"),
            (C.GRASSROOTS_ORG, "南塘村妇联主席", "委员"),
            (C.GRASSROOTS_ORG, "青溪镇团委书记", "委员"),
            (C.GRASSROOTS_ORG, "镇区老街居民小组长", "委员"),
            (C.ENTERPRISE, "青溪茶业有限公司总经理", "委员"),
            (C.ENTERPRISE, "临江农村商业银行青溪支行行长", "委员"),
            (C.ENTERPRISE, "国网临江县供电公司青溪供电所所长", "委员"),
            (C.ENTERPRISE, "临江县自来水公司青溪水厂厂长", "委员"),
            (C.SOCIAL_ORG, "青溪镇老年人协会会长", "委员"),
            (C.SOCIAL_ORG, "青溪镇个体劳动者协会秘书长", "委员"),
            (C.SOCIAL_ORG, "青溪镇志愿者协会会长", "委员"),
            (C.OTHER, "归侨代表、退休教师", "委员"),
            (C.OTHER, "退役军人代表", "委员"),
        ),
    ),
    term_start=date(2026, 1, 1),
    term_end=date(2030, 12, 31),
    appointed_by="青溪镇党委",
    appointed_on=date(2026, 1, 1),
)

# 镇公共决策咨询委员会 (§八(二)): experts and notable persons, appointed with a term.
TOWN_ADVISORY = RosterSpec(
    place=TOWNSHIP.code,
    kind=PlatformKind.TOWN_ADVISORY,
    members=_members(
        50,
        (
            (C.EXPERT, "省农业科学院茶叶研究所研究员", "主任"),
            (C.EXPERT, "临江县自然资源和规划局高级工程师", "委员"),
            (C.EXPERT, "临江县交通运输局高级工程师", "委员"),
            (C.EXPERT, "临江职业技术学院副教授（乡村旅游）", "委员"),
            (C.EXPERT, "临江县人民医院主任医师", "委员"),
            (C.EXPERT, "临江正平律师事务所律师", "委员"),
            (C.EXPERT, "临江信达会计师事务所注册会计师", "委员"),
            (C.NOTABLE, "青溪籍企业家、临江县商会副会长", "委员"),
            (C.NOTABLE, "原青溪镇人大主席（退休）", "委员"),
            (C.NOTABLE, "青溪乡贤联谊会会长", "委员"),
        ),
    ),
    term_start=date(2026, 1, 10),
    term_end=date(2028, 12, 31),
    appointed_by="青溪镇党委、镇政府",
    appointed_on=date(2026, 1, 10),
)

# 村协商民主议事会 (§八(三)), one per village.
VILLAGE_COUNCILS = tuple(
    RosterSpec(
        place=village.code,
        kind=PlatformKind.VILLAGE_COUNCIL,
        members=_members(base, rows),
        term_start=date(2026, 3, 1),
        term_end=date(2031, 2, 28),
        appointed_by=f"{village.name}党支部、村委会",
        appointed_on=date(2026, 3, 1),
    )
    for village, base, rows in (
        (
            VILLAGES[0],
            60,
            (
                (C.VILLAGER_REP, "东坑村村民代表（上坑组）", "召集人"),
                (C.VILLAGER_REP, "东坑村村民代表（下坑组）", "成员"),
                (C.VILLAGER_REP, "东坑村村民代表（茶园组）", "成员"),
                (C.MERCHANT, "东坑村茶叶收购商户", "成员"),
                (C.COOPERATIVE, "东坑茶叶专业合作社理事长", "成员"),
                (C.ENTREPRENEUR, "返乡创业人员、东坑茶厂负责人", "成员"),
                (C.NPC_DEPUTY, "县人大代表（户籍在东坑村）", "成员"),
                (C.PUBLIC_EMPLOYEE, "青溪镇中心小学教师（东坑村人）", "成员"),
                (C.RESPECTED, "老党员、原东坑村党支部书记", "成员"),
                (C.RESPECTED, "退休教师", "成员"),
            ),
        ),
        (
            VILLAGES[1],
            75,
            (
                (C.VILLAGER_REP, "西岭村村民代表（岭头组）", "召集人"),
                (C.VILLAGER_REP, "西岭村村民代表（岭脚组）", "成员"),
                (C.VILLAGER_REP, "西岭村村民代表（竹园组）", "成员"),
                (C.MERCHANT, "西岭村民宿经营户", "成员"),
                (C.COOPERATIVE, "西岭毛竹专业合作社社长", "成员"),
                (C.PARTY_DEPUTY, "县党代表（户籍在西岭村）", "成员"),
                (C.NPC_DEPUTY, "镇人大代表（户籍在西岭村）", "成员"),
                (C.PUBLIC_EMPLOYEE, "青溪镇林业站职工（西岭村人）", "成员"),
                (C.RESPECTED, "西岭村老年人协会会长", "成员"),
            ),
        ),
        (
            VILLAGES[2],
            90,
            (
                (C.VILLAGER_REP, "南塘村村民代表（塘东组）", "召集人"),
                (C.VILLAGER_REP, "南塘村村民代表（塘西组）", "成员"),
                (C.VILLAGER_REP, "南塘村村民代表（塘北组）", "成员"),
                (C.VILLAGER_REP, "南塘村村民代表（新村组）", "成员"),
                (C.MERCHANT, "南塘村小超市经营户", "成员"),
                (C.MERCHANT, "水产品经销商户", "成员"),
                (C.COOPERATIVE, "南塘水产养殖专业合作社理事长", "成员"),
                (C.CPPCC_MEMBER, "县政协委员（户籍在南塘村）", "成员"),
                (C.PUBLIC_EMPLOYEE, "青溪镇卫生院医生（南塘村人）", "成员"),
                (C.RESPECTED, "老党员、退役军人", "成员"),
                (C.RESPECTED, "南塘村红白理事会会长", "成员"),
            ),
        ),
    )
)

ROSTERS = (TOWN_COMMITTEE, TOWN_ADVISORY, *VILLAGE_COUNCILS)

# Committee members with an account, spread over the sectors of the roster.
_MEMBER_ACCOUNTS = (0, 1, 4, 5, 8, 11, 12, 16, 20, 23)

ACCOUNTS = (
    AccountSpec(
        "admin",
        Role.ADMINISTRATOR,
        TOWNSHIP.code,
        _person(0, "青溪镇党政办信息化管理员", reachable=True),
        superuser=True,
    ),
    AccountSpec(
        "secretary",
        Role.TOWNSHIP_SECRETARY,
        TOWNSHIP.code,
        _person(1, "青溪镇党委书记", reachable=True),
    ),
    AccountSpec(
        "deputy",
        Role.TOWNSHIP_DEPUTY,
        TOWNSHIP.code,
        _person(2, "青溪镇党委副书记（分管协商民主工作）", reachable=True),
    ),
    AccountSpec(
        "town_clerk",
        Role.TOWNSHIP_CLERK,
        TOWNSHIP.code,
        _person(3, "青溪镇党政办（协商办）干部", reachable=True),
    ),
    *(
        AccountSpec(
            f"v{n}_{suffix}",
            role,
            village.code,
            _person(2 + 2 * n + offset, f"{village.name}{title}", reachable=True),
        )
        for n, village in enumerate(VILLAGES, start=1)
        for offset, (suffix, role, title) in enumerate(
            (
                ("secretary", Role.VILLAGE_SECRETARY, "党支部书记"),
                ("clerk", Role.VILLAGE_CLERK, "村委会文书"),
            )
        )
    ),
    *(
        AccountSpec(
            f"member{n:02d}",
            Role.MEMBER,
            TOWNSHIP.code,
            TOWN_COMMITTEE.members[index].person,
        )
        for n, index in enumerate(_MEMBER_ACCOUNTS, start=1)
    ),
    *(
        AccountSpec(
            f"resident{n:02d}",
            Role.RESIDENT,
            VILLAGES[(n - 1) // 2].code,
            _person(9 + n, f"{VILLAGES[(n - 1) // 2].name}村民"),
        )
        for n in range(1, 7)
    ),
)


@dataclass(frozen=True)
class Act:
    """One step taken through topics.services.topic_transition."""

    action: str
    by: str
    reason: str = ""


@dataclass(frozen=True)
class TopicSpec:
    """A demo topic.

    Topics reachable with the services today carry their ``acts``; those in
    steps 2-5 carry a ``seeded_state`` and how many days they have been in it.
    """

    place: str
    body: BodyKind
    title: str
    description: str
    category: Category
    tag: Tag
    forms: tuple[Form, ...]
    source: Source
    proposer: str
    drafter: str
    acts: tuple[Act, ...] = ()
    seeded_state: State | None = None
    days_in_state: int = 0
    planned: tuple[int, int] | None = None


def _name_of(roster: RosterSpec, index: int) -> str:
    return roster.members[index].person.name


def _resident(n: int) -> str:
    return next(a.person.name for a in ACCOUNTS if a.username == f"resident{n:02d}")


# The reasons on the ``demo_seed`` audit events say how each topic was built.
SEED_REASON_DRAFT = "演示数据：议题以草稿建立，随后经各步骤的服务推进到当前状态。"
SEED_REASON_IN_STATE = (
    "演示数据：议题直接建于“开展协商”，协商准备阶段的记录作为历史补入本链。"
)
SEED_REASON_HISTORY = "演示数据：补入议题进入“开展协商”之前的这条记录。"
_T, _V1, _V2, _V3 = TOWNSHIP.code, *(v.code for v in VILLAGES)
B = BodyKind

TOPICS = (
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="青溪镇2027年民生实事项目安排",
        description=(
            "根据年度协商计划，镇政府梳理了群众来信来访、“两代表一委员”建议和各村上报"
            "的需求，初步提出2027年民生实事候选项目12项，涉及农村饮水提升、镇区公厕改造、"
            "老年助餐点、乡村公交加密等，预计总投资约1860万元。拟通过会议审议协商和网络"
            "互动协商听取各方意见，确定实施项目和资金安排。"
        ),
        category=Category.T4,
        tag=Tag.LIVELIHOOD,
        forms=(Form.T_MEETING, Form.T_ONLINE),
        source=Source.ANNUAL_PLAN,
        proposer="青溪镇人民政府",
        drafter="town_clerk",
        planned=(20, 45),
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="镇区停车秩序整治方案",
        description=(
            "镇区老街和农贸市场周边车辆乱停乱放，早晚高峰拥堵，消防通道时常被占用。"
            "方案拟在镇区新增公共停车泊位约180个，实行分时段停车管理，并明确沿街商户"
            "装卸货时段。"
        ),
        category=Category.T3,
        tag=Tag.PUBLIC_INTEREST,
        forms=(Form.T_MEETING, Form.T_INTERVIEW),
        source=Source.RESIDENTS,
        proposer="镇区老街居民联名（32户）",
        drafter="town_clerk",
        acts=(
            Act("submit", "town_clerk"),
            Act(
                "return_for_revision",
                "deputy",
                "请补充镇区停车泊位测算，并扩大沿街商户和流动摊贩的意见征求范围后再提交。",
            ),
        ),
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="镇区农贸市场改造提升方案",
        description=(
            "镇区农贸市场建于1998年，棚顶漏雨、排水不畅、摊位划分混乱，群众和代表多次"
            "反映。方案拟投资约650万元对市场整体改造，分区设置生鲜、熟食和农民自产自销区，"
            "改造期间设临时过渡市场。需就改造方式、摊位重新分配和过渡安排征求经营户和"
            "群众意见。"
        ),
        category=Category.T4,
        tag=Tag.LIVELIHOOD,
        forms=(Form.T_MEETING, Form.T_INSPECTION),
        source=Source.DEPUTIES,
        proposer=f"镇人大代表{_name_of(TOWN_COMMITTEE, 6)}等6名代表联名",
        drafter="town_clerk",
        acts=(Act("submit", "town_clerk"),),
        planned=(14, 30),
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="青溪镇国土空间总体规划（2026—2035年）镇区部分",
        description=(
            "县自然资源和规划局已完成青溪镇国土空间总体规划初稿。镇区部分涉及城镇开发"
            "边界划定、工业用地布局调整和镇区道路网规划，与群众生产生活密切相关。拟邀请"
            "镇公共决策咨询委员会专家研讨咨询，并向镇协商民主委员会委员书面征询意见。"
        ),
        category=Category.T1,
        tag=Tag.PUBLIC_DECISION,
        forms=(Form.T_SEMINAR, Form.T_WRITTEN),
        source=Source.ANNUAL_PLAN,
        proposer="青溪镇人民政府",
        drafter="town_clerk",
        acts=(
            Act("submit", "town_clerk"),
            Act("approve", "secretary", "同意列入本年度协商计划，请做好协商准备。"),
        ),
        planned=(15, 60),
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="青溪溪道综合治理及滨水步道建设",
        description=(
            "青溪流经镇区及东坑、南塘两村，部分河段淤积、护岸破损，汛期存在安全隐患。"
            "项目拟清淤疏浚河道4.2公里、修复护岸，并沿溪建设滨水步道和休闲节点，总投资"
            "约2300万元，需协商沿岸少量农田征用和临时占地补偿问题。"
        ),
        category=Category.T2,
        tag=Tag.PUBLIC_WELFARE,
        forms=(Form.T_MEETING, Form.T_INSPECTION),
        source=Source.LEADERSHIP,
        proposer="青溪镇党委、镇政府班子",
        drafter="town_clerk",
        seeded_state=State.CONSULTING,
        days_in_state=40,
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="青溪镇居家养老服务中心运营方式",
        description=(
            "镇居家养老服务中心已建成，拟在公办公营和委托专业机构运营两种方式中选定一种，"
            "并确定助餐、日间照料的收费标准和对高龄、低保老人的补助办法。协商中已收集"
            "委员和老年人代表意见23条，正在汇总研究。"
        ),
        category=Category.T3,
        tag=Tag.LIVELIHOOD,
        forms=(Form.T_MEETING, Form.T_WRITTEN, Form.T_INTERVIEW),
        source=Source.ANNUAL_PLAN,
        proposer="青溪镇人民政府",
        drafter="town_clerk",
        seeded_state=State.ADOPTING,
        days_in_state=13,
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="镇区生活垃圾分类收运体系建设",
        description=(
            "按照县里部署，在镇区推行生活垃圾“四分类”，新建分类投放点46个和镇级中转站"
            "1座。经协商确定了定时定点投放、收运频次和督导员配置方案，现进入落实阶段，"
            "定期公示实施进展。"
        ),
        category=Category.T3,
        tag=Tag.PUBLIC_INTEREST,
        forms=(Form.T_MEETING, Form.T_ONLINE),
        source=Source.ASSIGNED,
        proposer="临江县综合行政执法局交办",
        drafter="town_clerk",
        seeded_state=State.FEEDBACK,
        days_in_state=25,
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="青溪镇2026年民生实事项目安排",
        description=(
            "2026年民生实事项目经镇协商民主委员会会议审议协商和网上征求意见，确定实施"
            "10项，已按期完成并公示，协商档案已归档。"
        ),
        category=Category.T4,
        tag=Tag.LIVELIHOOD,
        forms=(Form.T_MEETING, Form.T_ONLINE),
        source=Source.ANNUAL_PLAN,
        proposer="青溪镇人民政府",
        drafter="town_clerk",
        seeded_state=State.ARCHIVED,
        days_in_state=30,
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_GOVERNMENT,
        title="镇区主干道夜间开设夜市摊位",
        description=(
            "部分个体经营户提出在镇区青溪路每晚18时至23时开设夜市，设置摊位约60个，"
            "以增加收入、活跃镇区夜间经济。"
        ),
        category=Category.T5,
        tag=Tag.LIVELIHOOD,
        forms=(Form.T_MEETING,),
        source=Source.RESIDENTS,
        proposer="镇区个体经营户联名（15户）",
        drafter="town_clerk",
        acts=(
            Act("submit", "town_clerk"),
            Act(
                "reject",
                "secretary",
                "青溪路是镇区主干道和消防通道，不宜夜间占道经营；请结合农贸市场改造统筹"
                "考虑夜市选址后另行提出。",
            ),
        ),
    ),
    TopicSpec(
        place=_T,
        body=B.TOWN_PARTY,
        title="青溪镇中心小学学区范围调整",
        description=(
            "镇区新建住宅小区入住人口增加，中心小学学位紧张。拟调整中心小学与东坑、南塘"
            "两个村小的学区范围，并优化校车线路。"
        ),
        category=Category.T3,
        tag=Tag.PUBLIC_INTEREST,
        forms=(Form.T_MEETING, Form.T_WRITTEN),
        source=Source.LEADERSHIP,
        proposer="青溪镇党委",
        drafter="town_clerk",
        acts=(
            Act("submit", "town_clerk"),
            Act("approve", "secretary"),
            Act(
                "withdraw",
                "secretary",
                "县教育局已统一部署全县学区划分调整，本镇不再单独协商，相关意见转报县教育局。",
            ),
        ),
    ),
    TopicSpec(
        place=_V1,
        body=B.VILLAGE_COMMITTEE,
        title="东坑村村道硬化及路灯安装",
        description=(
            "东坑村上坑、下坑两个自然村之间3.6公里村道仍为砂石路面，雨天泥泞，夜间无照明。"
            "拟对村道进行水泥硬化（宽4.5米），安装太阳能路灯120盏，预算约210万元，其中"
            "上级补助150万元、村集体自筹60万元。需协商筹资方式和施工占用农田的补偿办法。"
        ),
        category=Category.V4,
        tag=Tag.LIVELIHOOD,
        forms=(Form.V_MEETING, Form.V_TALK),
        source=Source.RESIDENTS,
        proposer=f"东坑村村民{_resident(1)}等28户",
        drafter="v1_clerk",
        seeded_state=State.CONSULTING,
        days_in_state=12,
    ),
    TopicSpec(
        place=_V1,
        body=B.VILLAGE_COMMITTEE,
        title="东坑村茶园集体入股专业合作社方案",
        description=(
            "村集体拟以村部旧仓库和80亩集体茶园经营权入股东坑茶叶专业合作社，按保底加"
            "分红方式取得收益，收益用于村内公益事业和困难户帮扶。需就入股资产作价、分红"
            "比例和监督方式征求村民意见。"
        ),
        category=Category.V4,
        tag=Tag.PUBLIC_INTEREST,
        forms=(Form.V_MEETING, Form.V_WRITTEN),
        source=Source.LEADERSHIP,
        proposer="东坑村党支部、村委会",
        drafter="v1_clerk",
        acts=(Act("submit", "v1_clerk"),),
    ),
    TopicSpec(
        place=_V1,
        body=B.VILLAGE_BRANCH,
        title="东坑村2026年度村级工作计划",
        description=(
            "2026年度村级工作计划围绕茶产业提质、人居环境整治和村道建设，列出重点工作"
            "9项，经村协商民主议事会协商、村民代表会议表决通过，已公示并归档。"
        ),
        category=Category.V1,
        tag=Tag.PUBLIC_AFFAIRS,
        forms=(Form.V_MEETING,),
        source=Source.ANNUAL_PLAN,
        proposer="东坑村党支部",
        drafter="v1_clerk",
        seeded_state=State.ARCHIVED,
        days_in_state=200,
    ),
    TopicSpec(
        place=_V1,
        body=B.VILLAGE_COMMITTEE,
        title="东坑村幸福食堂（老年助餐点）建设",
        description=(
            "东坑村70周岁以上老人186人，其中独居老人43人。拟利用村部一楼闲置用房建设"
            "幸福食堂，为老人提供午餐，探索“政府补一点、村集体出一点、老人付一点、社会"
            "捐一点”的运营方式。"
        ),
        category=Category.V7,
        tag=Tag.LIVELIHOOD,
        forms=(Form.V_MEETING, Form.V_TALK),
        source=Source.RESIDENTS,
        proposer="东坑村老年人协会",
        drafter="v1_clerk",
    ),
    TopicSpec(
        place=_V2,
        body=B.VILLAGE_BRANCH,
        title="西岭村村规民约修订",
        description=(
            "现行村规民约制定于2015年，部分条款已不适应实际。修订稿新增移风易俗(红白"
            "喜事简办)、森林防火和野外用火管理、垃圾分类、民宿经营规范等内容。协商中"
            "收集意见41条，正在逐条研究采纳情况，修订稿须经村民代表会议表决。"
        ),
        category=Category.V3,
        tag=Tag.PUBLIC_AFFAIRS,
        forms=(Form.V_MEETING, Form.V_WRITTEN, Form.V_ONLINE),
        source=Source.LEADERSHIP,
        proposer="西岭村党支部、村委会",
        drafter="v2_clerk",
        seeded_state=State.ADOPTING,
        days_in_state=5,
    ),
    TopicSpec(
        place=_V2,
        body=B.VILLAGE_COMMITTEE,
        title="西岭村闲置农房盘活发展民宿方案",
        description=(
            "西岭村有闲置农房60余栋。拟由村集体统一流转部分闲置农房，引入运营企业发展"
            "民宿，农户按租金加分红取得收益。需协商流转期限、租金标准、收益分配和对周边"
            "村民的影响。"
        ),
        category=Category.V4,
        tag=Tag.PUBLIC_INTEREST,
        forms=(Form.V_MEETING, Form.V_TALK),
        source=Source.ANNUAL_PLAN,
        proposer="西岭村村委会",
        drafter="v2_clerk",
        acts=(
            Act("submit", "v2_clerk"),
            Act(
                "approve", "v2_secretary", "同意，请邀请相关农户和民宿经营户参加协商。"
            ),
        ),
        planned=(10, 40),
    ),
    TopicSpec(
        place=_V2,
        body=B.VILLAGE_COMMITTEE,
        title="西岭村集体山林整体转让外地企业经营",
        description=(
            "有外地企业提出以每亩每年35元的价格一次性承包西岭村集体山林1200亩，期限50年，"
            "用于种植经济林。"
        ),
        category=Category.V4,
        tag=Tag.PUBLIC_INTEREST,
        forms=(Form.V_MEETING,),
        source=Source.LEADERSHIP,
        proposer="西岭村村委会",
        drafter="v2_clerk",
        acts=(
            Act("submit", "v2_clerk"),
            Act(
                "reject",
                "v2_secretary",
                "转让期限长达50年，且未经资产评估和公开招标，不符合集体资产处置的规定；"
                "请先开展资产评估，按程序研究流转方式后再提出。",
            ),
        ),
    ),
    TopicSpec(
        place=_V3,
        body=B.VILLAGE_COMMITTEE,
        title="南塘村集体鱼塘承包方案",
        description=(
            "南塘村集体鱼塘12口共168亩，原承包合同年底到期。经协商确定采用公开竞价方式"
            "发包，承包期5年，本村村民同等条件下优先，承包收入纳入村集体收入统一管理，"
            "并明确生态养殖和塘堤维护要求。现正组织实施，发包结果和合同签订情况按村务"
            "公开要求公示。"
        ),
        category=Category.V4,
        tag=Tag.PUBLIC_INTEREST,
        forms=(Form.V_MEETING, Form.V_TALK),
        source=Source.ANNUAL_PLAN,
        proposer="南塘村村委会",
        drafter="v3_clerk",
        seeded_state=State.FEEDBACK,
        days_in_state=86,
    ),
    TopicSpec(
        place=_V3,
        body=B.VILLAGE_COMMITTEE,
        title="南塘村生活污水管网接户改造",
        description=(
            "南塘村约210户生活污水直排鱼塘和沟渠，村民反映强烈。项目拟铺设污水支管"
            "5.8公里并接入镇区污水管网，需协商户内改造费用分担，以及管线经过农户宅基地"
            "和鱼塘的处理办法。"
        ),
        category=Category.V6,
        tag=Tag.LIVELIHOOD,
        forms=(Form.V_MEETING, Form.V_ONLINE),
        source=Source.RESIDENTS,
        proposer=f"南塘村村民代表{_name_of(VILLAGE_COUNCILS[2], 1)}等",
        drafter="v3_clerk",
        seeded_state=State.CONSULTING,
        days_in_state=35,
    ),
    TopicSpec(
        place=_V3,
        body=B.VILLAGE_COMMITTEE,
        title="南塘村2027年度宅基地安排使用方案",
        description=(
            "根据县里下达的年度宅基地计划指标，南塘村2027年可安排宅基地18宗。方案拟明确"
            "申请条件、审核顺序和选址区域，优先解决无房户、危房户和分户困难家庭，并张榜"
            "公开。"
        ),
        category=Category.V5,
        tag=Tag.PUBLIC_INTEREST,
        forms=(Form.V_MEETING, Form.V_WRITTEN),
        source=Source.ANNUAL_PLAN,
        proposer="南塘村村委会",
        drafter="v3_clerk",
    ),
    TopicSpec(
        place=_V3,
        body=B.VILLAGE_COMMITTEE,
        title="南塘村村部办公楼翻建",
        description=(
            "南塘村村部办公楼建于1986年，属危房。拟原址翻建三层办公楼，建筑面积约"
            "600平方米，预算约180万元，需村集体举债约60万元。"
        ),
        category=Category.V4,
        tag=Tag.PUBLIC_AFFAIRS,
        forms=(Form.V_MEETING,),
        source=Source.LEADERSHIP,
        proposer="南塘村村委会",
        drafter="v3_clerk",
        acts=(
            Act("submit", "v3_clerk"),
            Act(
                "withdraw",
                "v3_secretary",
                "镇里统一推进村级办公用房整合，本村村部拟与文化礼堂合建，原翻建议题撤回，"
                "另行提出。",
            ),
        ),
    ),
)
