/**
 * Unit tests of the base-binary checks of `deno task compile`
 * (scripts/_denort.ts) on small synthetic executable headers and a fake
 * cached zip with its sum file.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  binaryKind,
  denortMismatch,
  parseSha256Sum,
  sha256Hex,
  targetKind,
  verifyCachedZip,
} from "../scripts/_denort.ts";
import { TARGETS } from "../scripts/compile.ts";

/** An ELF header (64-bit, little endian) for `machine`. */
function elf(machine: number): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  new DataView(b.buffer).setUint16(18, machine, true);
  return b;
}

/** A 64-bit Mach-O header for `cputype`. */
function macho(cputype: number): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0xfeedfacf, true);
  v.setUint32(4, cputype, true);
  return b;
}

/** A PE file: DOS header, stub, then 'PE\0\0' and the COFF machine. */
function pe(machine: number, at = 0x80): Uint8Array {
  const b = new Uint8Array(at + 24);
  const v = new DataView(b.buffer);
  b.set([0x4d, 0x5a]);
  v.setUint32(0x3c, at, true);
  v.setUint32(at, 0x00004550, true);
  v.setUint16(at + 4, machine, true);
  return b;
}

const HEADERS: Record<string, Uint8Array> = {
  "x86_64-unknown-linux-gnu": elf(62),
  "aarch64-unknown-linux-gnu": elf(183),
  "x86_64-apple-darwin": macho(0x01000007),
  "aarch64-apple-darwin": macho(0x0100000c),
  "x86_64-pc-windows-msvc": pe(0x8664),
  "aarch64-pc-windows-msvc": pe(0xaa64),
};

Deno.test("the executable header names the format and architecture of every target", () => {
  for (const target of TARGETS) {
    const kind = binaryKind(HEADERS[target]);
    assert.deepStrictEqual(
      kind && { format: kind.format, arch: kind.arch },
      targetKind(target),
      target,
    );
    assert.deepStrictEqual(denortMismatch(HEADERS[target], target), undefined);
  }
});

Deno.test("an x86_64 denort is refused for an aarch64 target, and a Linux one for macOS or Windows", () => {
  assert.deepStrictEqual(
    denortMismatch(elf(62), "aarch64-unknown-linux-gnu"),
    "it is an ELF (Linux) x86_64 binary, and aarch64-unknown-linux-gnu needs ELF (Linux) aarch64",
  );
  assert.match(
    denortMismatch(elf(183), "aarch64-apple-darwin") ?? "",
    /ELF \(Linux\) aarch64 binary, and aarch64-apple-darwin needs Mach-O \(macOS\) aarch64/,
  );
  assert.match(
    denortMismatch(pe(0x8664), "aarch64-pc-windows-msvc") ?? "",
    /PE \(Windows\) x86_64 binary/,
  );
  assert.match(
    denortMismatch(elf(40), "x86_64-unknown-linux-gnu") ?? "",
    /machine 0x28 binary/,
  );
  assert.match(
    denortMismatch(
      new TextEncoder().encode("#!/bin/sh\n"),
      "x86_64-unknown-linux-gnu",
    ) ?? "",
    /not an executable/,
  );
});

Deno.test("the header of the running deno binary matches this machine's target", () => {
  const file = Deno.openSync(Deno.execPath());
  const head = new Uint8Array(4096);
  file.readSync(head);
  file.close();
  assert.deepStrictEqual(denortMismatch(head, Deno.build.target), undefined);
});

Deno.test("a .sha256sum file gives its hash in sha256sum and PowerShell layouts", () => {
  const hex = "a".repeat(64);
  assert.deepStrictEqual(parseSha256Sum(`${hex}  denort-x.zip\n`), hex);
  assert.deepStrictEqual(
    parseSha256Sum(`Hash : ${hex.toUpperCase()}\r\n`),
    hex,
  );
  assert.deepStrictEqual(parseSha256Sum("nothing here"), undefined);
});

Deno.test("a cached denort zip is used only with its published SHA-256 beside it, and only when it matches", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pryx-denort-" });
  try {
    const zip = `${dir}/denort-x86_64-unknown-linux-gnu.zip`;
    const bytes = new TextEncoder().encode("PK\u0003\u0004 fake zip");
    Deno.writeFileSync(zip, bytes);
    const missing = await verifyCachedZip(zip);
    assert(!missing.ok && /no published SHA-256 beside it/.test(missing.why));
    const sum = await sha256Hex(bytes);
    Deno.writeTextFileSync(`${zip}.sha256sum`, `${sum}  ${zip}\n`);
    assert.deepStrictEqual(await verifyCachedZip(zip), {
      ok: true,
      sha256: sum,
    });
    Deno.writeFileSync(zip, new TextEncoder().encode("tampered"));
    const bad = await verifyCachedZip(zip);
    assert(
      !bad.ok && /the published one is/.test(bad.why),
      JSON.stringify(bad),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
