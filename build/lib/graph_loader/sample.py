"""Synthetic, realistic sample data for credgraph (``credgraph sample``).

:func:`generate_sample` writes a data folder in the input contract of
``DESIGN.md`` §2 — ``enterprises.csv``, ``persons.csv``, ``relations.csv`` and
``list_entries.csv`` (UTF-8, header row, the contract's columns in order).

The data is deterministic for a seed (same arguments, same bytes): every random
choice comes from one ``random.Random(seed)``, and the Chinese names, streets
and e-mail names come from pools drawn once from ``Faker("zh_CN")`` seeded with
the same seed. Pools plus the RNG keep it fast: a million enterprises take a
minute or two, because Faker is never called per row.

What the data looks like (volumes at N enterprises):

* enterprises — N: mostly companies (``东莞市华盛电子科技有限公司``), some
  individual businesses, ~3 % branches (``…分公司``), social organisations,
  public institutions and farmer co-operatives; valid USCCs; contacts written
  in mixed formats (``+86 138 1234 5678``, ``(0769)22881234``, full-width
  digits) with ~2 % of firms reusing another firm's phone or address.
* persons — ~1.5·N: valid resident identity numbers (region code valid for the
  birth year in python-stdnum's table), ~0.5 % passports (``E`` + 8 digits,
  ``id_type=passport``); ~1 % share another person's phone.
* relations — ~4·N: one legal representative active today per enterprise,
  executives with titles, shareholders whose active shares sum to ≤ 100 %,
  declared actual controllers, ``branch_of``; roles go to persons with a
  heavy-tailed activity so some persons sit in dozens of firms; enterprise
  shareholders form chains several levels deep and a few deliberate ownership
  cycles; ~10 % of firms have an earlier legal representative or executive
  whose role ended before the successor's started.
* list entries — ~5 % of N: ≈1 % severe (``serious_dishonesty``,
  ``dishonest_debtor``, ``serious_illegal``, some on persons), plus
  ``abnormal_operation``, ``key_attention`` and ``red`` (red only on firms
  without severe entries); some removed, some with an expiry, a few decided
  after ``as_of``; severe enterprise entries sometimes name responsible persons
  who hold a role in the firm.
"""

from __future__ import annotations

import bisect
import csv
import random
import re
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from faker import Faker
from stdnum.cn import ric, uscc

from credgraph.model import (
    Category,
    EnterpriseKind,
    EnterpriseStatus,
    IdType,
    ListKind,
    RemovalReason,
    Role,
    Title,
)
from graph_loader.sources import COLUMNS

__all__ = [
    "DEFAULT_AS_OF",
    "ENTERPRISE_COLUMNS",
    "ENTRY_COLUMNS",
    "PERSON_COLUMNS",
    "RELATION_COLUMNS",
    "SampleSummary",
    "generate_sample",
]

#: Default evaluation day of the sample (fixed so the output is deterministic).
DEFAULT_AS_OF = date(2026, 11, 25)

ENTERPRISE_COLUMNS = COLUMNS["enterprises"]
PERSON_COLUMNS = COLUMNS["persons"]
RELATION_COLUMNS = COLUMNS["relations"]
ENTRY_COLUMNS = COLUMNS["list_entries"]

_PROGRESS_EVERY = 2000  # enterprises between two progress callbacks


@dataclass(frozen=True)
class SampleSummary:
    """Rows written per file by :func:`generate_sample`."""

    enterprises: int
    persons: int
    relations: int
    list_entries: int

    @property
    def total(self) -> int:
        """All data rows written (headers not counted)."""
        return self.enterprises + self.persons + self.relations + self.list_entries

    def __str__(self) -> str:
        return (
            f"{self.enterprises:,} enterprises, {self.persons:,} persons, "
            f"{self.relations:,} relations, {self.list_entries:,} list entries"
        )


# --------------------------------------------------------------------------- vocabularies


@dataclass(frozen=True)
class _City:
    name: str  # 东莞市
    province: str  # 广东省 (same as name for a municipality)
    code: str  # administrative division code used in USCCs
    area: str  # landline area code
    districts: tuple[str, ...]
    abbr: str  # province abbreviation used in court case numbers
    weight: int

    @property
    def short(self) -> str:
        return self.name[:-1]

    @property
    def region(self) -> str:
        return self.name if self.province == self.name else self.province + self.name

    @property
    def prefix(self) -> str:
        return self.region


_CITIES = (
    _City("东莞市", "广东省", "441900", "0769",
          ("南城街道", "东城街道", "莞城街道", "万江街道", "虎门镇", "长安镇", "厚街镇",
           "塘厦镇", "常平镇", "松山湖"), "粤", 30),
    _City("深圳市", "广东省", "440300", "0755",
          ("南山区", "福田区", "罗湖区", "宝安区", "龙岗区", "龙华区"), "粤", 14),
    _City("广州市", "广东省", "440100", "020",
          ("天河区", "越秀区", "海珠区", "白云区", "番禺区", "黄埔区"), "粤", 12),
    _City("佛山市", "广东省", "440600", "0757", ("禅城区", "南海区", "顺德区"), "粤", 6),
    _City("惠州市", "广东省", "441300", "0752", ("惠城区", "惠阳区", "博罗县"), "粤", 4),
    _City("珠海市", "广东省", "440400", "0756", ("香洲区", "斗门区", "金湾区"), "粤", 3),
    _City("三亚市", "海南省", "460200", "0898",
          ("海棠区", "吉阳区", "天涯区", "崖州区"), "琼", 2),
    _City("西宁市", "青海省", "630100", "0971",
          ("城东区", "城中区", "城西区", "城北区"), "青", 1),
    _City("北京市", "北京市", "110000", "010",
          ("朝阳区", "海淀区", "东城区", "西城区", "丰台区"), "京", 6),
    _City("上海市", "上海市", "310000", "021",
          ("浦东新区", "黄浦区", "徐汇区", "静安区", "闵行区"), "沪", 6),
    _City("杭州市", "浙江省", "330100", "0571",
          ("西湖区", "上城区", "拱墅区", "滨江区", "余杭区"), "浙", 4),
    _City("南京市", "江苏省", "320100", "025", ("玄武区", "鼓楼区", "秦淮区", "建邺区"), "苏", 3),
    _City("成都市", "四川省", "510100", "028", ("锦江区", "武侯区", "青羊区", "成华区"), "川", 3),
    _City("武汉市", "湖北省", "420100", "027", ("江岸区", "武昌区", "洪山区", "江汉区"), "鄂", 3),
    _City("西安市", "陕西省", "610100", "029", ("新城区", "雁塔区", "碑林区", "未央区"), "陕", 2),
)  # fmt: skip

