// Validates rendered Kubernetes manifests offline.
//
//   node validate_k8s.mjs FILE.yaml...
//
// 1. Schema: every object is validated by the kubernetes-models packages
//    (JSON schemas of the Kubernetes API compiled to validators, bundled in
//    the npm packages; KEDA and prometheus-operator CRDs likewise): types,
//    required fields, enums, formats.
// 2. Strict fields: those validators allow unknown fields, so a typo such
//    as `readinesProbe` would pass; this walks each object along the type
//    declarations (.d.ts) shipped in the same packages and reports every
//    field the API does not define (like `kubeconform -strict`).
// Prints one line per problem; exits 1 if there is any.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, "node_modules");

// apiVersion -> [package, folder]
function modelLocation(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "keda.sh") return ["@kubernetes-models/keda", `keda.sh/${version}/${kind}`];
  if (group === "monitoring.coreos.com")
    return ["@kubernetes-models/prometheus-operator", `monitoring.coreos.com/${version}/${kind}`];
  if (group === "") return ["kubernetes-models", `${version}/${kind}`];
  return ["kubernetes-models", `${group}/${version}/${kind}`];
}

// ---------------------------------------------------------------- .d.ts walker
const fileCache = new Map();

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

// Splits `text` at `sep` where not nested in {}, <>, (), [] or quotes.
function splitTop(text, sep) {
  const out = [];
  let depth = 0, quote = null, start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'") { quote = c; continue; }
    if ("{<([".includes(c)) depth++;
    else if ("}>)]".includes(c)) depth--;
    else if (c === sep && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

function matchBrace(text, open) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i;
  }
  throw new Error("unbalanced braces");
}

// Members of an object type body: { name: {optional, type} } or an index
// signature ({ [key: string]: T }) as { "*": T }.
function parseMembers(body) {
  const members = {};
  for (const m of splitTop(body, ";")) {
    const idx = m.match(/^\[\s*\w+\s*:\s*string\s*\]\s*:\s*([\s\S]+)$/);
    if (idx) { members["*"] = idx[1].trim(); continue; }
    const prop = m.match(/^"([^"]+)"\??\s*:\s*([\s\S]+)$/) || m.match(/^(\w+)\??\s*:\s*([\s\S]+)$/);
    if (prop) members[prop[1]] = prop[2].trim();
  }
  return members;
}

function loadDts(file) {
  if (fileCache.has(file)) return fileCache.get(file);
  const info = { file, imports: {}, interfaces: {}, aliases: {}, renames: {} };
  fileCache.set(file, info);
  if (!existsSync(file)) return info;
  const text = stripComments(readFileSync(file, "utf8"));
  for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
    for (const name of m[1].split(",").map((s) => s.trim()).filter(Boolean)) {
      const [orig, local] = name.split(/\s+as\s+/);
      info.imports[(local || orig).trim()] = { spec: m[2], name: orig.trim() };
    }
  }
  for (const m of text.matchAll(/export\s+type\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(",")) {
      const [orig, alias] = part.split(/\s+as\s+/).map((s) => s && s.trim());
      if (alias) info.renames[alias] = orig;
    }
  }
  for (const m of text.matchAll(/export\s+interface\s+(\w+)(?:\s+extends\s+([^{]+))?\s*\{/g)) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(text, open);
    info.interfaces[m[1]] = {
      members: parseMembers(text.slice(open + 1, close)),
      extends: (m[2] || "").split(",").map((s) => s.trim()).filter(Boolean),
    };
  }
  for (const m of text.matchAll(/export\s+type\s+(\w+)\s*=\s*([^;]+);/g)) {
    info.aliases[m[1]] = m[2].trim();
  }
  return info;
}

function resolveSpec(fromFile, spec) {
  let target;
  if (spec.startsWith(".")) target = resolve(dirname(fromFile), spec);
  else target = join(nodeModules, spec);
  target = target.replace(/\.js$/, "");
  for (const cand of [`${target}.d.ts`, join(target, "index.d.ts")]) if (existsSync(cand)) return cand;
  return null;
}

