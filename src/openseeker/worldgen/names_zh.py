"""Chinese name generators for the fictional world (Chinese names, places and titles, not translations)."""

from __future__ import annotations

from openseeker.worldgen.names import UniqueNames

_SURNAMES = (
    "李王张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
_GIVEN = "明华建国文志秀英丽静伟强军平刚桂兰芳玉杰俊涛斌云海宁远修德清振东晓慧嘉思雨欣博瑞承启怀泽崇鸿翰墨然亦安若知行远舟澄岚砚"
_PLACE_A = "青云临安河泽澜松桐枫石宁丰栖霞溪曲望鹤沧岱澄汀梧苍岫"
_PLACE_B = "城州港镇阳川陵口"
_COUNTRY_A = "北南西东澜岱沧梧苍"
_COUNTRY_B = ("岚国", "川国", "陵国", "原联邦", "洲王国", "屿共和国")

FIELDS = (
    "天文学",
    "植物学",
    "化学",
    "地质学",
    "数学",
    "航海学",
    "光学",
    "语言学",
    "地图学",
    "气象学",
    "解剖学",
    "冶金学",
)
_ADJ = (
    "寂静",
    "赤色",
    "空谷",
    "遥远",
    "鎏金",
    "破碎",
    "北方",
    "苍白",
    "不眠",
    "琥珀",
    "铁色",
    "冬日",
    "隐秘",
    "盐白",
    "灰烬",
    "最后",
)
_NOUN = (
    "港湾",
    "果园",
    "灯塔",
    "子午线",
    "潮汐",
    "档案",
    "麻雀",
    "城堡",
    "花园",
    "渡口",
    "彗星",
    "边疆",
    "镜子",
    "钟声",
    "运河",
    "河口",
    "葡萄园",
    "堤道",
    "天文台",
    "粮仓",
    "苍鹭",
    "采石场",
    "织锦",
)
_TIME = ("黄昏", "黎明", "正午", "子夜", "初霜", "大潮", "秋收")
_TRADES = ("造船", "仪器", "铁路", "化工", "玻璃", "印刷", "纺织")
_REGIONS = ("北方冰原", "盐漠", "上澜河", "灰色群岛", "琥珀海岸", "高原", "内海", "东方草原")
_ARTS = ("音乐", "戏剧", "诗歌", "电影", "民间舞蹈", "灯会")

OCCUPATIONS = (
    "novelist",
    "composer",
    "painter",
    "scientist",
    "engineer",
    "explorer",
    "politician",
    "filmmaker",
)
OCCUPATION_ZH = {
    "novelist": "小说家",
    "composer": "作曲家",
    "painter": "画家",
    "scientist": "科学家",
    "engineer": "工程师",
    "explorer": "探险家",
    "politician": "政治家",
    "filmmaker": "电影导演",
}
KIND_ZH = {
    "university": "大学",
    "company": "公司",
    "society": "学会",
    "museum": "博物馆",
    "orchestra": "乐团",
    "publisher": "出版社",
    "novel": "小说",
    "symphony": "交响曲",
    "opera": "歌剧",
    "painting": "画作",
    "treatise": "论著",
    "film": "电影",
    "expedition": "考察",
    "congress": "大会",
    "exhibition": "博览会",
    "treaty": "条约",
    "festival": "节庆",
    "strike": "罢工",
}


class ChineseNames(UniqueNames):
    """Generates unique Chinese names; ``used`` holds every name handed out so far."""

    disambiguation = "{base}（{i}）"

    def surname(self) -> str:
        return self.rng.choice(_SURNAMES)

    def person(self) -> str:
        r = self.rng
        return self._unique(
            lambda: r.choice(_SURNAMES) + "".join(r.choice(_GIVEN) for _ in range(r.choice((1, 2, 2))))
        )

    def city(self) -> str:
        r = self.rng
        return self._unique(lambda: r.choice(_PLACE_A) + r.choice(_PLACE_A) + r.choice(_PLACE_B))

    def country(self) -> str:
        r = self.rng
        return self._unique(lambda: r.choice(_COUNTRY_A) + r.choice(_COUNTRY_B))

    def field(self) -> str:
        return self.rng.choice(FIELDS)

    def organisation(self, kind: str, city: str) -> str:
        r = self.rng
        short = city[:-1] if len(city) > 2 else city

        def make() -> str:
            if kind == "university":
                return r.choice([f"{short}大学", f"{short}理工学院", f"{short}师范学堂"])
            if kind == "company":
                return f"{r.choice(_SURNAMES)}氏{r.choice(_TRADES)}公司"
            if kind == "society":
                return f"{short}{r.choice(FIELDS)}学会"
            if kind == "museum":
                return f"{short}{r.choice(FIELDS)}博物馆"
            if kind == "orchestra":
                return r.choice([f"{short}交响乐团", f"{short}室内乐团"])
            return f"{r.choice(_SURNAMES)}{r.choice(_GIVEN)}书局"

        return self._unique(make)

    def work(self, kind: str) -> str:
        r = self.rng

        def make() -> str:
            if kind == "novel":
                return f"{r.choice(_ADJ)}的{r.choice(_NOUN)}"
            if kind == "symphony":
                return f"{r.choice(_NOUN)}交响曲"
            if kind == "opera":
                return f"{r.choice(_NOUN)}守望者"
            if kind == "painting":
                return f"{r.choice(_TIME)}{r.choice(_NOUN)}图"
            if kind == "treatise":
                return f"{r.choice(FIELDS)}{r.choice(_NOUN)}论"
            return f"{r.choice(_ADJ)}{r.choice(_NOUN)}"

        return self._unique(make)

    def event(self, kind: str, city: str) -> str:
        r = self.rng
        short = city[:-1] if len(city) > 2 else city

        def make() -> str:
            if kind == "expedition":
                return f"{r.choice(_SURNAMES)}氏{r.choice(_REGIONS)}考察"
            if kind == "congress":
                return f"{short}{r.choice(FIELDS)}大会"
            if kind == "exhibition":
                return r.choice([f"{short}万国博览会", f"{short}{r.choice(FIELDS)}博览会"])
            if kind == "treaty":
                return f"{short}条约"
            if kind == "festival":
                return f"{short}{r.choice(_ARTS)}节"
            return f"{short}{r.choice(['码头工人', '织工', '矿工', '印刷工人'])}罢工"

        return self._unique(make)
