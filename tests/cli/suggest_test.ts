/**
 * Unit tests of the "did you mean" suggestions for mistyped flags and
 * subcommands.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  didYouMean,
  editDistance,
  suggest,
  typoLimit,
} from "../../lib/cli/suggest.ts";
import { FLAGS as DISCOVER_FLAGS } from "../../lib/cli/discover.ts";
import { FLAGS as LIST_FLAGS } from "../../lib/cli/list.ts";
import { SUBCOMMANDS } from "../../lib/cli/subcommands.ts";

const DISCOVER = [...Object.keys(DISCOVER_FLAGS), "help"];
const LIST = [...Object.keys(LIST_FLAGS), "help"];
const COMMANDS = Object.keys(SUBCOMMANDS);

Deno.test("the edit distance counts insertions, deletions, substitutions and adjacent swaps as one each", () => {
  assert.equal(editDistance("format", "format"), 0);
  assert.equal(editDistance("formt", "format"), 1);
  assert.equal(editDistance("formatt", "format"), 1);
  assert.equal(editDistance("formal", "format"), 1);
  assert.equal(editDistance("josn", "json"), 1);
  assert.equal(editDistance("ab", "ba"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
  // Optimal string alignment: no substring is edited twice.
  assert.equal(editDistance("ca", "abc"), 3);
});

Deno.test("the edit distance gives up above its bound with bound + 1", () => {
  assert.equal(editDistance("kitten", "sitting", 1), 2);
  assert.equal(editDistance("a", "abcdef", 2), 3);
  assert.equal(editDistance("formt", "format", 1), 1);
});

Deno.test("a typo may be one edit away up to 5 characters and two from 6", () => {
  assert.deepEqual([1, 2, 3, 5, 6, 8, 20].map(typoLimit), [
    1,
    1,
    1,
    1,
    2,
    2,
    2,
  ]);
});

Deno.test("a flag one edit away is suggested: --formt is --format", () => {
  assert.deepEqual(suggest("formt", DISCOVER), ["format"]);
  assert.deepEqual(suggest("josn", DISCOVER), ["json"]);
  assert.deepEqual(suggest("quite", DISCOVER), ["quiet"]);
  assert.deepEqual(suggest("nocheck", DISCOVER), ["no-check"]);
  assert.deepEqual(suggest("stat-dri", LIST), ["state-dir"]);
});

Deno.test("a unique prefix is suggested, an ambiguous one is not", () => {
  assert.deepEqual(suggest("form", DISCOVER), ["format"]);
  assert.deepEqual(suggest("al", LIST), ["all"]);
  // "w" begins both "wait" and "watch", and one letter is too short anyway.
  assert.deepEqual(suggest("w", DISCOVER), []);
  assert.deepEqual(suggest("wa", DISCOVER), []);
});

Deno.test("a name that differs only in case is suggested", () => {
  assert.deepEqual(suggest("JSON", DISCOVER), ["json"]);
  assert.deepEqual(suggest("Discover", COMMANDS), ["discover"]);
});

Deno.test("nothing is suggested when no name is close enough to be a typo", () => {
  assert.deepEqual(suggest("xyz", DISCOVER), []);
  assert.deepEqual(suggest("port", DISCOVER), []);
  // Two edits from "all" and "any", but only two letters long.
  assert.deepEqual(suggest("ab", LIST), []);
  assert.deepEqual(suggest("ls", COMMANDS), []);
  assert.deepEqual(suggest("", COMMANDS), []);
  assert.deepEqual(suggest("anything", []), []);
});

Deno.test("a misspelled subcommand suggests the subcommand: discovr is discover", () => {
  assert.deepEqual(suggest("discovr", COMMANDS), ["discover"]);
  assert.deepEqual(suggest("lsit", COMMANDS), ["list"]);
  assert.deepEqual(suggest("stpo", COMMANDS), ["stop"]);
  assert.deepEqual(suggest("serv", COMMANDS), ["serve"]);
});

Deno.test("names at the same best distance are all suggested, in order", () => {
  assert.deepEqual(suggest("bat", ["cat", "bar", "dog"]), ["cat", "bar"]);
  assert.deepEqual(suggest("xa", ["a", "b", "c", "xb", "xc", "xd"]), [
    "a",
    "xb",
    "xc",
  ]);
});

Deno.test("the did-you-mean clause lists the names, then the next step", () => {
  const dash = (n: string) => `--${n}`;
  assert.equal(
    didYouMean("formt", DISCOVER, dash, `run "x --help"`),
    `; did you mean --format? Run "x --help"`,
  );
  assert.equal(
    didYouMean("bat", ["cat", "bar"], dash, "run it"),
    "; did you mean --cat or --bar? Run it",
  );
  assert.equal(didYouMean("xyz", DISCOVER, dash, "run it"), "; run it");
});
