"""The words clue-truth rules read: what kind of thing a word names, and which verbs tie a date to a fact.

A type word maps to ``(coarse, fine)``: the coarse class (``person``, ``place``, ``org``, ``work``,
``event``, ``date``, ``number``) must agree with the entity; the fine class (``settlement``, ``river``,
``university``, ``novel``, ...) must agree when both sides know it, up to :data:`PARENTS` (a novel is a
book, a publisher is a company). ``fine`` is ``None`` for a generic word (``place``, ``institution``).
Person words carry an occupation family (:data:`FAMILY`) instead of a fine class: people hold several
occupations, so an occupation only contradicts a profile that knows the person's occupation completely
(the generated world).
"""

from __future__ import annotations

TypeClass = tuple[str, str | None]

_EN: dict[str, TypeClass] = {}


def _add(table: dict[str, TypeClass], coarse: str, fine: str | None, words: str) -> None:
    for w in words.split(","):
        w = w.strip()
        if w:
            table[w] = (coarse, fine)


# --- English ----------------------------------------------------------------------------------------
_add(_EN, "person", None, "person,man,woman,figure,individual,someone,personality,native,resident,citizen")
_add(_EN, "person", None, "founder,co-founder,creator,author,student,pupil,mentor,teacher,member,participant")
_add(_EN, "person", None, "leader,patron,benefactor,heir,son,daughter,wife,husband,child,descendant")
_add(_EN, "place", None, "place,location,site,spot,birthplace,hometown,locality,destination")
_add(_EN, "place", "settlement", "city,town,village,settlement,municipality,port,capital,metropolis,hamlet")
_add(_EN, "place", "settlement", "borough,township,seaport,city-state")
_add(_EN, "place", "country", "country,nation,kingdom,republic,state,empire,federation,realm,principality")
_add(_EN, "place", "river", "river,stream,tributary")
_add(_EN, "place", "mountain", "hill,hills,mountain,mountains,range,peak,highlands,massif")
_add(_EN, "place", "lake", "lake")
_add(_EN, "place", "region", "region,province,district,valley,island,coast,plain,county")
_add(_EN, "org", None, "organisation,organization,institution,establishment,foundation")
_add(_EN, "org", "university", "university,college,institute,academy,school,seminary,polytechnic")
_add(_EN, "org", "company", "company,firm,corporation,business,enterprise,manufacturer,railway,bank,factory")
_add(_EN, "org", "publisher", "publisher,press,publishing house")
_add(_EN, "org", "society", "society,association,guild,club,learned society,league")
_add(_EN, "org", "museum", "museum,gallery,library,archive")
_add(_EN, "org", "orchestra", "orchestra,ensemble,choir,philharmonic")
_add(_EN, "work", None, "work,creation,piece,work of art,artwork,masterpiece")
_add(_EN, "work", "book", "book,text,volume,publication")
_add(_EN, "work", "novel", "novel,story")
_add(_EN, "work", "treatise", "treatise,essay,study,monograph,dissertation")
_add(_EN, "work", "music", "composition,piece of music,musical work")
_add(_EN, "work", "symphony", "symphony")
_add(_EN, "work", "opera", "opera")
_add(_EN, "work", "painting", "painting,portrait,canvas,landscape painting")
_add(_EN, "work", "film", "film,movie,motion picture")
_add(_EN, "event", None, "event,occasion,gathering,happening")
_add(_EN, "event", "expedition", "expedition,voyage,journey")
_add(_EN, "event", "congress", "congress,conference,meeting,convention,symposium,summit")
_add(_EN, "event", "exhibition", "exhibition,fair,exposition,expo")
_add(_EN, "event", "treaty", "treaty,agreement,pact,accord")
_add(_EN, "event", "festival", "festival,celebration")
_add(_EN, "event", "strike", "strike,walkout")
_add(_EN, "event", "war", "war,battle,revolution,uprising,siege,rebellion")
_add(_EN, "date", None, "year,decade,century,date,period,era")
_add(_EN, "number", None, "number,amount,count,quantity,total,sum")

