// validate.mjs NODE_MODULES FILE [CASES]: validates FILE (YAML or JSON) with the vendored
// @seriousme/openapi-schema-validator (its OpenAPI 3.0/3.1/3.2 JSON Schemas, with ajv, and
// its check that every $ref resolves); then compiles every schema under components.schemas
// with ajv's JSON Schema 2020-12, strict about keywords (strictSchema; not strictTypes or
// strictRequired, which refuse what allOf parts legitimately do) (the OpenAPI schema leaves a Schema Object's
// content to the dialect: a misspelt keyword or a wrong type name is caught here).
// CASES, a JSON file [{"schema": NAME, "instance": VALUE}, ...], checks each instance against
// components.schemas[NAME] with those compiled schemas (contentSchema is an annotation in
// 2020-12: the caller decodes a payload and checks it against the envelope's schema itself).
// Prints one JSON line: {"valid", "version", "errors", "schemas", "cases", "document"}
// (document: FILE as the validator parsed it; cases: [{"valid", "errors"}] in CASES' order).
// Exit 0 when the file is valid, 1 when not.
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [modules, file, casesFile] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(modules, p)).href);
const { Validator } = await load("@seriousme/openapi-schema-validator/index.js");
const validator = new Validator();
const res = await validator.validate(file);
const doc = validator.specification;
let errors = res.errors ?? null;
let compiled = 0;
const cases = [];
if (res.valid) {
  const Ajv2020 = (await load("ajv/dist/2020.js")).default;
  const addFormats = (await load("ajv-formats/dist/index.js")).default;
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true });
  addFormats(ajv);
  // OpenAPI's own formats (OpenAPI 3.1 section 4.8.5.2; the Format Registry)
  ajv.addFormat("int64", { type: "number", validate: Number.isInteger });
  const prefix = "#/components/schemas/";
  const rewrite = (v) => Array.isArray(v) ? v.map(rewrite)
    : v && typeof v === "object"
      ? Object.fromEntries(Object.entries(v).map(([k, x]) =>
          [k, k === "$ref" && typeof x === "string" && x.startsWith(prefix)
                ? "urn:xc:" + x.slice(prefix.length) : rewrite(x)]))
      : v;
  const schemas = doc.components?.schemas ?? {};
  try {
    for (const [name, s] of Object.entries(schemas)) ajv.addSchema(rewrite(s), "urn:xc:" + name);
    for (const name of Object.keys(schemas)) { ajv.getSchema("urn:xc:" + name); compiled++; }
    if (casesFile) {
      const { readFileSync } = await import("node:fs");
      for (const c of JSON.parse(readFileSync(casesFile, "utf8"))) {
        const check = ajv.getSchema("urn:xc:" + c.schema);
        if (!check) { cases.push({ valid: false, errors: [{ message: "no schema " + c.schema }] }); continue; }
        const ok = check(c.instance);
        cases.push({ valid: ok, errors: ok ? null : check.errors });
      }
    }
  } catch (e) {
    errors = [{ message: String(e.message ?? e), schema: Object.keys(schemas)[compiled] }];
  }
}
const valid = res.valid && errors === null;
console.log(JSON.stringify({ valid, version: validator.version, errors, schemas: compiled, cases,
                             document: doc }));
process.exitCode = valid ? 0 : 1;  // not process.exit: it would cut a long stdout to a pipe