#: Region codes of resident ids (checked per birth year against stdnum's table).
_PERSON_REGIONS = (
    ("441900", 8), ("440304", 3), ("440305", 3), ("440306", 3), ("440106", 3),
    ("440103", 2), ("440111", 2), ("441302", 2), ("440902", 2), ("110101", 2),
    ("110105", 2), ("110108", 2), ("310101", 2), ("310104", 2), ("120101", 1),
    ("330106", 2), ("330102", 1), ("320102", 1), ("320106", 1), ("510104", 2),
    ("420102", 2), ("610102", 1), ("210102", 1), ("370102", 1), ("350203", 1),
    ("430102", 2), ("410102", 2), ("500103", 1),
    # codes of places that were renamed: valid for earlier birth years
    ("442527", 8), ("442502", 6), ("442521", 2), ("440120", 3), ("440121", 2),
    ("440125", 2), ("440126", 2), ("440320", 3), ("440321", 2), ("630121", 1),
    ("330122", 1), ("510121", 1), ("430121", 1), ("350121", 1), ("320120", 1),
    ("420120", 1), ("610120", 1),
)  # fmt: skip

#: (industry as displayed, words used in company names)
_INDUSTRIES: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("制造业", ("电子科技", "五金制品", "塑胶制品", "模具", "服装", "家具", "机械设备",
                "包装材料", "精密机械", "光电科技", "新材料科技", "智能装备", "印刷"), 30),
    ("批发和零售业", ("贸易", "商贸", "进出口", "百货", "电子商务", "医疗器械"), 18),
    ("信息传输、软件和信息技术服务业", ("网络科技", "信息技术", "软件", "数据科技",
                                        "智能科技"), 10),
    ("建筑业", ("建设工程", "建筑工程", "装饰工程", "机电安装工程", "园林绿化工程"), 9),
    ("住宿和餐饮业", ("餐饮管理", "酒店管理", "饮食服务"), 5),
    ("租赁和商务服务业", ("企业管理咨询", "人力资源", "广告", "会展服务", "商务咨询"), 8),
    ("科学研究和技术服务业", ("检测技术", "生物科技", "环保科技", "技术研究"), 5),
    ("房地产业", ("房地产开发", "置业", "物业管理"), 4),
    ("交通运输、仓储和邮政业", ("物流", "供应链管理", "运输", "货运代理"), 6),
    ("农、林、牧、渔业", ("农业发展", "生态农业", "水产养殖"), 2),
    ("金融业", ("融资租赁", "商业保理", "小额贷款"), 1),
)  # fmt: skip
_HOLDING_INDUSTRY = "租赁和商务服务业"
_HOLDING_WORDS = ("投资", "实业投资", "投资控股", "控股集团", "实业发展", "投资管理")

_SHOPS = (
    ("五金店", "批发和零售业"), ("便利店", "批发和零售业"), ("餐馆", "住宿和餐饮业"),
    ("服装店", "批发和零售业"), ("美容美发店", "居民服务、修理和其他服务业"),
    ("汽车维修店", "居民服务、修理和其他服务业"), ("水果店", "批发和零售业"),
    ("电器商行", "批发和零售业"), ("建材经营部", "批发和零售业"), ("茶行", "批发和零售业"),
    ("日用品商行", "批发和零售业"), ("图文快印店", "租赁和商务服务业"),
    ("小吃店", "住宿和餐饮业"), ("手机维修店", "居民服务、修理和其他服务业"),
)  # fmt: skip
_ASSOCIATIONS = ("电子行业协会", "物流行业协会", "餐饮行业协会", "个体劳动者协会", "企业家协会",
                 "软件行业协会", "模具行业协会", "家具行业协会", "潮汕商会", "湖南商会",
                 "江西商会", "福建商会", "四川商会", "质量协会", "信用协会",
                 "电子商务协会")  # fmt: skip
_PRIVATE_NONPROFIT = ("职业培训学校", "幼儿园", "养老服务中心", "社会工作服务中心", "艺术培训中心")
_INSTITUTIONS = ("文化服务中心", "公共就业服务中心", "农业技术推广站", "社区卫生服务中心",
                 "图书馆", "档案馆", "公证处", "产品质量监督检验所", "疾病预防控制中心",
                 "公共资源交易中心", "退役军人服务站", "综合服务中心")  # fmt: skip
_BRAND_CHARS = (
    "华盛鑫达源泰丰隆宏兴昌利恒通发祥瑞嘉德信诚联创凯腾宇辉明星天海金银鸿福安康永佳美顺豪博远航新科成力"
    "正邦富汇锦绿益荣群广迅志升晶雅威建业和合晟晖盈弘乐润彩峰景卓越众智协立伟宝元亚南方东启骏振瀚光耀"
)
#: Faker company prefixes that read as a place, an industry or a well-known firm
_NOT_BRANDS = ("公司", "电子", "信息", "软件", "计算机", "科技", "电脑", "数字", "国际", "开发区",
               "济南", "黄石", "襄樊", "浙大", "网新", "方正", "四通", "联通")  # fmt: skip
_STREET_SUFFIXES = ("大道", "路", "街", "一路", "二路", "北路", "南路", "东路", "西路")
_PLACES = ("工业园", "科技园", "大厦", "商业中心", "产业园", "广场")
_MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                    "151", "152", "155", "156", "157", "158", "159", "166", "176", "177",
                    "180", "181", "182", "185", "186", "187", "188", "189", "191",
                    "199")  # fmt: skip
_FREE_MAIL = ("163.com", "126.com", "qq.com", "sina.com", "foxmail.com", "139.com")

