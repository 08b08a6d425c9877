// node params.mjs [--check] : writes charts/facemesh/README.md's parameter table (between <!-- parameters:start -->
// and <!-- parameters:end -->) from charts/facemesh/values.schema.json, one row per leaf value: its path,
// type, default (from values.yaml) and the schema's description. --check writes nothing and exits 1 when
// the README differs, so the table cannot drift from the schema. Either way it exits 1 naming every schema
// property without a description and every values.yaml key the schema does not declare.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const repo = new URL("../../", import.meta.url).pathname;
const tools = process.env.FACEMESH_CHART_TOOLS ?? repo + "artifacts/chart-tools";
const { parse } = await import(pathToFileURL(tools + "/node_modules/yaml/dist/index.js").href);

const schema = JSON.parse(readFileSync(repo + "charts/facemesh/values.schema.json", "utf8"));
const values = parse(readFileSync(repo + "charts/facemesh/values.yaml", "utf8"));
const readmePath = repo + "charts/facemesh/README.md";
const [start, end] = ["<!-- parameters:start -->", "<!-- parameters:end -->"];
const problems = [];

// A property's own description wins over the one of the definition it refers to.
const resolve = (node) => {
  if (!node.$ref) return node;
  const target = node.$ref.replace(/^#\//, "").split("/").reduce((n, key) => n[key], schema);
  return { ...resolve(target), ...Object.fromEntries(Object.entries(node).filter(([k]) => k !== "$ref")) };
};

const typeOf = (node) => {
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``;
  if (node.enum) return node.enum.map((v) => `\`${v}\``).join(", ");
  if (node.anyOf) return [...new Set(node.anyOf.map((n) => resolve(n).type))].join(" or ");
  if (node.type === "array" && node.items) {
    const item = resolve(node.items);
    return `array of ${item.type ?? "object"}`;
  }
  if (node.type === "object" && node.additionalProperties && node.additionalProperties.type === "string") return "map of string";
  return node.type ?? "any";
};

const at = (path) => path.reduce((v, key) => (v === undefined || v === null ? undefined : v[key]), values);
// Markdown table cells: a | ends the cell and a <placeholder> would be read as an HTML tag.
const cell = (text) => String(text).replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\n/g, " ");
const shown = (value) => (value === undefined ? "—" : `\`${JSON.stringify(value).replace(/\|/g, "\\|")}\``);

// Every leaf of the schema, in its order: an object with declared properties is walked, anything else is a row.
function* leaves(node, path) {
  node = resolve(node);
  if (!node.description) problems.push(`values.schema.json: ${path.join(".")} has no description`);
  if (node.properties) {
    for (const [key, child] of Object.entries(node.properties)) yield* leaves(child, [...path, key]);
  } else {
    yield { path, node };
  }
}

// Every values.yaml key must be a schema property, or the table would miss it.
function declared(value, node, path) {
  node = resolve(node);
  if (!node.properties || value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (node.properties[key]) declared(child, node.properties[key], [...path, key]);
    else problems.push(`values.yaml: ${[...path, key].join(".")} is not a property of values.schema.json`);
  }
}
declared(values, schema, []);

const row = ({ path, node }) => `| \`${path.join(".")}\` | ${cell(typeOf(node))} | ${shown(at(path))} | ${cell(node.description)} |`;
const header = "| Key | Type | Default | Description |\n|---|---|---|---|";
const sections = [];
const general = [];
for (const [key, child] of Object.entries(schema.properties)) {
  const rows = [...leaves(child, [key])];
  if (rows.length === 1 && rows[0].path.length === 1) general.push(rows[0]);
  else sections.push(`#### \`${key}\`\n\n${resolve(child).description}\n\n${header}\n${rows.map(row).join("\n")}`);
}
const table = [
  `${start}\n<!-- Generated from charts/facemesh/values.schema.json by tools/chart-check/params.mjs: edit the schema, then run it. -->`,
  `#### Top level\n\n${header}\n${general.map(row).join("\n")}`,
  ...sections,
  end,
].join("\n\n");

const readme = readFileSync(readmePath, "utf8");
const from = readme.indexOf(start), to = readme.indexOf(end);
if (from < 0 || to < from) problems.push(`charts/facemesh/README.md: no ${start} … ${end} section`);
for (const problem of problems) console.error(`chart-check: ${problem}`);
if (problems.length) process.exit(1);

const updated = readme.slice(0, from) + table + readme.slice(to + end.length);
if (process.argv.includes("--check")) {
  if (updated !== readme) {
    console.error("chart-check: charts/facemesh/README.md's parameter table is not the one values.schema.json gives; run node tools/chart-check/params.mjs");
    process.exit(1);
  }
} else if (updated !== readme) {
  writeFileSync(readmePath, updated);
  console.error("chart-check: charts/facemesh/README.md's parameter table rewritten");
}
