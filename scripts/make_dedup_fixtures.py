#!/usr/bin/python3
"""Renders the labelled dedup set from tests/fixtures/dedup/stories.txt.

Every story becomes several copies, as a crawler meets them: the original
outlet, an aggregator repost (different boilerplate, full-width digits,
`本文转自`), a Traditional-script copy (OpenCC s2twp/s2hk; body_simplified set
for half of them, empty for the others), a lightly edited copy (new headline,
a paragraph dropped or added, a few characters changed) and, for every other
story, a scraper mirror with a snapshot disclaimer and no date. Hard
negatives: stories that share a paragraph (`@shared-*` blocks; seeds 002 and
004 share a sentence) and same-template notices that differ in a name or a
number (each its own story).

Output: tests/fixtures/dedup/articles.jsonl (Article fields) and labels.tsv
(id<TAB>story). Deterministic. Needs python3 (stdlib) and the `opencc` CLI.
Usage: scripts/make_dedup_fixtures.py [repo_root]
"""
import datetime
import hashlib
import json
import os
import random
import subprocess
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))
DIR = os.path.join(ROOT, "tests", "fixtures", "dedup")
TZ = datetime.timezone(datetime.timedelta(hours=8))

HAN_POOL = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成"
            "会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等"
            "部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好")


def opencc(text, config):
    return subprocess.run(["opencc", "-c", config], input=text,
                          capture_output=True, text=True, check=True).stdout


def article_id(url):
    return hashlib.sha256(url.encode()).hexdigest()[:32]


def parse_stories(path):
    stories, shared, cur = [], {}, None
    for line in open(path, encoding="utf-8").read().split("\n"):
        if line.startswith("=== "):
            key, outlet, site, title = [x.strip() for x in line[4:].split("|")]
            cur = {"key": key, "outlet": outlet, "site": site, "title": title,
                   "paras": []}
            (shared.__setitem__(key, cur) if key.startswith("shared-")
             else stories.append(cur))
        elif line.strip() and cur is not None:
            cur["paras"].append(line.strip())
    for s in stories:
        out = []
        for p in s["paras"]:
            out.extend(shared[p[1:]]["paras"] if p.startswith("@") else [p])
        s["paras"] = out
    return stories


def is_english(story):
    return story["key"].startswith("en-")


def fullwidth_digits(text, rng):
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() and rng.random() < 0.5
                   else c for c in text)


def change_chars(paras, rng, n, english, digits=False):
    """Changes n characters; with digits=True one of them is a digit."""
    paras = list(paras)
    for t in range(n):
        i = rng.randrange(len(paras))
        p = paras[i]
        if digits and t == 0:
            pos = [k for k, c in enumerate(p) if c.isdigit()]
        else:
            pos = [k for k, c in enumerate(p) if (c.isalpha() and c.isascii())
                   or "\u4e00" <= c <= "\u9fff"]
        if not pos:
            continue
        k = rng.choice(pos)
        if p[k].isdigit():
            repl = str((int(p[k]) + 1) % 10)
        else:
            repl = rng.choice("etaoinshr") if english else rng.choice(HAN_POOL)
        paras[i] = p[:k] + repl + p[k + 1:]
    return paras


def rfc3339(t):
    return t.isoformat(timespec="seconds") if t else ""


def make(story, label, url, site, publisher, paras, published, original="",
         title=None, script="Hans", simplified=""):
    return {"id": article_id(url), "url": url, "canonical_url": url,
            "site": site, "title": title or story["title"],
            "body": "\n\n".join(paras), "body_simplified": simplified,
            "published_at": rfc3339(published), "publisher": publisher,
            "original_source": original,
            "language": "en" if is_english(story) else "zh",
            "script": script, "_story": label}