OCCUPATIONS_EN: dict[str, str] = {}
for _fam, _words in {
    "writer": "writer,novelist,poet,playwright,dramatist",
    "musician": "composer,musician,conductor,pianist",
    "artist": "painter,artist,sculptor,illustrator",
    "scientist": "scientist,chemist,physicist,biologist,botanist,geologist,astronomer,mathematician,scholar,"
    "researcher,naturalist,cartographer,linguist,meteorologist,anatomist,metallurgist",
    "engineer": "engineer,inventor",
    "explorer": "explorer,navigator,traveller,traveler,adventurer",
    "politician": "politician,statesman,diplomat,minister",
    "filmmaker": "filmmaker,director",
    "weaver": "weaver",
    "merchant": "merchant,trader",
    "architect": "architect",
    "physician": "physician,doctor,surgeon",
    "lawyer": "lawyer,judge",
    "cleric": "priest,monk,bishop,cleric",
    "soldier": "soldier,general,officer",
    "printer": "printer",
    "monarch": "king,queen,monarch,emperor,prince,princess",
}.items():
    for _w in _words.split(","):
        OCCUPATIONS_EN[_w] = _fam
        _EN[_w] = ("person", None)
TYPES_EN = _EN

# --- Chinese ----------------------------------------------------------------------------------------
_ZH: dict[str, TypeClass] = {}
_add(
    _ZH, "person", None, "人物,某人,男子,女子,的人,人士,居民,创始人,创办人,作者,学生,弟子,门生,导师,老师,成员"
)
_add(_ZH, "person", None, "参与者,领袖,后人,儿子,女儿,妻子,丈夫")
_add(_ZH, "place", None, "地方,地点,故乡,出生地,所在地,地区")
_add(
    _ZH, "place", "settlement", "城市,城镇,古镇,小镇,古城,港城,港口,港市,首都,都城,国都,村庄,村落,城,镇,港,村"
)
_add(_ZH, "place", "country", "国家,王国,共和国,联邦,国")
_add(_ZH, "place", "river", "河流,河,江")
_add(_ZH, "place", "mountain", "山地,山脉,山区,山峰,山")
_add(_ZH, "place", "lake", "湖泊,湖")
_add(_ZH, "place", "region", "省份,地带,岛屿,岛,平原,谷地")
_add(_ZH, "org", None, "机构,组织,团体")
_add(_ZH, "org", "university", "大学,学院,学堂,学校")
_add(_ZH, "org", "company", "公司,企业,铁路公司,工厂,银行")
_add(_ZH, "org", "publisher", "出版社,书局,出版商,出版公司")
_add(_ZH, "org", "society", "学会,协会,社团,行会")
_add(_ZH, "org", "museum", "博物馆,美术馆,图书馆,档案馆")
_add(_ZH, "org", "orchestra", "乐团,交响乐团,室内乐团,合唱团")
_add(_ZH, "work", None, "作品,创作")
_add(_ZH, "work", "book", "书,书籍,著作")
_add(_ZH, "work", "novel", "小说,长篇小说")
_add(_ZH, "work", "treatise", "论著,专著,论文")
_add(_ZH, "work", "music", "乐曲,音乐作品")
_add(_ZH, "work", "symphony", "交响曲")
_add(_ZH, "work", "opera", "歌剧")
_add(_ZH, "work", "painting", "画作,绘画,油画")
_add(_ZH, "work", "film", "电影,影片")
_add(_ZH, "event", None, "事件,活动,盛会")
_add(_ZH, "event", "expedition", "考察,探险,远征")
_add(_ZH, "event", "congress", "大会,会议,年会")
_add(_ZH, "event", "exhibition", "博览会,展览会,展览")
_add(_ZH, "event", "treaty", "条约,协定,和约")
_add(_ZH, "event", "festival", "节庆,节日,艺术节")
_add(_ZH, "event", "strike", "罢工")
_add(_ZH, "event", "war", "战争,战役,起义,革命")
_add(_ZH, "date", None, "年份,年代,世纪,时期")
OCCUPATIONS_ZH: dict[str, str] = {}
for _fam, _words in {
    "writer": "作家,小说家,诗人,剧作家",
    "musician": "作曲家,音乐家,指挥家",
    "artist": "画家,艺术家,雕塑家",
    "scientist": "科学家,化学家,物理学家,生物学家,植物学家,地质学家,天文学家,数学家,学者,研究者,博物学家",
    "engineer": "工程师,发明家",
    "explorer": "探险家,航海家,旅行家",
    "politician": "政治家,外交家,外交官",
    "filmmaker": "电影导演,导演",
    "weaver": "织工",
    "merchant": "商人",
    "architect": "建筑师",
    "physician": "医生,医师",
    "printer": "印刷工",
    "monarch": "国王,皇帝,女王",
}.items():
    for _w in _words.split(","):
        OCCUPATIONS_ZH[_w] = _fam
        _ZH[_w] = ("person", None)