// A named type as seen from `file`: {kind: "interface", members, file} or
// {kind: "text", text, file} or null when unknown.
function resolveName(file, name, depth = 0) {
  if (depth > 20) return null;
  const info = loadDts(file);
  const local = info.renames[name] || name;
  if (info.interfaces[local]) {
    const iface = info.interfaces[local];
    let members = { ...iface.members };
    for (const ext of iface.extends) {
      if (ext === "TypeMeta") continue;
      const base = resolveName(file, ext.replace(/<.*$/, ""), depth + 1);
      if (base && base.kind === "interface") members = { ...base.members, ...members };
    }
    return { kind: "interface", members, file };
  }
  if (info.aliases[local]) return { kind: "text", text: info.aliases[local], file };
  const imp = info.imports[local];
  if (imp) {
    const target = resolveSpec(file, imp.spec);
    if (target) return resolveName(target, imp.name, depth + 1);
  }
  // `export * from "./X.js"` re-exports (index files)
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/export\s*\*\s*from\s*"([^"]+)"/g)) {
      const target = resolveSpec(file, m[1]);
      if (target) {
        const r = resolveName(target, name, depth + 1);
        if (r) return r;
      }
    }
  }
  return null;
}

const PRIMITIVE = /^(string|number|boolean|any|unknown|null|undefined|object|"[^"]*"|-?\d+(\.\d+)?|true|false)$/;

// Checks `value` against the type text `type` (declared in `file`).
function walk(value, type, file, path, problems) {
  type = type.trim();
  if (value === null || value === undefined) return;
  const alts = splitTop(type, "|");
  if (alts.length > 1) {
    const structural = alts.filter((a) => !PRIMITIVE.test(a));
    if (structural.length && typeof value === "object") walk(value, structural[0], file, path, problems);
    return;
  }
  if (PRIMITIVE.test(type) || /\[".*"\]$/.test(type)) return;
  let m = type.match(/^Array<([\s\S]+)>$/);
  if (m) {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, m[1], file, `${path}[${i}]`, problems));
    return;
  }
  if (type.startsWith("{")) {
    const members = parseMembers(type.slice(1, matchBrace(type, 0)));
    checkObject(value, { kind: "interface", members, file }, path, problems);
    return;
  }
  m = type.match(/^([A-Za-z_]\w*)$/);
  if (!m) return;  // generics, intersections: not checked
  const r = resolveName(file, m[1]);
  if (!r) return;
  if (r.kind === "text") walk(value, r.text, r.file, path, problems);
  else checkObject(value, r, path, problems);
}

function checkObject(value, iface, path, problems) {
  if (typeof value !== "object" || Array.isArray(value)) return;
  const members = iface.members;
  for (const [key, v] of Object.entries(value)) {
    if (key in members) walk(v, members[key], iface.file, `${path}.${key}`, problems);
    else if ("*" in members) walk(v, members["*"], iface.file, `${path}.${key}`, problems);
    else if (Object.keys(members).length > 0) problems.push(`${path}.${key}: unknown field`);
  }
}

// ---------------------------------------------------------------- main
const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node validate_k8s.mjs FILE.yaml...");
  process.exit(2);
}
let bad = 0, checked = 0;
for (const f of files) {
  const docs = parseAllDocuments(readFileSync(f, "utf8"));
  for (const doc of docs) {
    if (doc.errors.length) { console.log(`${f}: YAML error: ${doc.errors[0].message}`); bad++; continue; }
    const obj = doc.toJS();
    if (!obj) continue;
    const id = `${f}: ${obj.kind}/${obj.metadata?.name}`;
    if (!obj.apiVersion || !obj.kind) { console.log(`${id}: no apiVersion/kind`); bad++; continue; }
    const [pkg, rel] = modelLocation(obj.apiVersion, obj.kind);
    const jsFile = join(nodeModules, pkg, `${rel}.js`);
    if (!existsSync(jsFile)) {
      console.log(`${id}: no schema for ${obj.apiVersion} ${obj.kind} (unknown API)`);
      bad++;
      continue;
    }
    const mod = await import(jsFile);
    const Model = mod[obj.kind];
    const problems = [];
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(`schema: ${e.message}`);
    }
    const dts = join(nodeModules, pkg, `${rel}.d.ts`);
    const root = resolveName(dts, `I${obj.kind}`);
    if (!root) problems.push("cannot load type declarations for the strict field check");
    else checkObject(obj, root, "", problems);
    checked++;
    for (const p of problems) { console.log(`${id}: ${p}`); bad++; }
  }
}
console.log(`validate_k8s: ${checked} objects checked, ${bad} problems`);
process.exit(bad ? 1 : 0);
