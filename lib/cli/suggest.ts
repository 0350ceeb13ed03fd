/**
 * "Did you mean ...?": the names a mistyped flag or subcommand most likely
 * stands for, or none when nothing is close enough to be a typo.
 *
 * Loaded by the flag parser, so on the start-up path of `discover`: no
 * imports, no tables, one small dynamic-programming loop that runs only on
 * the error path.
 *
 * @module
 */

/** The most names one "did you mean" lists; more reads as a guess. */
const MAX_SUGGESTIONS = 3;

/** Fewest characters a prefix needs before it alone points at one name. */
const MIN_PREFIX = 2;

/**
 * The largest edit distance that still reads as a typo of a word of
 * `length` characters: 1 up to 5 characters, 2 from 6 on. A short word two
 * edits away from a name is another word (`ab` is not `all`); the same
 * threshold as Rust's `find_best_match_for_name` (a third of the length),
 * capped at 2 as git and cargo do.
 */
export function typoLimit(length: number): number {
  return Math.min(2, Math.max(1, Math.floor(length / 3)));
}

/**
 * The optimal string alignment distance between `a` and `b`: the fewest
 * insertions, deletions, substitutions and swaps of two adjacent characters
 * that turn one into the other (Damerau-Levenshtein without editing a
 * substring twice; Boytsov, "Indexing methods for approximate dictionary
 * searching", 2011). Compares UTF-16 code units; flag and command names are
 * ASCII.
 *
 * @returns The distance, or `max + 1` when it exceeds `max` (decided as
 * soon as a whole row of the table exceeds it).
 *
 * @example
 * ```ts
 * editDistance("formt", "format"); // 1
 * editDistance("josn", "json"); // 1 (a swap)
 * ```
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  // Three rows of the table: the one before the previous (for swaps), the
  // previous and the current.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(
        previous[j] + 1,
        current[j - 1] + 1,
        previous[j - 1] + cost,
      );
      if (
        i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]
      ) {
        d = Math.min(d, before[j - 2] + 1);
      }
      current[j] = d;
      rowMin = Math.min(rowMin, d);
    }
    if (rowMin > max) return max + 1;
    before = previous;
    previous = current;
  }
  return Math.min(previous[b.length], max + 1);
}

/**
 * The names of `candidates` that `typed` is most likely a typo of, best
 * first; empty when none is close enough to be one. In order: a name equal
 * but for case; the one name that `typed` begins (`form` for `format`, at
 * least two characters); the names at the smallest edit distance
 * ({@linkcode editDistance}) within {@linkcode typoLimit}, at most three,
 * in the order of `candidates`.
 *
 * @example
 * ```ts
 * suggest("formt", ["format", "json", "wait"]); // ["format"]
 * suggest("discovr", ["serve", "discover", "list"]); // ["discover"]
 * suggest("xyz", ["format", "json"]); // []
 * ```
 */
export function suggest(
  typed: string,
  candidates: readonly string[],
): string[] {
  const word = typed.toLowerCase();
  if (word === "") return [];
  const same = candidates.find((c) => c.toLowerCase() === word);
  if (same !== undefined) return [same];
  if (word.length >= MIN_PREFIX) {
    const starts = candidates.filter((c) => c.toLowerCase().startsWith(word));
    if (starts.length === 1) return starts;
  }
  const limit = typoLimit(word.length);
  let best = limit + 1;
  let found: string[] = [];
  for (const candidate of candidates) {
    const d = editDistance(word, candidate.toLowerCase(), limit);
    if (d < best) [best, found] = [d, [candidate]];
    else if (d === best && d <= limit) found.push(candidate);
  }
  return found.slice(0, MAX_SUGGESTIONS);
}

/**
 * The end of an error line about `typed`: the names it most likely stands
 * for, then the next step `next` (a clause in lower case, `run "... --help"`).
 * `format` writes a name as the user types it (`--format`).
 *
 * @returns `; did you mean --format? Run "..."`, `; did you mean --any or
 * --all? Run "..."`, or `; run "..."` when nothing is close.
 */
export function didYouMean(
  typed: string,
  candidates: readonly string[],
  format: (name: string) => string,
  next: string,
): string {
  const names = suggest(typed, candidates).map(format);
  if (names.length === 0) return `; ${next}`;
  const last = names.pop()!;
  const list = names.length === 0 ? last : `${names.join(", ")} or ${last}`;
  return `; did you mean ${list}? ${next[0].toUpperCase()}${next.slice(1)}`;
}
