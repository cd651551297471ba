#!/usr/bin/env python3
"""Generates a synthetic news site for fault tests and load benchmarks.

    make_site.py OUT_DIR --pages N [--page-kb KB] [--seed S]

Every page is a distinct story (so dedup keeps them all) rendered in a
news template with the usual boilerplate: navigation, share prompts, a
byline with 来源/记者/责编, related links, a copyright footer, inline
scripts and styles padding the page to about --page-kb kilobytes. The
site has robots.txt (allowing everything but /private/), a sitemap index
pointing at sitemaps of at most 1,000 URLs each, and expected.json with
the page URLs and titles (paths relative to the site root).
"""
import argparse
import json
import os
import random

SUBJECTS = ["工信部", "国家发展改革委", "科技部", "商务部", "交通运输部", "生态环境部", "国家统计局",
            "中国人民银行", "农业农村部", "教育部", "市场监管总局", "国家能源局"]
TOPICS = ["新能源汽车", "集成电路", "生物制造", "低空经济", "人工智能", "数字经济", "先进制造业集群",
          "绿色低碳", "工业互联网", "高端装备", "新材料", "智能网联汽车", "现代物流", "乡村振兴"]
VERBS = ["发布", "印发", "部署", "推动", "启动", "公布", "研究", "召开会议部署"]
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安", "南京", "合肥", "重庆", "天津"]
SENTENCES = [
    "{city}今年计划投入{n}亿元支持{topic}领域重点项目建设。",
    "据介绍，{subject}将围绕{topic}组织实施第{k}批试点示范工作。",
    "截至{month}月底，全国{topic}相关企业数量达到{n}万家，同比增长{p}%。",
    "{city}市有关负责人表示，将进一步优化营商环境，推动{topic}产业链上下游协同发展。",
    "专家认为，{topic}正处于技术突破和规模应用的关键阶段，需要加强标准体系建设。",
    "下一步，{subject}将会同有关部门加强政策协同，确保各项措施落地见效。",
    "在{city}举行的发布会上，{subject}通报了{topic}发展的最新进展，共有{n}个项目集中签约。",
    "数据显示，前{month}个月{topic}领域完成投资{n}亿元，占全部投资的{p}%。",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华"


def name(rng):
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)


def story(rng, i):
    subject, topic, city = rng.choice(SUBJECTS), rng.choice(TOPICS), rng.choice(CITIES)
    title = "%s%s%s相关工作方案（第%d号）" % (subject, rng.choice(VERBS), topic, i)
    paras = []
    for _ in range(rng.randint(5, 8)):
        sents = [rng.choice(SENTENCES).format(city=rng.choice(CITIES), n=rng.randint(2, 9000),
                                              topic=rng.choice(TOPICS), subject=rng.choice(SUBJECTS),
                                              k=rng.randint(1, 30), month=rng.randint(1, 12),
                                              p=rng.randint(1, 60))
                 for _ in range(rng.randint(3, 6))]
        paras.append("".join(sents))
    # A sentence unique to this page keeps every story distinct.
    paras.insert(1, "本报%s讯 第%d号通报显示，编号%06d的项目于%d月%d日通过验收，总投资%d.%d亿元。" % (
        city, i, rng.randint(0, 999999), rng.randint(1, 12), rng.randint(1, 28), rng.randint(1, 999),
        rng.randint(0, 9)))
    return title, paras


def render(rng, i, title, paras, page_kb):
    date = "2024-%02d-%02d %02d:%02d" % (rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                                         rng.randint(0, 59))
    body = "\n".join("<p>　　%s</p>" % p for p in paras)
    related = "".join('<li><a href="/news/%d.html">相关阅读：第%d号方案解读</a><span>2024-01-0%d</span></li>'
                      % (rng.randint(0, 99999), rng.randint(0, 9999), rng.randint(1, 9)) for _ in range(8))
    html = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}_示例新闻网</title>
<meta property="og:site_name" content="示例新闻网">
<style>.nav a{{margin:0 4px}}.article p{{text-indent:2em;line-height:1.8}}PADCSS</style>
<script>window.__STATE__={{"page":{i},"ads":[PADJS]}};</script>
</head><body>
<div class="nav"><a href="/">首页</a><a href="/news/">新闻</a><a href="/finance/">财经</a><a href="/tech/">科技</a></div>
<div class="share">分享到：微信 微博 QQ空间 <span>请使用浏览器分享功能进行分享</span></div>
<div class="article"><h1>{title}</h1>
<div class="info">来源：示例新闻网　{date}　记者 {reporter}</div>
{body}
<div class="editor">[ 责编：{editor} ]</div></div>
<div class="related"><h3>相关阅读</h3><ul>{related}</ul></div>
<div class="footer">Copyright © 2024 示例新闻网 版权所有　联系电话：010-00000000</div>
</body></html>
""".format(title=title, i=i, date=date, reporter=name(rng), editor=name(rng), body=body, related=related)
    pad = max(0, page_kb * 1024 - len(html.encode("utf-8")))
    js = ",".join('{"id":%d,"html":"<div class=\\"ad\\">推广内容 %d</div>"}' % (k, k)
                  for k in range(pad // 90 + 1))
    js = js[: max(0, pad // 2)]
    js = js[: js.rfind("}") + 1] if "}" in js else ""
    css = ".pad{color:#123456}" * max(0, (pad - len(js)) // 19)
    return html.replace("PADCSS", css).replace("PADJS", js)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pages", type=int, required=True)
    ap.add_argument("--page-kb", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(os.path.join(args.out, "news"), exist_ok=True)
    expected = []
    for i in range(args.pages):
        title, paras = story(rng, i)
        path = "/news/%d.html" % i
        with open(os.path.join(args.out, path.lstrip("/")), "w", encoding="utf-8") as f:
            f.write(render(rng, i, title, paras, args.page_kb))
        expected.append({"path": path, "title": title})
    with open(os.path.join(args.out, "robots.txt"), "w") as f:
        f.write("User-agent: *\nDisallow: /private/\n\nSitemap: {{BASE}}/sitemap.xml\n")
    chunks = [expected[k:k + 1000] for k in range(0, len(expected), 1000)]
    for n, chunk in enumerate(chunks):
        with open(os.path.join(args.out, "sitemap-%d.xml" % n), "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
            for e in chunk:
                f.write("  <url><loc>{{BASE}}%s</loc></url>\n" % e["path"])
            f.write("</urlset>\n")
    with open(os.path.join(args.out, "sitemap.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
        for n in range(len(chunks)):
            f.write("  <sitemap><loc>{{BASE}}/sitemap-%d.xml</loc></sitemap>\n" % n)
        f.write("</sitemapindex>\n")
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
