"""Vocabularies and small helpers of the sample generator: cities, regions,
industries, list reasons, and the encoders of USCCs, shares and days."""

from __future__ import annotations

import bisect
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric

from credgraph.model import Category, EnterpriseKind, EnterpriseStatus, Role, Title


@dataclass(frozen=True)
class City:
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


CITIES = (
    City("东莞市", "广东省", "441900", "0769",
          ("南城街道", "东城街道", "莞城街道", "万江街道", "虎门镇", "长安镇", "厚街镇",
           "塘厦镇", "常平镇", "松山湖"), "粤", 30),
    City("深圳市", "广东省", "440300", "0755",
          ("南山区", "福田区", "罗湖区", "宝安区", "龙岗区", "龙华区"), "粤", 14),
    City("广州市", "广东省", "440100", "020",
          ("天河区", "越秀区", "海珠区", "白云区", "番禺区", "黄埔区"), "粤", 12),
    City("佛山市", "广东省", "440600", "0757", ("禅城区", "南海区", "顺德区"), "粤", 6),
    City("惠州市", "广东省", "441300", "0752", ("惠城区", "惠阳区", "博罗县"), "粤", 4),
    City("珠海市", "广东省", "440400", "0756", ("香洲区", "斗门区", "金湾区"), "粤", 3),
    City("三亚市", "海南省", "460200", "0898",
          ("海棠区", "吉阳区", "天涯区", "崖州区"), "琼", 2),
    City("西宁市", "青海省", "630100", "0971",
          ("城东区", "城中区", "城西区", "城北区"), "青", 1),
    City("北京市", "北京市", "110000", "010",
          ("朝阳区", "海淀区", "东城区", "西城区", "丰台区"), "京", 6),
    City("上海市", "上海市", "310000", "021",
          ("浦东新区", "黄浦区", "徐汇区", "静安区", "闵行区"), "沪", 6),
    City("杭州市", "浙江省", "330100", "0571",
          ("西湖区", "上城区", "拱墅区", "滨江区", "余杭区"), "浙", 4),
    City("南京市", "江苏省", "320100", "025", ("玄武区", "鼓楼区", "秦淮区", "建邺区"), "苏", 3),
    City("成都市", "四川省", "510100", "028", ("锦江区", "武侯区", "青羊区", "成华区"), "川", 3),
    City("武汉市", "湖北省", "420100", "027", ("江岸区", "武昌区", "洪山区", "江汉区"), "鄂", 3),
    City("西安市", "陕西省", "610100", "029", ("新城区", "雁塔区", "碑林区", "未央区"), "陕", 2),
)  # fmt: skip