TYPES_ZH = _ZH
# Chinese words that contain a type word without being one (人口 is not 人, 国际 is not 国).
BLOCKERS_ZH = (
    "人口",
    "人数",
    "国际",
    "中国",
    "工人",
    "山口",
    "河畔",
    "江畔",
    "湖畔",
    "港湾",
    "城墙",
    "镇上",
    "村民",
)

# A fine class and the broader fine classes it falls under.
PARENTS: dict[str, set[str]] = {
    "novel": {"book"},
    "treatise": {"book"},
    "symphony": {"music"},
    "opera": {"music"},
    "publisher": {"company"},
}

# The world's kinds and occupations as type classes (see openseeker.worldgen.graph).
WORLD_KIND: dict[str, TypeClass] = {
    "university": ("org", "university"),
    "company": ("org", "company"),
    "society": ("org", "society"),
    "museum": ("org", "museum"),
    "orchestra": ("org", "orchestra"),
    "publisher": ("org", "publisher"),
    "novel": ("work", "novel"),
    "symphony": ("work", "symphony"),
    "opera": ("work", "opera"),
    "painting": ("work", "painting"),
    "treatise": ("work", "treatise"),
    "film": ("work", "film"),
    "expedition": ("event", "expedition"),
    "congress": ("event", "congress"),
    "exhibition": ("event", "exhibition"),
    "treaty": ("event", "treaty"),
    "festival": ("event", "festival"),
    "strike": ("event", "strike"),
}
WORLD_TYPE: dict[str, TypeClass] = {
    "person": ("person", None),
    "city": ("place", "settlement"),
    "country": ("place", "country"),
    "organisation": ("org", None),
    "work": ("work", None),
    "event": ("event", None),
}
# Words a world occupation makes true (a novelist is a writer); another word of the same family
# (a chemist, for a scientist) is more than the world knows.
OCCUPATION_IMPLIES: dict[str, set[str]] = {
    "novelist": {"novelist", "writer", "小说家", "作家"},
    "composer": {"composer", "musician", "作曲家", "音乐家"},
    "painter": {"painter", "artist", "画家", "艺术家"},
    "scientist": {"scientist", "scholar", "researcher", "科学家", "学者", "研究者"},
    "engineer": {"engineer", "工程师"},
    "explorer": {"explorer", "traveller", "traveler", "adventurer", "探险家", "旅行家"},
    "politician": {"politician", "statesman", "政治家"},
    "filmmaker": {"filmmaker", "director", "电影导演", "导演"},
}

# Verbs that tie a date to one kind of fact ("founded in the 1640s" is a founding year).
CUES_EN: dict[str, tuple[str, ...]] = {
    "born": ("born",),
    "died": ("died", "death"),
    "founded": ("founded", "established", "formed", "opened", "built", "incorporated", "chartered"),
    "created": (
        "published",
        "written",
        "wrote",
        "composed",
        "painted",
        "directed",
        "released",
        "premiered",
        "created",
        "completed",
        "produced",
        "appeared",
    ),
    "held": ("held", "took place", "signed", "organised", "organized", "staged", "launched"),
}
CUES_ZH: dict[str, tuple[str, ...]] = {
    "born": ("出生", "生于", "诞生"),
    "died": ("去世", "逝世", "卒于", "死于"),
    "founded": ("创建", "创立", "成立", "建立", "创办", "始建", "建于", "建城", "开办"),
    "created": ("出版", "发表", "创作", "完成", "写成", "首演", "上映", "问世", "绘成", "谱写"),
    "held": ("举行", "举办", "召开", "签订", "签署", "发生"),
}

