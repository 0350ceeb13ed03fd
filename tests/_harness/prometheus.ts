/**
 * A strict, line-by-line reader of the Prometheus text exposition format
 * 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/),
 * for the tests of `/metrics`: it throws on the first line that breaks a
 * rule of the format or of the naming conventions we promise (counters end
 * `_total`), so a test that parses an exposition checks it too.
 *
 * @module
 */

/** One sample: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** One metric family as read. */
export interface MetricFamily {
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/**
 * Parses `text` by the format's rules, throwing `Error("line N: why")` on
 * the first that fails: the text ends with a newline; every line is a
 * `# HELP`, a `# TYPE` or a sample; names match the metric-name grammar;
 * label values are quoted with only `\\`, `\"` and `\n` escapes; a family
 * has one HELP and one TYPE, both before its first sample, and its samples
 * are contiguous; no sample repeats a name and label set; a counter's name
 * ends `_total` and nothing else's does.
 */
export function parseExposition(text: string): Map<string, MetricFamily> {
  if (!text.endsWith("\n")) throw new Error("the text must end with a newline");
  const families = new Map<string, MetricFamily>();
  /** Which families have had their HELP and TYPE line. */
  const declared = new Map<string, { help: boolean; type: boolean }>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  let current: string | undefined;
  const lines = text.slice(0, -1).split("\n");
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${JSON.stringify(line)})`;
    const fail = (why: string): never => {
      throw new Error(`${where}: ${why}`);
    };
    const enter = (name: string) => {
      if (current !== name) {
        if (closed.has(name)) fail(`family ${name} is not contiguous`);
        if (current !== undefined) closed.add(current);
        current = name;
      }
    };
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (m === null) return fail("a comment that is neither HELP nor TYPE");
      const [, kind, name, rest] = m;
      if (!METRIC_NAME.test(name)) fail(`bad metric name ${name}`);
      enter(name);
      let family = families.get(name);
      let has = declared.get(name);
      if (family === undefined || has === undefined) {
        family = { type: "untyped", help: "", samples: [] };
        has = { help: false, type: false };
        families.set(name, family);
        declared.set(name, has);
      }
      if (family.samples.length > 0) fail(`${kind} after samples of ${name}`);
      if (kind === "HELP") {
        if (has.help) fail("a second HELP");
        has.help = true;
        if (/\\(?![\\n])/.test(rest)) fail("a bad escape in HELP");
        family.help = rest.replace(/\\n/g, "\n").replace(/\\\\/g, "\\");
      } else {
        if (has.type) fail("a second TYPE");
        if (!TYPES.has(rest)) fail(`unknown type ${rest}`);
        has.type = true;
        family.type = rest as MetricFamily["type"];
        if (rest === "counter" && !name.endsWith("_total")) {
          fail(`counter ${name} does not end _total`);
        }
        if (rest !== "counter" && name.endsWith("_total")) {
          fail(`${rest} ${name} ends _total`);
        }
      }
      return;
    }
    const m = /^([^\s{]+)(\{[^]*\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (m === null) return fail("not a sample line");
    const [, name, labelText, value] = m;
    if (!METRIC_NAME.test(name)) fail(`bad metric name ${name}`);
    if (!VALUE.test(value)) fail(`bad value ${value}`);
    const family = families.get(name);
    const has = declared.get(name);
    if (family === undefined || !has?.type) {
      return fail(`sample of ${name} before its TYPE`);
    }
    if (!has.help) fail(`sample of ${name} before its HELP`);
    enter(name);
    const labels = labelText === undefined
      ? {}
      : parseLabels(labelText.slice(1, -1), fail);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) fail("a repeated sample");
    seen.add(key);
    family.samples.push({ labels, value: Number(value) });
  });
  return families;
}

/** `a="1",b="x\"y"` → `{a: "1", b: 'x"y'}`, by the format's escapes. */
function parseLabels(
  text: string,
  fail: (why: string) => never,
): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== "") {
    const m = /^([^=]*)="((?:[^"\\\n]|\\[\\"n])*)"(,?)/.exec(rest);
    if (m === null) return fail(`bad label set {${text}}`);
    const [whole, name, raw, comma] = m;
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      fail(`bad label name ${name}`);
    }
    if (name in labels) fail(`label ${name} twice`);
    labels[name] = raw.replace(/\\(.)/g, (_, c) => c === "n" ? "\n" : c);
    rest = rest.slice(whole.length);
    if (comma === "" && rest !== "") fail(`bad label set {${text}}`);
  }
  return labels;
}

/** The one sample of `name` whose labels include `labels` (0 when absent). */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  const family = families.get(name);
  const sample = family?.samples.find((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v)
  );
  return sample?.value ?? 0;
}
