// Checks that every PromQL expression in the Grafana dashboard, the
// alert rules and the KEDA ScaledObjects' prometheus triggers parses, and names only metrics (and, for crawlstream
// metrics, only label names) that are really exported.
//
//   node check_promql.mjs --exported exported_metrics.txt \
//        --external external_metrics.txt --dashboard D.json --rules R.yaml...
//
// exported_metrics.txt: "name label label..." per line, from scrapes of the
// services' /metrics (update_exported_metrics.sh). external_metrics.txt:
// the same for other exporters (kafka-exporter, Prometheus itself).
import { readFileSync } from "node:fs";
import { parser } from "@prometheus-io/lezer-promql";
import { parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
const opt = { rules: [], dashboard: [] };
for (let i = 0; i < args.length; i++) {
  const k = args[i].replace(/^--/, "");
  if (k === "rules" || k === "dashboard") opt[k].push(args[++i]);
  else opt[k] = args[++i];
}

// Target labels Prometheus adds (compose static configs, ServiceMonitor).
const TARGET_LABELS = new Set(["job", "instance", "namespace", "pod", "service", "container", "endpoint", "le"]);

function readMetrics(file) {
  const m = new Map();
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.replace(/#.*/, "").trim();
    if (!line) continue;
    const [name, ...labels] = line.split(/\s+/);
    m.set(name, new Set(labels));
  }
  return m;
}
const exported = readMetrics(opt.exported);
const external = readMetrics(opt.external);

// Histogram series: the list may hold the family (x) or the series
// (x_bucket, x_sum, x_count); accept either spelling in a query.
function lookup(map, name) {
  if (map.has(name)) return map.get(name);
  const base = name.replace(/_(bucket|sum|count)$/, "");
  if (base !== name && map.has(base)) return map.get(base);
  for (const suf of ["_bucket", "_sum", "_count"]) if (map.has(name + suf)) return map.get(name + suf);
  return null;
}

const queries = [];  // {where, expr}
for (const f of opt.dashboard) {
  const d = JSON.parse(readFileSync(f, "utf8"));
  const visit = (panels) => {
    for (const p of panels || []) {
      for (const t of p.targets || []) if (t.expr) queries.push({ where: `${f}: panel "${p.title}" ${t.refId}`, expr: t.expr });
      visit(p.panels);
    }
  };
  visit(d.panels);
  for (const v of d.templating?.list || []) {
    if (v.type === "query" && typeof v.query === "string") queries.push({ where: `${f}: variable ${v.name}`, expr: v.query });
  }
}
for (const f of opt.rules) {
  for (const doc of parseAllDocuments(readFileSync(f, "utf8"))) {
    const obj = doc.toJS();
    if (!obj) continue;
    if (obj.kind === "ScaledObject") {
      for (const t of obj.spec.triggers || [])
        if (t.type === "prometheus")
          queries.push({ where: `${f}: ScaledObject ${obj.metadata.name}`, expr: t.metadata.query });
      continue;
    }
    const groups = obj.kind === "PrometheusRule" ? obj.spec.groups : obj.groups;
    for (const g of groups || [])
      for (const r of g.rules || [])
        queries.push({ where: `${f}: ${r.alert || r.record}`, expr: r.expr });
  }
}

let problems = 0;
const seen = new Set();
function report(where, msg) { console.log(`${where}: ${msg}`); problems++; }

for (const { where, expr } of queries) {
  // Grafana variables -> something the parser accepts.
  const q = expr
    .replace(/\$__(rate_interval|interval|range)/g, "5m")
    .replace(/\$\{[^}]+\}|\$\w+/g, "x");
  const tree = parser.parse(q);
  let error = false;
  tree.iterate({ enter(n) { if (n.type.isError) error = true; } });
  if (error) { report(where, `PromQL does not parse: ${expr}`); continue; }
  tree.iterate({
    enter(n) {
      if (n.name !== "VectorSelector") return;
      const node = n.node;
      const ident = node.getChild("Identifier");
      if (!ident) return;
      const name = q.slice(ident.from, ident.to);
      seen.add(name);
      const own = lookup(exported, name);
      const other = lookup(external, name);
      if (!own && !other) {
        report(where, `metric ${name} is not exported (not in ${opt.exported} or ${opt.external})`);
        return;
      }
      const labels = own || other;
      if (labels.size === 0) return;  // label names not recorded
      const matchers = node.getChild("LabelMatchers");
      if (!matchers) return;
      const cur = matchers.cursor();
      cur.iterate((c) => {
        if (c.name !== "LabelName") return;
        const label = q.slice(c.from, c.to);
        if (!labels.has(label) && !TARGET_LABELS.has(label))
          report(where, `metric ${name} has no label "${label}"`);
      });
    },
  });
}
console.log(`check_promql: ${queries.length} expressions, ${seen.size} metric names, ${problems} problems`);
process.exit(problems ? 1 : 0);
