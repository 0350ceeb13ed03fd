/**
 * The report of `deno task bench`: a markdown table with one row per figure
 * (figure, ours, baseline, ratio, goal), and the same figures as JSON.
 *
 * @module
 */

import { type Figure, fmt, type Plan, summarize } from "./_bench.ts";

/** `fig`'s goal in words, and whether its values meet it (`undefined`: no goal). */
function goalOf(fig: Figure, ours: number, ratio: number): [string, boolean?] {
  if (fig.absGoal !== undefined) {
    const ok = fig.absInclusive ? ours <= fig.absGoal : ours < fig.absGoal;
    return [
      `ours ${fig.absInclusive ? "≤" : "<"} ${fig.absGoal} ${
        fig.absUnit ?? "MiB"
      }`,
      ok,
    ];
  }
  if (fig.ratioGoal !== undefined) {
    const ok = fig.lowerIsBetter
      ? ratio <= fig.ratioGoal
      : ratio >= fig.ratioGoal;
    return [`${fig.lowerIsBetter ? "≤" : "≥"} ${fig.ratioGoal.toFixed(2)}`, ok];
  }
  return [""];
}

/** The report: a title line, the markdown table, and the errors. */
export function formatReport(figures: Figure[], plan: Plan): string {
  const lines = [
    `pryx-core against bare Deno ${Deno.version.deno}, in one run: medians of ${plan.rounds} rounds (${plan.startRounds} for start-up and idle RSS, ${plan.clientRounds} with ${plan.idleClients} clients, ${plan.restartSamples} restarts)${
      plan.quick ? ", --quick" : ""
    }`,
    "",
    "| figure | ours | baseline | ratio | goal |",
    "|---|--:|--:|--:|---|",
  ];
  const notes: string[] = [];
  for (const fig of figures) {
    const ours = summarize(fig, "pryx");
    const base = summarize(fig, "baseline");
    const ratio = ours / base;
    const [goal, ok] = goalOf(fig, ours, ratio);
    const verdict = fig.error !== undefined || !Number.isFinite(ratio)
      ? "FAILED"
      : ok === undefined
      ? ""
      : ok
      ? "ok"
      : "MISSED";
    lines.push(
      `| ${fig.label.trim()} | ${fmt(ours)} | ${fmt(base)} | ${
        Number.isFinite(ratio) ? ratio.toFixed(2) : "n/a"
      } | ${[goal, verdict].filter((s) => s !== "").join(" ")} |`,
    );
    if (fig.error !== undefined) notes.push(`${fig.key}: ${fig.error}`);
  }
  if (notes.length > 0) lines.push("", ...notes.map((n) => `error: ${n}`));
  return lines.join("\n");
}

/** The figures as one JSON line: key, ours, baseline, ratio, error. */
export function formatJson(figures: Figure[]): string {
  return JSON.stringify(figures.map((f) => {
    const pryx = summarize(f, "pryx");
    const baseline = summarize(f, "baseline");
    return {
      key: f.key,
      pryx,
      baseline,
      ratio: pryx / baseline,
      error: f.error,
    };
  }));
}