_SEVERE_CATEGORY: dict[Category, tuple[str, str]] = {
    # category: (department, reason)
    Category.FOOD_DRUG: (
        "市场监督管理局",
        "生产经营不符合食品安全标准的食品，情节严重，被处以罚款并没收违法所得",
    ),
    Category.ENVIRONMENT: (
        "生态环境局",
        "通过暗管偷排含重金属废水，超标排放污染物，被按日连续处罚",
    ),
    Category.CONSTRUCTION_QUALITY: ("住房和城乡建设局", "承建工程使用不合格钢筋，发生工程质量事故"),
    Category.WORK_SAFETY: ("应急管理局", "未落实安全生产主体责任，发生较大生产安全事故"),
    Category.FIRE_SAFETY: ("消防救援支队", "占用、堵塞消防通道，拒不整改，存在重大火灾隐患"),
    Category.COMPULSORY_CERTIFICATION: ("市场监督管理局", "销售未经强制性产品认证的电器产品"),
    Category.PRODUCT_RECALL: ("市场监督管理局", "拒不召回存在缺陷的产品"),
    Category.BRIBERY: ("公安局", "在工程招标过程中向国家工作人员行贿，被依法判处罚金"),
    Category.TAX_EVASION: (
        "税务局",
        "虚开增值税专用发票、偷税金额较大，被确定为重大税收违法失信主体",
    ),
    Category.MALICIOUS_DEBT_EVASION: ("中级人民法院", "恶意转移资产逃避债务"),
    Category.PAYMENT_ARREARS: ("中级人民法院", "拖欠货款、服务费用，经判决后仍拒不支付"),
    Category.WAGE_ARREARS: (
        "人力资源和社会保障局",
        "拖欠劳动者劳动报酬数额较大，经责令支付后逾期未支付",
    ),
    Category.ILLEGAL_FUNDRAISING: ("地方金融监督管理局", "以高额回报为诱饵向社会公众非法吸收资金"),
    Category.TELECOM_FRAUD: ("公安局", "为电信网络诈骗提供通信线路及支付结算帮助"),
    Category.CONTRACT_FRAUD: ("市场监督管理局", "利用合同骗取对方当事人财物，情节严重"),
    Category.PYRAMID_SELLING: ("市场监督管理局", "组织策划传销活动，被依法查处"),
    Category.UNLICENSED_OPERATION: ("市场监督管理局", "未取得许可擅自从事经营活动，拒不改正"),
    Category.COUNTERFEIT_GOODS: ("市场监督管理局", "生产销售假冒伪劣产品，货值金额较大"),
    Category.IP_INFRINGEMENT: ("市场监督管理局", "故意侵犯他人注册商标专用权，情节严重"),
    Category.QUALIFICATION_LENDING: ("住房和城乡建设局", "出借资质证书供他人投标承揽工程"),
    Category.BID_RIGGING: ("住房和城乡建设局", "在工程招标投标中围标串标，中标无效"),
    Category.FALSE_ADVERTISING: ("市场监督管理局", "发布虚假广告，欺骗、误导消费者"),
    Category.CONSUMER_INVESTOR_HARM: (
        "市场监督管理局",
        "以欺诈手段销售预付卡后关门停业，严重损害消费者权益",
    ),
    Category.CYBERSPACE_DISORDER: ("互联网信息办公室", "通过网络传播虚假信息，扰乱网络秩序"),
    Category.PUBLIC_DISORDER: ("公安局", "组织人员扰乱公共秩序，被依法处理"),
    Category.EXAM_CHEATING: ("教育局", "在国家职业资格考试中组织作弊"),
    Category.INSURANCE_FRAUD: ("金融监管分局", "伪造证明材料骗取保险金"),
    Category.REFUSING_COURT_JUDGMENT: (
        "中级人民法院",
        "有履行能力而拒不履行生效法律文书确定的义务",
    ),
    Category.EVADING_ENFORCEMENT: (
        "中级人民法院",
        "以虚假诉讼、虚假仲裁或者隐匿、转移财产等方法规避执行",
    ),
    Category.DEFENCE_OBLIGATION: ("人民武装部", "拒绝、逃避兵役登记和征集，拒不改正"),
}
_DEPT_ABBR = {
    "市场监督管理局": "市监", "生态环境局": "环", "住房和城乡建设局": "建", "应急管理局": "应急",
    "消防救援支队": "消", "公安局": "公", "税务局": "税稽", "人力资源和社会保障局": "人社",
    "地方金融监督管理局": "金", "互联网信息办公室": "网信", "教育局": "教", "金融监管分局": "金监",
    "人民武装部": "武", "中级人民法院": "法", "海关": "关",
}  # fmt: skip
_DEBTOR_CATEGORIES = (
    (Category.REFUSING_COURT_JUDGMENT, 50), (Category.EVADING_ENFORCEMENT, 25),
    (Category.MALICIOUS_DEBT_EVASION, 10), (Category.PAYMENT_ARREARS, 10),
    (Category.WAGE_ARREARS, 5),
)  # fmt: skip
_DEBTOR_REASONS = (
    "有履行能力而拒不履行生效法律文书确定的义务",
    "违反财产报告制度",
    "违反限制消费令",
    "以伪造证据、暴力、威胁等方法妨碍、抗拒执行",
    "无正当理由拒不履行执行和解协议",
)
_ILLEGAL_CATEGORIES = (
    Category.UNLICENSED_OPERATION, Category.FALSE_ADVERTISING, Category.COUNTERFEIT_GOODS,
    Category.FOOD_DRUG, Category.CONTRACT_FRAUD, Category.PYRAMID_SELLING,
    Category.COMPULSORY_CERTIFICATION, Category.IP_INFRINGEMENT, Category.CONSUMER_INVESTOR_HARM,
)  # fmt: skip
_PERSON_SD_CATEGORIES = (
    Category.TAX_EVASION, Category.EXAM_CHEATING, Category.INSURANCE_FRAUD,
    Category.TELECOM_FRAUD, Category.DEFENCE_OBLIGATION, Category.PUBLIC_DISORDER,
)  # fmt: skip
_KEY_ATTENTION_CATEGORIES = (
    Category.WAGE_ARREARS, Category.PAYMENT_ARREARS, Category.WORK_SAFETY, Category.ENVIRONMENT,
    Category.TAX_EVASION, Category.CONTRACT_FRAUD, Category.FALSE_ADVERTISING,
    Category.FIRE_SAFETY,
)  # fmt: skip
_ABNORMAL_REASONS = (
    "未依照规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在市场监督管理部门责令的期限内公示有关企业信息",
)
_RED_REASONS = (
    ("税务局", "纳税信用A级纳税人"),
    ("海关", "海关高级认证企业"),
    ("市场监督管理局", "守合同重信用企业"),
    ("人力资源和社会保障局", "劳动保障守法诚信示范单位"),
    ("市场监督管理局", "诚信经营示范企业"),
)
_COMMITMENT_REASON = "未履行信用承诺，列入重点关注名单"


# --------------------------------------------------------------------------- helpers