#: Region codes of resident ids (checked per birth year against stdnum's table).
PERSON_REGIONS = (
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
INDUSTRIES: tuple[tuple[str, tuple[str, ...], int], ...] = (
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
HOLDING_INDUSTRY = "租赁和商务服务业"
HOLDING_WORDS = ("投资", "实业投资", "投资控股", "控股集团", "实业发展", "投资管理")

SHOPS = (
    ("五金店", "批发和零售业"), ("便利店", "批发和零售业"), ("餐馆", "住宿和餐饮业"),
    ("服装店", "批发和零售业"), ("美容美发店", "居民服务、修理和其他服务业"),
    ("汽车维修店", "居民服务、修理和其他服务业"), ("水果店", "批发和零售业"),
    ("电器商行", "批发和零售业"), ("建材经营部", "批发和零售业"), ("茶行", "批发和零售业"),
    ("日用品商行", "批发和零售业"), ("图文快印店", "租赁和商务服务业"),
    ("小吃店", "住宿和餐饮业"), ("手机维修店", "居民服务、修理和其他服务业"),
)  # fmt: skip
ASSOCIATIONS = ("电子行业协会", "物流行业协会", "餐饮行业协会", "个体劳动者协会", "企业家协会",
                 "软件行业协会", "模具行业协会", "家具行业协会", "潮汕商会", "湖南商会",
                 "江西商会", "福建商会", "四川商会", "质量协会", "信用协会",
                 "电子商务协会")  # fmt: skip
PRIVATE_NONPROFIT = ("职业培训学校", "幼儿园", "养老服务中心", "社会工作服务中心", "艺术培训中心")
INSTITUTIONS = ("文化服务中心", "公共就业服务中心", "农业技术推广站", "社区卫生服务中心",
                 "图书馆", "档案馆", "公证处", "产品质量监督检验所", "疾病预防控制中心",
                 "公共资源交易中心", "退役军人服务站", "综合服务中心")  # fmt: skip
BRAND_CHARS = (
    "华盛鑫达源泰丰隆宏兴昌利恒通发祥瑞嘉德信诚联创凯腾宇辉明星天海金银鸿福安康永佳美顺豪博远航新科成力"
    "正邦富汇锦绿益荣群广迅志升晶雅威建业和合晟晖盈弘乐润彩峰景卓越众智协立伟宝元亚南方东启骏振瀚光耀"
)
#: Faker company prefixes that read as a place, an industry or a well-known firm
NOT_BRANDS = ("公司", "电子", "信息", "软件", "计算机", "科技", "电脑", "数字", "国际", "开发区",
               "济南", "黄石", "襄樊", "浙大", "网新", "方正", "四通", "联通")  # fmt: skip
STREET_SUFFIXES = ("大道", "路", "街", "一路", "二路", "北路", "南路", "东路", "西路")
PLACES = ("工业园", "科技园", "大厦", "商业中心", "产业园", "广场")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150",
                    "151", "152", "155", "156", "157", "158", "159", "166", "176", "177",
                    "180", "181", "182", "185", "186", "187", "188", "189", "191",
                    "199")  # fmt: skip
FREE_MAIL = ("163.com", "126.com", "qq.com", "sina.com", "foxmail.com", "139.com")

SEVERE_CATEGORY: dict[Category, tuple[str, str]] = {
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
DEPT_ABBR = {
    "市场监督管理局": "市监", "生态环境局": "环", "住房和城乡建设局": "建", "应急管理局": "应急",
    "消防救援支队": "消", "公安局": "公", "税务局": "税稽", "人力资源和社会保障局": "人社",
    "地方金融监督管理局": "金", "互联网信息办公室": "网信", "教育局": "教", "金融监管分局": "金监",
    "人民武装部": "武", "中级人民法院": "法", "海关": "关",
}  # fmt: skip
DEBTOR_CATEGORIES = (
    (Category.REFUSING_COURT_JUDGMENT, 50), (Category.EVADING_ENFORCEMENT, 25),
    (Category.MALICIOUS_DEBT_EVASION, 10), (Category.PAYMENT_ARREARS, 10),
    (Category.WAGE_ARREARS, 5),
)  # fmt: skip
DEBTOR_REASONS = (
    "有履行能力而拒不履行生效法律文书确定的义务",
    "违反财产报告制度",
    "违反限制消费令",
    "以伪造证据、暴力、威胁等方法妨碍、抗拒执行",
    "无正当理由拒不履行执行和解协议",
)
ILLEGAL_CATEGORIES = (
    Category.UNLICENSED_OPERATION, Category.FALSE_ADVERTISING, Category.COUNTERFEIT_GOODS,
    Category.FOOD_DRUG, Category.CONTRACT_FRAUD, Category.PYRAMID_SELLING,
    Category.COMPULSORY_CERTIFICATION, Category.IP_INFRINGEMENT, Category.CONSUMER_INVESTOR_HARM,
)  # fmt: skip
PERSON_SD_CATEGORIES = (
    Category.TAX_EVASION, Category.EXAM_CHEATING, Category.INSURANCE_FRAUD,
    Category.TELECOM_FRAUD, Category.DEFENCE_OBLIGATION, Category.PUBLIC_DISORDER,
)  # fmt: skip
KEY_ATTENTION_CATEGORIES = (
    Category.WAGE_ARREARS, Category.PAYMENT_ARREARS, Category.WORK_SAFETY, Category.ENVIRONMENT,
    Category.TAX_EVASION, Category.CONTRACT_FRAUD, Category.FALSE_ADVERTISING,
    Category.FIRE_SAFETY,
)  # fmt: skip
ABNORMAL_REASONS = (
    "未依照规定的期限公示年度报告",
    "通过登记的住所或者经营场所无法联系",
    "公示企业信息隐瞒真实情况、弄虚作假",
    "未在市场监督管理部门责令的期限内公示有关企业信息",
)
RED_REASONS = (
    ("税务局", "纳税信用A级纳税人"),
    ("海关", "海关高级认证企业"),
    ("市场监督管理局", "守合同重信用企业"),
    ("人力资源和社会保障局", "劳动保障守法诚信示范单位"),
    ("市场监督管理局", "诚信经营示范企业"),
)
COMMITMENT_REASON = "未履行信用承诺，列入重点关注名单"


# --------------------------------------------------------------------------- helpers


def weighted_cum(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def pick_cum(rng: random.Random, cum: Sequence[float]) -> int:
    """Index drawn with the weights behind the cumulative list ``cum``."""
    i = bisect.bisect_right(cum, rng.random() * cum[-1])
    return min(i, len(cum) - 1)


def ric_ok(number: str) -> bool:
    """``ric.is_valid`` that also survives stdnum's KeyError on some region codes."""
    try:
        return bool(ric.is_valid(number))
    except KeyError:
        return False


def org_code(body: str) -> str:
    """Organisation code (GB 11714): 8 characters plus its check character."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - 55) * w
        for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True)
    )
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def bp_text(bp: int) -> str:
    """Basis points (hundredths of a percent) as a plain decimal: 5100 → '51'."""
    whole, frac = divmod(bp, 100)
    if frac == 0:
        return str(whole)
    return f"{whole}.{frac:02d}".rstrip("0")


FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ISO: dict[int, str] = {}


def iso(ordinal: int) -> str:
    text = ISO.get(ordinal)
    if text is None:
        text = ISO[ordinal] = date.fromordinal(ordinal).isoformat()
    return text


# --------------------------------------------------------------------------- constants of the run

KIND_NAMES = (
    EnterpriseKind.COMPANY.value,
    EnterpriseKind.INDIVIDUAL_BUSINESS.value,
    EnterpriseKind.BRANCH.value,
    EnterpriseKind.SOCIAL_ORG.value,
    EnterpriseKind.PUBLIC_INSTITUTION.value,
    EnterpriseKind.OTHER.value,
)
#: USCC registration authority + organisation category per kind
KIND_CODES = (("91",), ("92",), ("91",), ("51", "52"), ("12",), ("93",))
STATUS_CHOICES = (
    EnterpriseStatus.ACTIVE.value,
    EnterpriseStatus.CANCELLED.value,
    EnterpriseStatus.REVOKED.value,
    EnterpriseStatus.OTHER.value,
)
STATUS_CUM = weighted_cum((88, 6, 4, 2))
CAPITALS = (3, 10, 30, 50, 100, 100, 200, 300, 500, 500, 1000, 1000, 2000, 5000, 10000)
SHARE_COUNTS = (1, 2, 3, 4)
SHARE_COUNT_CUM = weighted_cum((40, 35, 17, 8))
DEBTOR_CATEGORIES_LIST = tuple(c for c, _ in DEBTOR_CATEGORIES)
DEBTOR_CUM = weighted_cum([w for _, w in DEBTOR_CATEGORIES])
LR = Role.LEGAL_REPRESENTATIVE.value
EXEC = Role.EXECUTIVE.value
SH = Role.SHAREHOLDER.value
AC = Role.ACTUAL_CONTROLLER.value
BRANCH = Role.BRANCH_OF.value
BOSS_TITLES = (Title.GENERAL_MANAGER.value, Title.DIRECTOR.value, Title.CHAIRMAN.value)
