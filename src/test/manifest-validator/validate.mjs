// Validates what DeploymentManifestsTest sends on standard input and prints the problems found.
//
// Input: {"kubernetes": [{"source": "...", "document": {...}}], "dockerfiles": [{"source": "...", "text": "..."}]}
// Output: {"checked": ["source: kind name", ...], "problems": ["source: ...", ...]}
//
// Kubernetes objects are checked against the JSON schemas of kubernetes-models (generated from
// the Kubernetes OpenAPI document) and @kubernetes-models/prometheus-operator (generated from
// the operator's CRDs): required fields, types, enums, formats and patterns. Those schemas allow
// unknown fields; the Java side rejects them with fabric8's typed model. A kind without a
// schema here is a problem, never a silent pass.
import { readFileSync } from "node:fs";
import { validate as lintDockerfile } from "dockerfile-utils";

const MODULE_BY_GROUP = {
  "monitoring.coreos.com": "@kubernetes-models/prometheus-operator",
};

async function modelClass(apiVersion, kind) {
  const slash = apiVersion.indexOf("/");
  const group = slash < 0 ? "" : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const pkg = MODULE_BY_GROUP[group] ?? "kubernetes-models";
  const path = group === "" ? `${pkg}/${version}/${kind}` : `${pkg}/${group}/${version}/${kind}`;
  try {
    return (await import(path))[kind];
  } catch (e) {
    return undefined;
  }
}

const request = JSON.parse(readFileSync(0, "utf8"));
const checked = [];
const problems = [];

for (const { source, document } of request.kubernetes ?? []) {
  const { apiVersion, kind } = document ?? {};
  const what = `${source}: ${kind} ${document?.metadata?.name}`;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    problems.push(`${source}: a document without apiVersion and kind`);
    continue;
  }
  const Model = await modelClass(apiVersion, kind);
  if (typeof Model !== "function") {
    problems.push(`${what}: no schema for ${apiVersion} ${kind}`);
    continue;
  }
  try {
    new Model(document).validate();
    checked.push(what);
  } catch (e) {
    problems.push(`${what}: ${e.message}`);
  }
}

for (const { source, text } of request.dockerfiles ?? []) {
  for (const d of lintDockerfile(text)) {
    problems.push(`${source}:${d.range.start.line + 1}: ${d.message}`);
  }
  checked.push(`${source}: Dockerfile`);
}

process.stdout.write(JSON.stringify({ checked, problems }) + "\n");