def _weighted_cum(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick_cum(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn with the weights behind the cumulative list ``cum``."""
    i = bisect.bisect_right(cum, rng.random() * cum[-1])
    return min(i, len(cum) - 1)


def _ric_ok(number: str) -> bool:
    """``ric.is_valid`` that also survives stdnum's KeyError on some region codes."""
    try:
        return bool(ric.is_valid(number))
    except KeyError:
        return False


def _org_code(body: str) -> str:
    """Organisation code (GB 11714): 8 characters plus its check character."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _bp_text(bp: int) -> str:
    """Basis points (hundredths of a percent) as a plain decimal: 5100 → '51'."""
    whole, frac = divmod(bp, 100)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:02d}".rstrip("0")


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ISO: dict[int, str] = {}


def _iso(ordinal: int) -> str:
    text = _ISO.get(ordinal)
    if text is None:
        text = _ISO[ordinal] = date.fromordinal(ordinal).isoformat()
    return text


# --------------------------------------------------------------------------- generator


class _Sample:
    """One generation run; holds the RNG, the pools and the cross-file state."""

    def __init__(self, n: int, seed: int, as_of: date) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.as_of = as_of.toordinal()
        self.first_day = date(1995, 1, 1).toordinal()
        self.last_est = min(date(2025, 12, 31).toordinal(), self.as_of - 120)
        if self.last_est <= self.first_day:
            raise ValueError("as_of must be after 1995-05-01")
        self._faker_pools(seed)
        self.city_cum = _weighted_cum([c.weight for c in _CITIES])
        self.industry_cum = _weighted_cum([w for _, _, w in _INDUSTRIES])
        self._region_table()

    # -- pools ------------------------------------------------------------------

    def _faker_pools(self, seed: int) -> None:
        fake = Faker("zh_CN")
        fake.seed_instance(seed)
        self.surnames = [fake.last_name() for _ in range(3000)]
        given = [fake.first_name() for _ in range(2000)]
        chars = sorted({c for g in given for c in g})
        rng = random.Random(seed ^ 0x5EED)
        given += [rng.choice(chars) + rng.choice(chars) for _ in range(1500)]
        self.given = given
        self.brands = sorted(
            b
            for b in {fake.company_prefix() for _ in range(600)}
            if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", b) and not any(w in b for w in _NOT_BRANDS)
        )
        streets = [fake.street_name() for _ in range(1500)]
        streets += [
            rng.choice(_BRAND_CHARS) + rng.choice(_BRAND_CHARS) + rng.choice(_STREET_SUFFIXES)
            for _ in range(1500)
        ]
        self.streets = streets
        self.user_names = [fake.user_name() for _ in range(1500)]
        domains = {fake.domain_name() for _ in range(800)}
        self.domains = sorted(d for d in domains if re.fullmatch(r"[a-z]{4,}\.(com|cn)", d))
        en = Faker("en_US")
        en.seed_instance(seed)
        self.foreign_names = [en.name() for _ in range(300)]

    def _region_table(self) -> None:
        """Per birth year, resident-id region codes stdnum accepts for that year."""
        self.regions_by_year: dict[int, tuple[list[str], list[float]]] = {}
        for year in range(1950, 2004):
            codes: list[str] = []
            weights: list[float] = []
            for code, weight in _PERSON_REGIONS:
                body = f"{code}{year}0101001"
                if _ric_ok(body + ric.calc_check_digit(body + "0")):
                    codes.append(code)
                    weights.append(weight)
            self.regions_by_year[year] = (codes, _weighted_cum(weights))

    # -- small builders -----------------------------------------------------------

    def city(self) -> int:
        return _pick_cum(self.rng, self.city_cum)

    def mobile(self) -> str:
        return self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"

    def landline(self, city: _City) -> str:
        rng = self.rng
        local = f"{rng.randrange(2, 9)}{rng.randrange(10_000_000):07d}"
        return city.area + local

    def show_phone(self, digits: str, area: str | None = None) -> str:
        """Render canonical digits the way people type them."""
        r = self.rng.random()
        if digits.startswith("1"):  # mobile
            if r < 0.6:
                return digits
            if r < 0.75:
                return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
            if r < 0.87:
                return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
            if r < 0.95:
                return f"+86 {digits}"
            return f"+86-{digits[:3]}-{digits[3:7]}-{digits[7:]}"
        n = len(area) if area else (3 if digits[1] in "12" else 4)
        code, local = digits[:n], digits[n:]
        if r < 0.5:
            return f"{code}-{local}"
        if r < 0.65:
            return digits
        if r < 0.8:
            return f"({code}){local}"
        return f"{code} {local[:4]} {local[4:]}"

    def brand(self) -> str:
        rng = self.rng
        if rng.random() < 0.1:
            return rng.choice(self.brands)
        a = rng.choice(_BRAND_CHARS)
        b = rng.choice(_BRAND_CHARS)
        while b == a:
            b = rng.choice(_BRAND_CHARS)
        if rng.random() < 0.15:
            return a + b + rng.choice(_BRAND_CHARS)
        return a + b

    def address(self, city: _City, district: str) -> str:
        rng = self.rng
        text = f"{city.prefix}{district}{rng.choice(self.streets)}{rng.randint(1, 399)}号"
        r = rng.random()
        if r < 0.35:
            text += f"{rng.choice(self.streets)[:2]}{rng.choice(_PLACES)}{rng.randint(1, 12)}栋"
            text += f"{rng.randint(1, 30)}{rng.randint(1, 20):02d}室"
        elif r < 0.6:
            text += f"{rng.randint(1, 30)}楼"
        return text

    def vary_address(self, text: str) -> str:
        r = self.rng.random()
        if r < 0.4:
            return text
        if r < 0.7:
            return text.translate(_FULLWIDTH)
        cut = self.rng.randrange(3, max(4, len(text) - 2))
        return f"{text[:cut]} {text[cut:]}"

    def person_name(self) -> str:
        return self.rng.choice(self.surnames) + self.rng.choice(self.given)

    # -- persons ------------------------------------------------------------------

    def write_persons(self, writer: Any, count: int) -> None:
        """Write persons.csv and keep what relations need (ids, birth years, weights)."""
        rng = self.rng
        ids: list[str] = []
        births = array("H")
        cum = array("d")
        seen: set[str] = set()
        phones: list[str] = []
        total = 0.0
        regions = self.regions_by_year
        for _ in range(count):
            year = int(rng.triangular(1950, 2004, 1976))
            year = min(year, 2003)
            if rng.random() < 0.005:
                pid = f"E{rng.randrange(100_000_000):08d}"
                while pid in seen:
                    pid = f"E{rng.randrange(100_000_000):08d}"
                id_type = IdType.PASSPORT.value
                name = rng.choice(self.foreign_names)
            else:
                codes, code_cum = regions[year]
                code = codes[_pick_cum(rng, code_cum)]
                day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
                while True:
                    body = f"{code}{day:%Y%m%d}{rng.randint(1, 999):03d}"
                    pid = body + ric.calc_check_digit(body + "0")
                    if pid not in seen:
                        break
                id_type = IdType.RESIDENT_ID.value
                name = self.person_name()
            seen.add(pid)
            r = rng.random()
            if r < 0.01 and phones:
                phone = self.show_phone(rng.choice(phones[-500:]))  # shared with someone
            elif r < 0.75:
                digits = self.mobile()
                phones.append(digits)
                if len(phones) > 4000:
                    del phones[:2000]
                phone = self.show_phone(digits)
            else:
                phone = ""
            if rng.random() < 0.4:
                city = _CITIES[self.city()]
                address = self.address(city, rng.choice(city.districts))
            else:
                address = ""
            writer.writerow((pid, id_type, name, phone, address))
            ids.append(pid)
            births.append(year)
            total += min(80.0, rng.paretovariate(1.6))
            cum.append(total)
        self.person_ids = ids
        self.births = births
        self.person_cum = cum
        self.fresh = 0  # next person never used yet (every person gets a chance)
        self.elders = [i for i, y in enumerate(births) if y <= 1972] or [0]

    def pick_person(self, start: int, avoid: Sequence[int] = ()) -> int:
        """A person old enough (20+) on ordinal ``start``: heavy-tailed or a new one."""
        rng = self.rng
        max_birth = date.fromordinal(start).year - 20
        births = self.births
        if rng.random() < 0.5 and self.fresh < len(births):
            j = self.fresh
            if births[j] <= max_birth and j not in avoid:
                self.fresh += 1
                return j
        cum = self.person_cum
        top = cum[-1]
        last = len(cum) - 1
        for _ in range(12):
            j = bisect.bisect_right(cum, rng.random() * top)
            if j > last:
                j = last
            if births[j] <= max_birth and j not in avoid:
                return j
        while True:
            j = rng.choice(self.elders)
            if j not in avoid:
                return j

    # -- enterprises: plan ------------------------------------------------------

    def plan_enterprises(self) -> None:
        """Kinds, cities, founding days and USCCs of all enterprises, up front."""
        rng = self.rng
        n = self.n
        kinds = bytearray(n)  # index into _KIND_CODES
        cities = bytearray(n)
        est = array("i")
        holding = bytearray(n)
        usccs: list[str] = []
        seen: set[str] = set()
        span = self.last_est - self.first_day
        first = self.first_day
        ma_from = date(2015, 10, 1).toordinal()
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        for i in range(n):
            r = rng.random()
            k = 0 if r < 0.80 else 1 if r < 0.92 else 2 if r < 0.95 else 3 if r < 0.97 else 4
            k = 5 if r >= 0.995 else k  # farmer co-operatives
            if i < 20 and k == 2:
                k = 0  # branches need earlier parents
            kinds[i] = k
            c = self.city()
            cities[i] = c
            day = first + int(span * rng.random() ** 0.55)
            est.append(day)
            if k == 0 and rng.random() < 0.06:
                holding[i] = 1
            prefix = _KIND_CODES[k][rng.randrange(len(_KIND_CODES[k]))]
            region = _CITIES[c].code
            while True:
                if day >= ma_from and rng.random() < 0.8:
                    body = "MA" + "".join(rng.choices(alphabet[:10] + "ABCDEFGH", k=6))
                else:
                    body = f"{rng.randrange(10_000_000, 100_000_000)}"
                code17 = prefix + region + _org_code(body)
                code = code17 + uscc.calc_check_digit(code17)
                if code not in seen:
                    break
            seen.add(code)
            usccs.append(code)
        self.kinds = kinds
        self.cities = cities
        self.est = est
        self.holding = holding
        self.usccs = usccs

        # deliberate ownership cycles: member i is held by cycle_holder[i]
        self.cycle_holder: dict[int, int] = {}
        companies = [i for i in range(n) if kinds[i] == 0]
        cycles = min(20, 2 + n // 50_000) if len(companies) >= 12 else 0
        for _ in range(cycles):
            size = rng.choice((2, 3, 3, 3, 4))
            members: list[int] = []
            while len(members) < size:
                i = rng.choice(companies)
                if i not in self.cycle_holder and i not in members:
                    members.append(i)
            for pos, i in enumerate(members):
                self.cycle_holder[i] = members[pos - 1]

        # subjects of severe entries: their role holders are remembered
        n_severe = max(3, round(0.008 * n))
        # a quarter on holding companies, so related-by-control (P3) cases exist
        holders = [i for i in range(n) if holding[i]]
        on_holders = rng.sample(holders, min(len(holders), max(1, n_severe // 4)))
        rest = rng.sample(range(n), min(n_severe, n))
        self.severe_firms = list(dict.fromkeys(on_holders + rest))[:n_severe]
        self.severe_roles: dict[int, list[tuple[int, int, int]]] = {
            i: [] for i in self.severe_firms
        }

    # -- enterprises and relations -------------------------------------------------

    def write_enterprises(
        self,
        ent_writer: Any,
        rel_writer: Any,
        progress: Callable[[int], None] | None,
    ) -> int:
        """Write enterprises.csv and relations.csv together; returns relation rows."""
        rng = self.rng
        n = self.n
        as_of = self.as_of
        usccs = self.usccs
        pids = self.person_ids
        est = self.est
        kinds = self.kinds
        statuses = _STATUS_CHOICES
        ents = ent_writer.writerow
        rows: list[tuple[str, ...]] = []
        relations = 0
        recent: list[tuple[int, str]] = []  # (index, name) of recent companies: branch parents
        contacts: list[tuple[str, str, str]] = []  # (phone digits, area, address) to share
        holders = array("i")  # holding companies seen so far
        chained = array("i")  # firms with an enterprise shareholder: extend chains
        severe_roles = self.severe_roles
        cycle_holder = self.cycle_holder
        names: set[str] = set()  # registered names are unique (a few retries)

        for i in range(n):
            k = kinds[i]
            city = _CITIES[self.cities[i]]
            district = rng.choice(city.districts)
            start = est[i]
            code = usccs[i]
            parent = -1
            # ---- name, industry, capital
            if k == 2 and not recent:  # no parent yet: a company then (same USCC prefix)
                k = kinds[i] = 0
            kind = _KIND_NAMES[k]
            if k == 2:
                parent, parent_name = rng.choice(recent)
                place = district[:2] if self.cities[parent] == self.cities[i] else city.short
                name = f"{parent_name}{place}分公司"
                if name in names:
                    name = f"{parent_name}{place}第二分公司"
                industry = ""
                capital = ""
                start = est[parent] + rng.randint(30, 3000)
                if start > self.last_est:
                    start = rng.randint(min(est[parent] + 1, self.last_est), self.last_est)
                est[i] = start
            else:
                for _ in range(6):
                    name, industry, capital = self._name(i, k, city, district)
                    if name not in names:
                        break
            names.add(name)
            if k == 0:
                recent.append((i, name))
                if len(recent) > 600:
                    del recent[:300]
            # ---- contacts
            r = rng.random()
            if r < 0.02 and contacts:
                digits, area, address = rng.choice(contacts)
                if r < 0.01:
                    phone = self.show_phone(digits, area)
                    address = self.address(city, district)
                else:
                    address = self.vary_address(address)
                    phone = self.show_phone(*self._firm_phone(city))
            else:
                digits, area = self._firm_phone(city)
                address = self.address(city, district)
                phone = self.show_phone(digits, area) if rng.random() < 0.88 else ""
                if phone and rng.random() < 0.05:
                    contacts.append((digits, area, address))
                    if len(contacts) > 400:
                        del contacts[:200]
            email = self._email() if k != 1 and rng.random() < 0.45 else ""
            status = statuses[_pick_cum(rng, _STATUS_CUM)]
            ents(
                (
                    code,
                    name,
                    kind,
                    status,
                    _iso(start),
                    capital,
                    city.region,
                    industry,
                    address,
                    phone,
                    email,
                )
            )

            # ---- relations
            remember = severe_roles.get(i)
            rows.clear()
            boss = self.pick_person(start)
            lr_from = start
            if rng.random() < 0.06 and start < as_of - 400:
                end = rng.randint(start + 180, as_of - 60)
                before = self.pick_person(start, (boss,))
                rows.append((pids[before], code, _LR, "", "", _iso(start), _iso(end)))
                if remember is not None:
                    remember.append((before, start, end))
                lr_from = end + 1
            rows.append((pids[boss], code, _LR, "", "", _iso(lr_from), ""))
            if remember is not None:
                remember.append((boss, lr_from, as_of + 3650))

            # executives
            titles = _exec_titles(rng, k)
            used = [boss]
            for pos, title in enumerate(titles):
                if pos == 0 and rng.random() < 0.8:
                    who = boss
                    since = lr_from if lr_from != start and rng.random() < 0.7 else start
                else:
                    who = self.pick_person(start, used)
                    used.append(who)
                    since = start
                if pos > 0 and rng.random() < 0.08 and start < as_of - 400:
                    end = rng.randint(start + 180, as_of - 60)
                    before = self.pick_person(start, used)
                    used.append(before)
                    rows.append((pids[before], code, _EXEC, title, "", _iso(start), _iso(end)))
                    if remember is not None:
                        remember.append((before, start, end))
                    since = end + 1
                rows.append((pids[who], code, _EXEC, title, "", _iso(since), ""))
                if remember is not None:
                    remember.append((who, since, as_of + 3650))

            # shareholders
            if k in (0, 1, 5):
                self._shareholders(i, k, boss, start, rows, holders, chained, cycle_holder)
            if k == 0 and rng.random() < 0.05:
                who = boss if rng.random() < 0.6 else self.pick_person(start, (boss,))
                rows.append((pids[who], code, _AC, "", "", _iso(start), ""))
            if parent >= 0:
                rows.append((code, usccs[parent], _BRANCH, "", "", _iso(start), ""))
            if k == 0 and self.holding[i]:
                holders.append(i)
            rel_writer.writerows(rows)
            relations += len(rows)
            if progress is not None and (i + 1) % _PROGRESS_EVERY == 0:
                progress(i + 1)
        return relations

    def _name(self, i: int, k: int, city: _City, district: str) -> tuple[str, str, str]:
        """Name, industry and registered capital of a firm that is not a branch."""
        rng = self.rng
        if k == 0:
            if self.holding[i]:
                industry = _HOLDING_INDUSTRY
                word = rng.choice(_HOLDING_WORDS)
            else:
                industry, words, _ = _INDUSTRIES[_pick_cum(rng, self.industry_cum)]
                word = rng.choice(words)
            brand = self.brand()
            r = rng.random()
            if r < 0.75:
                name = f"{city.name}{brand}{word}有限公司"
            elif r < 0.85:
                name = f"{city.name}{brand}{word}股份有限公司"
            elif r < 0.95:
                name = f"{brand}（{city.short}）{word}有限公司"
            else:
                name = f"{city.province[:2]}{brand}{word}有限公司"
            return name, industry, str(rng.choice(_CAPITALS) * 10_000)
        if k == 1:
            shop, industry = rng.choice(_SHOPS)
            name = f"{city.name}{district[:2]}{self.brand()}{shop}"
            capital = rng.choice((3, 5, 10, 20, 30, 50)) * 10_000 if rng.random() < 0.5 else 0
            return name, industry, str(capital) if capital else ""
        if k == 3:
            r = rng.random()
            if r < 0.1:
                name = f"{city.name}{rng.choice(_ASSOCIATIONS)}"
            elif r < 0.4:
                name = f"{city.name}{district}{rng.choice(_ASSOCIATIONS)}"
            else:
                kind = rng.choice(_PRIVATE_NONPROFIT)
                name = f"{city.name}{district[:2]}{self.brand()}{kind}"
                industry = "教育" if kind.endswith(("学校", "园", "中心")) else "卫生和社会工作"
                return name, industry, str(rng.choice((3, 10, 50)) * 10_000)
            return name, "公共管理、社会保障和社会组织", str(rng.choice((3, 10, 50)) * 10_000)
        if k == 4:
            r = rng.random()
            if r < 0.45:
                inst = rng.choice(("小学", "中学", "幼儿园", "实验学校"))
                name = f"{city.name}{district}{self.brand()}{inst}"
                industry = "教育"
            elif r < 0.7:
                name = f"{city.name}{district}{self.brand()}社区卫生服务站"
                industry = "卫生和社会工作"
            elif r < 0.8:
                inst = rng.choice(("人民医院", "中学", "中医院", "职业技术学校"))
                name = f"{city.name}第{'一二三四五六七八九'[rng.randrange(9)]}{inst}"
                industry = "卫生和社会工作" if "医院" in inst else "教育"
            else:
                name = f"{city.name}{district}{rng.choice(_INSTITUTIONS)}"
                industry = "公共管理、社会保障和社会组织"
            return name, industry, str(rng.choice((50, 100, 500, 1000)) * 10_000)
        name = f"{city.name}{district[:2]}{self.brand()}种养专业合作社"
        return name, "农、林、牧、渔业", str(rng.choice((10, 50, 100)) * 10_000)

    def _firm_phone(self, city: _City) -> tuple[str, str]:
        if self.rng.random() < 0.55:
            return self.landline(city), city.area
        return self.mobile(), ""

    def _email(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            text = f"{rng.randrange(10_000, 3_999_999_999)}@qq.com"
        elif r < 0.7:
            text = f"{rng.choice(self.user_names)}@{rng.choice(_FREE_MAIL)}"
        else:
            text = f"{rng.choice(('info', 'admin', 'hr', 'sales', 'service'))}@"
            text += rng.choice(self.domains)
        return text.upper() if rng.random() < 0.03 else text

    def _shareholders(
        self,
        i: int,
        k: int,
        boss: int,
        start: int,
        rows: list[tuple[str, ...]],
        holders: array[int],
        chained: array[int],
        cycle_holder: dict[int, int],
    ) -> None:
        """Shareholder rows of firm ``i``; active shares sum to at most 100 %."""
        rng = self.rng
        code = self.usccs[i]
        est = self.est
        pids = self.person_ids
        as_of = self.as_of
        count = 1 if k != 0 else _SHARE_COUNTS[_pick_cum(rng, _SHARE_COUNT_CUM)]
        # shares in basis points
        total = 10_000 if rng.random() < 0.92 else rng.randint(60, 99) * 100
        unit = 1 if rng.random() < 0.15 else 100
        if count == 1:
            parts = [total]
        else:
            if rng.random() < 0.7:
                first = rng.randint(50, 90) * 100 * total // 10_000
                first -= first % unit
                rest = total - first
            else:
                first = -1
                rest = total
            slots = count - 1 if first >= 0 else count
            cuts = sorted(rng.sample(range(1, rest // unit), slots - 1)) if slots > 1 else []
            bounds = [0, *(c * unit for c in cuts), rest]
            parts = [bounds[j + 1] - bounds[j] for j in range(slots)]
            if first >= 0:
                parts.insert(0, first)
        # holders
        enterprise_holders: list[int] = []
        cyc = cycle_holder.get(i)
        if cyc is not None:
            enterprise_holders.append(cyc)
        elif k == 0 and rng.random() < 0.12 and (holders or chained):
            pool = chained if chained and (rng.random() < 0.45 or not holders) else holders
            enterprise_holders.append(pool[rng.randrange(len(pool))])
        used = [boss]
        boss_holds = not enterprise_holders and (k != 0 or rng.random() < 0.8)
        for pos, bp in enumerate(parts):
            since = start
            if pos == 0 and enterprise_holders:
                h = enterprise_holders[0]
                source = self.usccs[h]
                since = max(start, est[h] + 1)
            elif pos > 0 and rng.random() < 0.05 and (h := self._investor(i)) >= 0:
                if h in enterprise_holders:
                    continue
                source = self.usccs[h]
                since = max(start, est[h] + 1)
                enterprise_holders.append(h)
            elif pos == 0 and boss_holds:
                source = pids[boss]
            else:
                who = self.pick_person(start, used)
                used.append(who)
                source = pids[who]
                if rng.random() < 0.04 and start < as_of - 400:  # equity transfer
                    end = rng.randint(start + 180, as_of - 60)
                    before = self.pick_person(start, used)
                    used.append(before)
                    rows.append((pids[before], code, _SH, "", _bp_text(bp), _iso(start), _iso(end)))
                    since = end + 1
            rows.append((source, code, _SH, "", _bp_text(bp), _iso(since), ""))
        if enterprise_holders:
            chained.append(i)

    def _investor(self, i: int) -> int:
        """A random company other than ``i`` as minority investor, or -1."""
        for _ in range(3):
            h = self.rng.randrange(self.n)
            if h != i and self.kinds[h] == 0:
                return h
        return -1

    # -- list entries ---------------------------------------------------------------

    def write_entries(self, writer: Any) -> int:
        """Write list_entries.csv; returns the number of rows."""
        rng = self.rng
        n = self.n
        as_of = self.as_of
        counters: dict[str, int] = {}
        written = 0
        d2019 = date(2019, 1, 1).toordinal()

        def entry_id(prefix: str, decided: int) -> str:
            seq = counters.get(prefix, 0) + 1
            counters[prefix] = seq
            return f"{prefix}-{date.fromordinal(decided).year}-{seq:06d}"

        calls = 0

        def decided_on(since: int) -> int:
            nonlocal calls
            calls += 1
            lo = min(max(d2019, since + 90), as_of)
            if calls % 60 == 30:  # ~1.7 %: decided after the evaluation day
                return as_of + rng.randint(1, 90)
            return rng.randint(lo, as_of)

        def ending(
            decided: int,
            valid_years: float,
            p_valid: float,
            p_removed: float,
            reasons: Sequence[str],
        ) -> tuple[str, str, str]:
            valid = decided + int(365.25 * valid_years) if rng.random() < p_valid else 0
            removed = ""
            why = ""
            if decided + 30 <= as_of and rng.random() < p_removed:
                why = rng.choice(reasons)
                if why == RemovalReason.EXPIRED.value and valid and valid <= as_of:
                    removed = _iso(valid)
                else:
                    if why == RemovalReason.EXPIRED.value:
                        why = RemovalReason.REPAIRED.value
                    removed = _iso(rng.randint(decided + 30, as_of))
            return (_iso(valid) if valid else "", removed, why)

        def authority(dept: str, city: _City) -> str:
            if dept == "税务局":
                return f"国家税务总局{city.name}税务局"
            if dept == "中级人民法院":
                if city.name == "东莞市" and rng.random() < 0.6:
                    return f"东莞市{'第一' if rng.random() < 0.5 else '第二'}人民法院"
                return f"{city.name}中级人民法院"
            if dept == "金融监管分局":
                return f"国家金融监督管理总局{city.short}监管分局"
            if dept == "海关":
                return f"{city.short}海关"
            return f"{city.name}{dept}"

        def case_no(dept: str, city: _City, decided: int, kind: str = "罚") -> str:
            year = date.fromordinal(decided).year
            if dept == "中级人民法院":
                court = f"{city.code[2:4]}{rng.randint(1, 99):02d}"
                return f"（{year}）{city.abbr}{court}执{rng.randint(1, 20000)}号"
            return f"{city.short[0]}{_DEPT_ABBR[dept]}{kind}〔{year}〕{rng.randint(1, 3000)}号"

        def emit(row: tuple[str, ...]) -> None:
            nonlocal written
            writer.writerow(row)
            written += 1

        sd_removals = (RemovalReason.REPAIRED.value, RemovalReason.EXPIRED.value)
        dd_removals = (RemovalReason.COURT.value, RemovalReason.REPAIRED.value, "other")
        severe = set(self.severe_firms)

        # severe entries on enterprises
        for i in self.severe_firms:
            city = _CITIES[self.cities[i]]
            r = rng.random()
            decided = decided_on(self.est[i])
            if r < 0.4:
                lst, prefix = ListKind.SERIOUS_DISHONESTY, "SD"
                cat = rng.choice(list(_SEVERE_CATEGORY))
                dept, reason = _SEVERE_CATEGORY[cat]
                valid, removed, why = ending(decided, 3, 0.6, 0.15, sd_removals)
            elif r < 0.75:
                lst, prefix = ListKind.DISHONEST_DEBTOR, "DD"
                cat = _DEBTOR_CATEGORIES_LIST[_pick_cum(rng, _DEBTOR_CUM)]
                dept, reason = "中级人民法院", rng.choice(_DEBTOR_REASONS)
                valid, removed, why = ending(decided, 2, 0.3, 0.2, dd_removals)
            else:
                lst, prefix = ListKind.SERIOUS_ILLEGAL, "SI"
                cat = rng.choice(_ILLEGAL_CATEGORIES)
                dept, reason = "市场监督管理局", _SEVERE_CATEGORY[cat][1]
                valid, removed, why = ending(decided, 5, 0.5, 0.1, sd_removals)
            named = ""
            holders = self.severe_roles.get(i, [])
            if holders and rng.random() < 0.4:
                active = [p for p, s, e in holders if s <= decided <= e] or [
                    p for p, _, _ in holders
                ]
                chosen: list[int] = []
                for _ in range(1 if rng.random() < 0.7 else 2):
                    p = rng.choice(active)
                    if p not in chosen:
                        chosen.append(p)
                named = ";".join(self.person_ids[p] for p in chosen)
            emit(
                (
                    entry_id(prefix, decided),
                    self.usccs[i],
                    lst.value,
                    cat.value,
                    reason,
                    authority(dept, city),
                    case_no(dept, city, decided),
                    _iso(decided),
                    valid,
                    removed,
                    why,
                    named,
                )
            )

        # entries on persons, mostly dishonest debtors (often people with roles)
        births = self.births
        for _ in range(max(2, round(0.003 * n))):
            p = (
                self.pick_person(self.as_of - 1)
                if rng.random() < 0.7
                else rng.randrange(len(births))
            )
            city = _CITIES[self.city()]
            decided = decided_on(date(births[p] + 18, 6, 1).toordinal())
            r = rng.random()
            if r < 0.8:
                lst, prefix = ListKind.DISHONEST_DEBTOR, "DD"
                cat = _DEBTOR_CATEGORIES_LIST[_pick_cum(rng, _DEBTOR_CUM)]
                dept, reason = "中级人民法院", rng.choice(_DEBTOR_REASONS)
                valid, removed, why = ending(decided, 2, 0.2, 0.2, dd_removals)
            elif r < 0.9:
                lst, prefix = ListKind.SERIOUS_DISHONESTY, "SD"
                cat = rng.choice(_PERSON_SD_CATEGORIES)
                dept, reason = _SEVERE_CATEGORY[cat]
                valid, removed, why = ending(decided, 3, 0.6, 0.1, sd_removals)
            else:
                lst, prefix = ListKind.KEY_ATTENTION, "KA"
                cat = rng.choice(_KEY_ATTENTION_CATEGORIES)
                dept, reason = _SEVERE_CATEGORY[cat][0], _COMMITMENT_REASON
                valid, removed, why = ending(decided, 1, 0.7, 0.2, sd_removals)
            emit(
                (
                    entry_id(prefix, decided),
                    self.person_ids[p],
                    lst.value,
                    cat.value,
                    reason,
                    authority(dept, city),
                    case_no(dept, city, decided),
                    _iso(decided),
                    valid,
                    removed,
                    why,
                    "",
                )
            )

        # abnormal operations
        abnormal = rng.sample(range(n), min(n, max(3, round(0.025 * n))))
        for i in abnormal:
            city = _CITIES[self.cities[i]]
            decided = decided_on(self.est[i] + 365)
            valid, removed, why = ending(
                decided, 3, 0.0, 0.35, (RemovalReason.REPAIRED.value, "other")
            )
            emit(
                (
                    entry_id("AO", decided),
                    self.usccs[i],
                    ListKind.ABNORMAL_OPERATION.value,
                    "",
                    rng.choice(_ABNORMAL_REASONS),
                    authority("市场监督管理局", city),
                    case_no("市场监督管理局", city, decided, "异"),
                    _iso(decided),
                    valid,
                    removed,
                    why,
                    "",
                )
            )

        # key attention on enterprises
        for i in rng.sample(range(n), min(n, max(2, round(0.0065 * n)))):
            city = _CITIES[self.cities[i]]
            decided = decided_on(self.est[i])
            if rng.random() < 0.7:
                cat_text = rng.choice(_KEY_ATTENTION_CATEGORIES)
                dept, base = _SEVERE_CATEGORY[cat_text]
                reason = f"{base.split('，')[0]}，情节较轻，列入重点关注名单"
                category = cat_text.value
            else:
                dept, reason, category = "市场监督管理局", _COMMITMENT_REASON, ""
            valid, removed, why = ending(decided, 1, 0.7, 0.2, sd_removals)
            emit(
                (
                    entry_id("KA", decided),
                    self.usccs[i],
                    ListKind.KEY_ATTENTION.value,
                    category,
                    reason,
                    authority(dept, city),
                    case_no(dept, city, decided),
                    _iso(decided),
                    valid,
                    removed,
                    why,
                    "",
                )
            )

        # red list: only firms without severe entries nor abnormal operations
        blocked = severe | set(abnormal)
        wanted = max(2, round(0.008 * n))
        red: list[int] = []
        tries = 0
        while len(red) < wanted and tries < wanted * 20:
            tries += 1
            i = rng.randrange(n)
            if i not in blocked and self.kinds[i] in (0, 5):
                blocked.add(i)
                red.append(i)
        for i in red:
            city = _CITIES[self.cities[i]]
            decided = decided_on(self.est[i] + 3 * 365)
            dept, reason = rng.choice(_RED_REASONS)
            if dept == "税务局":
                reason = f"{date.fromordinal(decided).year - 1}年度{reason}"
            valid, removed, why = ending(
                decided, rng.choice((1, 2, 3)), 0.8, 0.05, (RemovalReason.EXPIRED.value, "other")
            )
            emit(
                (
                    entry_id("RL", decided),
                    self.usccs[i],
                    ListKind.RED.value,
                    "",
                    reason,
                    authority(dept, city),
                    case_no(dept, city, decided, "信"),
                    _iso(decided),
                    valid,
                    removed,
                    why,
                    "",
                )
            )
        return written


# --------------------------------------------------------------------------- constants of the run

_KIND_NAMES = (
    EnterpriseKind.COMPANY.value,
    EnterpriseKind.INDIVIDUAL_BUSINESS.value,
    EnterpriseKind.BRANCH.value,
    EnterpriseKind.SOCIAL_ORG.value,
    EnterpriseKind.PUBLIC_INSTITUTION.value,
    EnterpriseKind.OTHER.value,
)
#: USCC registration authority + organisation category per kind
_KIND_CODES = (("91",), ("92",), ("91",), ("51", "52"), ("12",), ("93",))
_STATUS_CHOICES = (
    EnterpriseStatus.ACTIVE.value,
    EnterpriseStatus.CANCELLED.value,
    EnterpriseStatus.REVOKED.value,
    EnterpriseStatus.OTHER.value,
)
_STATUS_CUM = _weighted_cum((88, 6, 4, 2))
_CAPITALS = (3, 10, 30, 50, 100, 100, 200, 300, 500, 500, 1000, 1000, 2000, 5000, 10000)
_SHARE_COUNTS = (1, 2, 3, 4)
_SHARE_COUNT_CUM = _weighted_cum((40, 35, 17, 8))
_DEBTOR_CATEGORIES_LIST = tuple(c for c, _ in _DEBTOR_CATEGORIES)
_DEBTOR_CUM = _weighted_cum([w for _, w in _DEBTOR_CATEGORIES])
_LR = Role.LEGAL_REPRESENTATIVE.value
_EXEC = Role.EXECUTIVE.value
_SH = Role.SHAREHOLDER.value
_AC = Role.ACTUAL_CONTROLLER.value
_BRANCH = Role.BRANCH_OF.value
_BOSS_TITLES = (Title.GENERAL_MANAGER.value, Title.DIRECTOR.value, Title.CHAIRMAN.value)


def _exec_titles(rng: random.Random, kind: int) -> list[str]:
    """Executive titles of one firm; the first is the one the boss may hold."""
    if kind == 1:  # individual business: the operator manages it
        return [Title.MANAGER.value]
    if kind == 2:  # branch: a branch manager
        return [Title.MANAGER.value]
    if kind in (3, 4):
        titles = [Title.CHAIRMAN.value if kind == 3 else Title.OTHER.value]
        if rng.random() < 0.5:
            titles.append(Title.DIRECTOR.value)
        return titles
    r = rng.random()
    count = 1 if r < 0.55 else 2 if r < 0.88 else 3
    first = rng.choice(_BOSS_TITLES)
    titles = [first]
    if count >= 2:
        titles.append(Title.SUPERVISOR.value)
    if count >= 3:
        extra = (
            Title.MANAGER.value
            if first == Title.GENERAL_MANAGER.value
            else rng.choice(
                (Title.GENERAL_MANAGER.value, Title.DIRECTOR.value, Title.MANAGER.value)
            )
        )
        titles.append(extra)
    return titles


# --------------------------------------------------------------------------- entry point


def generate_sample(
    out: Path,
    enterprises: int,
    seed: int = 42,
    as_of: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> SampleSummary:
    """Write a synthetic data folder (DESIGN §2) for ``enterprises`` enterprises.

    ``out`` is created if missing; the four CSV files in it are overwritten.
    The output is byte-for-byte the same for the same arguments. ``as_of``
    (default :data:`DEFAULT_AS_OF`) is the day the data is "current" on: every
    enterprise has exactly one legal representative active on it, and a few
    list entries are decided after it. ``progress`` is called now and then with
    the number of enterprises written so far (cumulative, ending at
    ``enterprises``; persons are written before and list entries after).
    """
    if enterprises < 1:
        raise ValueError("enterprises must be at least 1")
    day = as_of or DEFAULT_AS_OF
    out.mkdir(parents=True, exist_ok=True)
    gen = _Sample(enterprises, seed, day)
    n_persons = max(10, round(1.5 * enterprises))

    def open_csv(name: str, header: Sequence[str]) -> tuple[Any, Any]:
        handle = (out / name).open("w", encoding="utf-8", newline="", buffering=1 << 20)
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        return handle, writer

    handle, writer = open_csv("persons.csv", PERSON_COLUMNS)
    with handle:
        gen.write_persons(writer, n_persons)
    gen.plan_enterprises()
    ent_handle, ent_writer = open_csv("enterprises.csv", ENTERPRISE_COLUMNS)
    rel_handle, rel_writer = open_csv("relations.csv", RELATION_COLUMNS)
    with ent_handle, rel_handle:
        n_relations = gen.write_enterprises(ent_writer, rel_writer, progress)
    handle, writer = open_csv("list_entries.csv", ENTRY_COLUMNS)
    with handle:
        n_entries = gen.write_entries(writer)
    if progress is not None:
        progress(enterprises)
    return SampleSummary(
        enterprises=enterprises,
        persons=n_persons,
        relations=n_relations,
        list_entries=n_entries,
    )