def render_story(n, story, rng):
    en = is_english(story)
    key, outlet, site, paras = (story["key"], story["outlet"], story["site"],
                                story["paras"])
    base = datetime.datetime(2024, 1 + n % 12, 1 + (n * 7) % 27, 8 + n % 10,
                             (n * 13) % 60, tzinfo=TZ)
    out = []
    # 1. the original outlet
    tail = (["Reporting by Jane Doe; Editing by Mark Potter"] if en else
            [f"来源:{outlet}", f"责任编辑:{rng.choice(['王磊', '李娜', '张伟'])}"])
    out.append(make(story, key, f"https://www.{site}/{base:%Y%m/%d}/c_{n}.htm",
                    site, outlet, paras + tail, base))
    # 2. an aggregator repost; same time for every third story, so the
    # original-source rule decides.
    agg_site, agg_pub = [("sina.com.cn", "新浪新闻"), ("sohu.com", "搜狐"),
                         ("163.com", "网易新闻"), ("ifeng.com", "凤凰网")][n % 4]
    head = ([f"Source: {outlet}"] if en else
            [f"本文转自:{outlet}", f"原标题:{story['title']}"])
    foot = (["Copyright 2024 Newswire Syndicate. All rights reserved."] if en
            else ["声明:本文转载自其他媒体,目的在于传递更多信息,并不代表本网赞同其观点和对其真实性负责。"])
    body = [("　　" + fullwidth_digits(p, rng)) if not en else p for p in paras]
    out.append(make(story, key,
                    f"https://news.{agg_site}/article/2024/{n:04d}/{rng.getrandbits(40):x}.shtml",
                    agg_site, agg_pub if not en else "Daily Aggregator",
                    head + body + foot,
                    base if n % 3 == 0 else base + datetime.timedelta(hours=2),
                    original=outlet))
    # 3. Traditional script (Chinese stories only)
    if not en:
        config = "s2twp.json" if n % 2 else "s2hk.json"
        trad = [opencc(p, config).strip() for p in paras]
        trad_tail = [f"來源:{opencc(outlet, config).strip()}",
                     "版權所有 © 2024 華文新聞網 保留所有權利",
                     "電話:02-2345-6789 傳真:02-2345-6790",
                     "電子郵件:news@huawen.example.com.tw"]
        body = trad + trad_tail
        simplified = opencc("\n\n".join(body), "t2s.json") if n % 2 == 0 else ""
        out.append(make(story, key,
                        f"https://www.huawen{n % 3}.com.tw/news/{n}",
                        f"huawen{n % 3}.com.tw", "華文新聞網", body,
                        base + datetime.timedelta(days=1) if n % 4 else None,
                        original=opencc(outlet, config).strip(),
                        title=opencc(story["title"], config).strip(),
                        script="Hant", simplified=simplified))
    # 4. lightly edited: headline, a paragraph dropped or added, characters
    edited = list(paras)
    if n % 2 and len(edited) >= 4:
        del edited[rng.randrange(1, len(edited))]
    else:
        extra = ("Officials said more details would be released in the coming days."
                 if en else "记者了解到,相关部门将于近期发布更多细节,本网将持续关注后续进展。")
        edited.insert(rng.randrange(1, len(edited) + 1), extra)
    edited = change_chars(edited, rng, 3 + n % 3, en, digits=n % 4 == 1)
    out.append(make(story, key,
                    f"https://www.thepaper.cn/newsDetail_forward_{1000 + n}",
                    "thepaper.cn", "澎湃新闻" if not en else "The Paper",
                    edited, base + datetime.timedelta(hours=5),
                    title=("Update: " if en else "最新!") + story["title"]))
    # 5. a scraper mirror without date
    if n % 2 == 0:
        mirror_tail = (["This page is a cached snapshot. All rights reserved by the original publisher. Copyright belongs to the author."] if en else
                       ["以上内容为资讯信息快照,由td.fyun.cc爬虫进行采集并收录,本站未对信息做任何修改,信息内容不代表本站立场。",
                        "快照生成时间:2024-02-14 08:45:06",
                        "本站信息快照查询为非营利公共服务,如有侵权请联系我们进行删除。"])
        out.append(make(story, key, f"http://td.fyun.cc/news/{n}-{key}.html",
                        "fyun.cc", "每日看点快看", paras + mirror_tail, None,
                        original=outlet))
    return out


NAMES = ["张建国", "李晓明", "王海燕", "刘志强", "陈文博", "赵丽华"]
UNITS = ["市交通运输局", "市生态环境局", "市农业农村局", "市文化和旅游局",
         "市卫生健康委员会", "市市场监督管理局"]
STREETS = ["人民路", "建设大街", "解放路", "中山北路", "和平里"]
COMPANIES = ["华东建设工程有限公司", "中原路桥集团有限公司", "南方市政工程有限公司",
             "北方城建发展有限公司"]


