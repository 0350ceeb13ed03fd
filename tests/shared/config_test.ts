/**
 * Unit tests of instance naming (lib/shared/config.ts): Windows device names
 * are refused on every OS.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  isWindowsDeviceName,
  parseInstanceName,
} from "../../lib/shared/config.ts";
import { UsageError } from "../../lib/shared/errors.ts";

Deno.test("Windows device names, alone or before an extension, are not instance names", () => {
  const devices = ["nul", "con", "prn", "aux", "con.x", "nul.dev", "aux.1"];
  for (let i = 0; i <= 9; i++) devices.push(`com${i}`, `lpt${i}`, `lpt${i}.x`);
  for (const name of devices) {
    assert(isWindowsDeviceName(name), name);
    assert.throws(() => parseInstanceName(name), UsageError, name);
  }
});

Deno.test("names that merely contain a device name are instance names", () => {
  for (
    const name of [
      "null",
      "console",
      "com10",
      "lpt",
      "my-con",
      "auxiliary",
      "con-1",
      "runtime",
    ]
  ) {
    assert(!isWindowsDeviceName(name), name);
    assert.deepStrictEqual(parseInstanceName(name), name);
  }
});