STOP_EN = frozenset(
    """a an the of in on at by for with from to into onto over under near that which who whom whose where
    when while as and or but nor its it it's is was were are be been being has had have having this these
    those there their his her hers him he she they them one ones some certain any another other such also
    once later then now very well known located situated based lying lies lay just about around
    approximately roughly nearly almost several many few more most less least same own not no first both
    entity thing something item subject object whose what whom up out than
    """.split()
)
# Chinese function words and measure words, removed before the leftover text is looked up.
STOP_ZH = (
    "一位",
    "一座",
    "一家",
    "一个",
    "一所",
    "一部",
    "一条",
    "一片",
    "一场",
    "一项",
    "一支",
    "一幅",
    "一首",
    "某个",
    "某位",
    "某座",
    "某家",
    "某",
    "位于",
    "曾经",
    "曾",
    "的",
    "是",
    "于",
    "在",
    "由",
    "了",
    "和",
    "与",
    "及",
    "其",
    "该",
    "这",
    "那",
    "之",
    "所",
    "被",
    "为",
    "以",
    "中",
    "一",
    "位",
    "座",
    "家",
    "个",
    "所",
    "部",
    "条",
    "片",
    "场",
    "项",
    "支",
    "幅",
    "首",
    "名",
    "约",
    "大约",
    "将近",
    "近",
    "超过",
    "逾",
    "不到",
    "少于",
    "多于",
    "左右",
    "之一",
    "实体",
    "东西",
    "事物",
    "对象",
)

# How the obfuscation prompt names a type class (English, Chinese).
TYPE_WORDS: dict[str, tuple[str, str]] = {
    "person": ("person", "人物"),
    "place": ("place", "地方"),
    "org": ("organisation", "机构"),
    "work": ("work", "作品"),
    "event": ("event", "事件"),
    "date": ("year", "年份"),
    "number": ("number", "数量"),
    "settlement": ("city", "城市"),
    "country": ("country", "国家"),
    "river": ("river", "河流"),
    "mountain": ("mountain", "山地"),
    "lake": ("lake", "湖泊"),
    "region": ("region", "地区"),
    "university": ("university", "大学"),
    "company": ("company", "公司"),
    "publisher": ("publisher", "出版社"),
    "society": ("society", "学会"),
    "museum": ("museum", "博物馆"),
    "orchestra": ("orchestra", "乐团"),
    "book": ("book", "书"),
    "novel": ("novel", "小说"),
    "treatise": ("treatise", "论著"),
    "music": ("piece of music", "乐曲"),
    "symphony": ("symphony", "交响曲"),
    "opera": ("opera", "歌剧"),
    "painting": ("painting", "画作"),
    "film": ("film", "电影"),
    "expedition": ("expedition", "考察"),
    "congress": ("congress", "大会"),
    "exhibition": ("exhibition", "博览会"),
    "treaty": ("treaty", "条约"),
    "festival": ("festival", "节庆"),
    "strike": ("strike", "罢工"),
    "war": ("war", "战争"),
}

# Verbs that state a relation between two named entities ("born in X"); the world's relations are in
# openseeker.worldgen.audit.
RELATIONS_EN: dict[str, tuple[str, ...]] = {
    "born": ("born", "birthplace", "native of"),
    "died": ("died",),
    "founded": ("founded", "established", "founder of", "co-founded"),
    "studied": ("studied", "educated", "graduated", "alumnus of", "student at", "student of"),
    "trained": ("trained", "pupil of", "apprenticed", "mentored", "taught"),
    "worked": ("worked", "employed", "served"),
    "created": ("wrote", "written", "painted", "composed", "directed", "created", "author of", "creator of"),
    "published": ("published", "publisher of"),
    "set": ("set",),
    "held": ("held", "hosted", "took place"),
    "organised": ("organised", "organized", "organiser of", "organizer of"),
    "participated": ("participated", "took part", "participant in", "attended"),
    "located": ("located", "situated", "lies", "headquartered", "based"),
    "capital": ("capital",),
}
RELATIONS_ZH: dict[str, tuple[str, ...]] = {
    "born": ("出生", "生于", "诞生"),
    "died": ("去世", "逝世", "卒于"),
    "founded": ("创建", "创立", "创办", "成立", "建立"),
    "studied": ("毕业", "就读", "求学", "学习"),
    "trained": ("师从", "师事", "拜", "学生", "弟子"),
    "worked": ("任职", "工作", "供职", "受雇"),
    "created": ("创作", "写", "著", "绘", "谱写", "执导"),
    "published": ("出版",),
    "set": ("背景", "故事发生"),
    "held": ("举行", "举办", "召开"),
    "organised": ("主办", "组织"),
    "participated": ("参加", "参与"),
    "located": ("位于", "坐落", "总部"),
    "capital": ("首都",),
}
