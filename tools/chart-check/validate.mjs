// node validate.mjs RENDERED.yaml... : validates every document of each rendered manifest against its
// Kubernetes schema (kubernetes-models; Prometheus Operator CRDs too) and writes RENDERED.json (the
// documents as a JSON array) for the chart tests. Exits 1 naming every invalid document.
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

// The packages are installed in artifacts/chart-tools (by tools/chart-check/check), not beside this file.
const tools = process.env.FACEMESH_CHART_TOOLS ?? new URL("../../artifacts/chart-tools", import.meta.url).pathname;
const modules = tools + "/node_modules/";
const load = (path) => import(pathToFileURL(modules + path).href);
const { parseAllDocuments } = await load("yaml/dist/index.js");
const core = "kubernetes-models/", operator = "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/index.js";
const kinds = {
  "v1/Service": [core + "v1/index.js", "Service"],
  "v1/ServiceAccount": [core + "v1/index.js", "ServiceAccount"],
  "v1/ConfigMap": [core + "v1/index.js", "ConfigMap"],
  "v1/Secret": [core + "v1/index.js", "Secret"],
  "v1/PersistentVolumeClaim": [core + "v1/index.js", "PersistentVolumeClaim"],
  "v1/Pod": [core + "v1/index.js", "Pod"],
  "apps/v1/Deployment": [core + "apps/v1/index.js", "Deployment"],
  "apps/v1/StatefulSet": [core + "apps/v1/index.js", "StatefulSet"],
  "autoscaling/v2/HorizontalPodAutoscaler": [core + "autoscaling/v2/index.js", "HorizontalPodAutoscaler"],
  "policy/v1/PodDisruptionBudget": [core + "policy/v1/index.js", "PodDisruptionBudget"],
  "networking.k8s.io/v1/NetworkPolicy": [core + "networking.k8s.io/v1/index.js", "NetworkPolicy"],
  "networking.k8s.io/v1/Ingress": [core + "networking.k8s.io/v1/index.js", "Ingress"],
  "monitoring.coreos.com/v1/ServiceMonitor": [operator, "ServiceMonitor"],
  "monitoring.coreos.com/v1/PrometheusRule": [operator, "PrometheusRule"],
};

let failures = 0;
for (const file of process.argv.slice(2)) {
  // YAML 1.1, as Kubernetes reads it: defaultMode 0440 is octal (288), not the 440 of YAML 1.2.
  const parsed = parseAllDocuments(readFileSync(file, "utf8"), { version: "1.1" });
  // A template that loses a newline glues two documents into one with duplicate keys: the yaml package
  // reports that as an error of the document, not by throwing.
  for (const error of parsed.flatMap((d) => d.errors)) {
    failures++;
    console.error(`${file}: ${error.message}`);
  }
  const docs = parsed.map((d) => d.toJS()).filter((d) => d);
  for (const doc of docs) {
    const key = `${doc.apiVersion}/${doc.kind}`;
    const model = kinds[key];
    try {
      if (!model) throw new Error(`no schema known for ${key}; add it to tools/chart-check/validate.mjs`);
      const Kind = (await load(model[0]))[model[1]];
      new Kind(doc).validate();
    } catch (e) {
      failures++;
      console.error(`${file}: ${key} ${doc.metadata?.name}: ${e.message}`);
    }
  }
  writeFileSync(file.replace(/\.yaml$/, ".json"), JSON.stringify(docs, null, 1));
  console.error(`${file}: ${docs.length} manifests checked`);
}
process.exit(failures ? 1 : 0);