def render_notices(rng):
    out = []
    for i, name in enumerate(NAMES[:5]):
        unit = UNITS[i]
        body = [f"根据干部选拔任用工作有关规定,现将{name}同志拟任职情况予以公示。",
                f"{name},男,汉族,{1970 + i * 3}年{3 + i}月生,大学学历,中共党员,现任{unit}副局长,拟任{unit}局长。",
                f"公示期为2024年{5 + i}月{10 + i}日至{5 + i}月{16 + i}日。如对公示对象有异议,请在公示期内向市委组织部反映。",
                "联系电话:0371-69691234"]
        label = f"notice-appoint-{i}"
        url = f"https://www.zzdj.gov.cn/gs/2024/{i}.html"
        pub = datetime.datetime(2024, 5 + i, 10 + i, 9, 0, tzinfo=TZ)
        out.append(make({"key": label, "title": "任职前公示"}, label, url,
                        "zzdj.gov.cn", "郑州党建网", body, pub))
        if i == 0:  # an exact repost of one notice on another site
            out.append(make({"key": label, "title": "任职前公示"}, label,
                            "https://www.zhengzhou.gov.cn/news/gs-0.html",
                            "zhengzhou.gov.cn", "郑州市人民政府",
                            ["来源:郑州党建网"] + body,
                            pub + datetime.timedelta(hours=3),
                            original="郑州党建网"))
    for i, street in enumerate(STREETS[:4]):
        body = [f"因供水管网维修施工,定于2024年7月{3 + i}日8时至20时对{street}沿线供水管道进行维修,届时{street}及周边小区将暂停供水,预计{8 + i}小时后恢复。",
                "请广大用户提前做好储水准备,给您带来的不便敬请谅解。",
                "市自来水有限公司"]
        label = f"notice-water-{i}"
        out.append(make({"key": label, "title": "停水通知"}, label,
                        f"https://www.citywater.com.cn/tz/{i}.html",
                        "citywater.com.cn", "市自来水公司", body,
                        datetime.datetime(2024, 7, 1 + i, 10, 0, tzinfo=TZ)))
    for i, company in enumerate(COMPANIES):
        amount = 1234.56 + 97.3 * i
        body = [f"一、项目名称:城区道路提升改造工程第{i + 1}标段。",
                f"二、中标人:{company},中标金额:{amount:.2f}万元,工期:{180 + 30 * i}日历天。",
                f"三、项目经理:{NAMES[i]},注册建造师证书编号:豫14120{1800 + i}。",
                "四、公示期:自本公告发布之日起三个工作日。投标人或者其他利害关系人对中标结果有异议的,应当在公示期内以书面形式向招标人提出。",
                "五、招标人:市城市建设投资有限公司;招标代理机构:中原招标咨询有限公司。"]
        label = f"notice-tender-{i}"
        out.append(make({"key": label, "title": "中标结果公告"}, label,
                        f"https://ggzy.example.gov.cn/zbgg/2024/{i}.html",
                        "example.gov.cn", "公共资源交易中心", body,
                        datetime.datetime(2024, 8, 5 + i, 15, 0, tzinfo=TZ)))
    # same template, same numbers, only the names differ
    for i in range(4):
        name, unit = NAMES[i + 1], UNITS[(i + 2) % len(UNITS)]
        body = [f"为表彰先进、树立典型,经市委研究决定,授予{name}同志“全市优秀共产党员”称号,授予{unit}机关党支部“全市先进基层党组织”称号。",
                f"{name}同志长期扎根基层一线,爱岗敬业、甘于奉献,在推动{unit}重点工作中作出了突出贡献。希望受到表彰的同志和集体珍惜荣誉、再接再厉,在新的征程上再立新功。",
                "全市广大党员要以先进典型为榜样,立足本职岗位,奋发有为,为推动全市高质量发展作出新的更大贡献。",
                "中共某某市委 2024年6月28日"]
        label = f"notice-award-{i}"
        out.append(make({"key": label, "title": "表彰决定"}, label,
                        f"https://www.dangjian.example.cn/bz/2024/{i}.html",
                        "dangjian.example.cn", "某某党建网", body,
                        datetime.datetime(2024, 6, 28, 18, i, tzinfo=TZ)))
    for i in range(3):
        body = [f"{NAMES[i]}不慎遗失居民身份证一张,证号410105198{i}0312{i}01X,特此声明作废。"]
        label = f"notice-lost-{i}"
        out.append(make({"key": label, "title": "遗失声明"}, label,
                        f"https://www.dahebao.example.cn/ys/{i}.html",
                        "dahebao.example.cn", "大河报", body,
                        datetime.datetime(2024, 3, 3, 8, i, tzinfo=TZ)))
    for i, road in enumerate(["Main Street", "Oak Avenue", "River Road"]):
        body = [f"{road} will be closed between 2nd Street and 9th Street from 7 a.m. on June {4 + i} until 6 p.m. on June {6 + i} for water main replacement.",
                "Detour signs will be posted. Residents and businesses will retain access. Drivers should allow extra travel time.",
                "For more information call the Public Works Department."]
        label = f"notice-road-{i}"
        out.append(make({"key": "en-" + label, "title": "Road closure"}, label,
                        f"https://www.springfield.example.gov/news/road-{i}",
                        "springfield.example.gov", "City of Springfield", body,
                        datetime.datetime(2024, 6, 1 + i, 9, 0, tzinfo=TZ)))
    return out


def main():
    rng = random.Random(int(os.environ.get("DEDUP_FIXTURE_SEED", "20240705")))
    stories = parse_stories(os.path.join(DIR, "stories.txt"))
    articles = []
    for n, story in enumerate(stories):
        articles.extend(render_story(n, story, rng))
    articles.extend(render_notices(rng))
    rng.shuffle(articles)
    with open(os.path.join(DIR, "articles.jsonl"), "w", encoding="utf-8") as f:
        for a in articles:
            f.write(json.dumps({k: v for k, v in a.items() if k != "_story"},
                               ensure_ascii=False) + "\n")
    with open(os.path.join(DIR, "labels.tsv"), "w", encoding="utf-8") as f:
        f.write("# id\tstory\n")
        for a in articles:
            f.write(f"{a['id']}\t{a['_story']}\n")
    print(f"{len(stories)} stories, {len(articles)} articles")


if __name__ == "__main__":
    main()
