/**
 * Checks of the base binary `deno compile` wraps (`denort`) before a build
 * uses it:
 *
 * - a `DENORT_BIN` must be a binary for the target's OS and architecture:
 *   `deno compile --target aarch64-...` with an x86_64 denort "succeeds" and
 *   writes an x86_64 binary under the aarch64 name. The executable header
 *   says which: ELF `e_machine` (System V ABI: 62 x86-64, 183 AArch64),
 *   Mach-O `cputype` (`<mach/machine.h>`: 0x01000007 x86_64, 0x0100000C
 *   arm64), PE/COFF `Machine` (Microsoft PE format: 0x8664 AMD64, 0xAA64
 *   ARM64);
 * - a `denort-TARGET.zip` placed in Deno's download cache
 *   (`$DENO_DIR/dl/release/vVERSION/denort-TARGET.zip`, where `deno
 *   compile` looks before it downloads) must match the SHA-256 that Deno
 *   publishes with each release asset: `denort-TARGET.zip.sha256sum` on
 *   https://github.com/denoland/deno/releases/tag/vVERSION (the same file
 *   is at https://dl.deno.land/release/vVERSION/denort-TARGET.zip.sha256sum),
 *   saved beside the zip.
 *
 * @module
 */

/** An executable format. */
export type BinaryFormat = "elf" | "macho" | "pe";

/** A CPU architecture, as the target triples name them. */
export type Arch = "x86_64" | "aarch64";

/** What an executable header says. */
export interface BinaryKind {
  /** The executable format. */
  format: BinaryFormat;
  /** The machine, or `undefined` for one that no target uses. */
  arch: Arch | undefined;
  /** The raw machine number, for messages. */
  machine: number;
}

/** How many leading bytes {@linkcode binaryKind} may need (PE headers can sit after a DOS stub). */
export const HEADER_BYTES = 4096;

/**
 * Reads the format and machine of an executable from its first bytes.
 *
 * @returns `undefined` when the bytes are no ELF, 64-bit Mach-O or PE file.
 */
export function binaryKind(bytes: Uint8Array): BinaryKind | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u8 = (o: number) => o < bytes.length ? bytes[o] : -1;
  // ELF: 7F 'E' 'L' 'F'; EI_DATA (offset 5) 1 = little endian; e_machine at 18.
  if (u8(0) === 0x7f && u8(1) === 0x45 && u8(2) === 0x4c && u8(3) === 0x46) {
    if (bytes.length < 20) return undefined;
    const machine = view.getUint16(18, u8(5) === 1);
    const arch = machine === 62
      ? "x86_64"
      : machine === 183
      ? "aarch64"
      : undefined;
    return { format: "elf", arch, machine };
  }
  // Mach-O 64-bit: MH_MAGIC_64 0xFEEDFACF, little endian on both targets.
  if (bytes.length >= 8 && view.getUint32(0, true) === 0xfeedfacf) {
    const machine = view.getUint32(4, true);
    const arch = machine === 0x01000007
      ? "x86_64"
      : machine === 0x0100000c
      ? "aarch64"
      : undefined;
    return { format: "macho", arch, machine };
  }
  // PE: 'MZ', e_lfanew at 0x3C, then 'PE\0\0' and the COFF Machine field.
  if (u8(0) === 0x4d && u8(1) === 0x5a && bytes.length >= 0x40) {
    const pe = view.getUint32(0x3c, true);
    if (pe + 6 > bytes.length) return undefined;
    if (view.getUint32(pe, true) !== 0x00004550) return undefined;
    const machine = view.getUint16(pe + 4, true);
    const arch = machine === 0x8664
      ? "x86_64"
      : machine === 0xaa64
      ? "aarch64"
      : undefined;
    return { format: "pe", arch, machine };
  }
  return undefined;
}

/** The executable format and architecture a target triple needs. */
export function targetKind(
  target: string,
): { format: BinaryFormat; arch: Arch } {
  const arch: Arch = target.startsWith("aarch64-") ? "aarch64" : "x86_64";
  const format: BinaryFormat = target.includes("-apple-darwin")
    ? "macho"
    : target.includes("-windows-")
    ? "pe"
    : "elf";
  return { format, arch };
}

const FORMAT_NAMES: Record<BinaryFormat, string> = {
  elf: "ELF (Linux)",
  macho: "Mach-O (macOS)",
  pe: "PE (Windows)",
};

/**
 * Why a binary whose header is `bytes` cannot serve as the denort of
 * `target`, or `undefined` when it can.
 *
 * @example
 * ```ts
 * denortMismatch(x86ElfHeader, "aarch64-unknown-linux-gnu");
 * // "it is an ELF (Linux) x86_64 binary, and aarch64-unknown-linux-gnu needs ELF (Linux) aarch64"
 * ```
 */
export function denortMismatch(
  bytes: Uint8Array,
  target: string,
): string | undefined {
  const want = targetKind(target);
  const got = binaryKind(bytes);
  const needs = `${target} needs ${FORMAT_NAMES[want.format]} ${want.arch}`;
  if (got === undefined) return `it is not an executable, and ${needs}`;
  if (got.format === want.format && got.arch === want.arch) return undefined;
  const arch = got.arch ?? `machine 0x${got.machine.toString(16)}`;
  return `it is an ${FORMAT_NAMES[got.format]} ${arch} binary, and ${needs}`;
}

/** Reads the first {@linkcode HEADER_BYTES} of a file. */
export function readHeader(path: string): Uint8Array {
  const file = Deno.openSync(path, { read: true });
  try {
    const buf = new Uint8Array(HEADER_BYTES);
    let n = 0;
    while (n < buf.length) {
      const read = file.readSync(buf.subarray(n));
      if (read === null || read === 0) break;
      n += read;
    }
    return buf.subarray(0, n);
  } finally {
    file.close();
  }
}

/**
 * The SHA-256 of a `.sha256sum` file: the first 64 hex digits of its
 * content (`sha256sum` prints `HEX  NAME`; Deno's files hold the same, or
 * the hex alone, and on Windows releases `Hash : HEX` as printed by
 * PowerShell's `Get-FileHash | Format-List`).
 *
 * @returns Lower-case hex, or `undefined` when there is none.
 */
export function parseSha256Sum(text: string): string | undefined {
  return /\b([0-9a-fA-F]{64})\b/.exec(text)?.[1].toLowerCase();
}

/** SHA-256 of `bytes` as lower-case hex, with Web Crypto. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The outcome of {@linkcode verifyCachedZip}. */
export type ZipCheck =
  | { ok: true; sha256: string }
  | { ok: false; why: string };

/**
 * Checks a cached `denort-TARGET.zip` against the published sum saved
 * beside it as `denort-TARGET.zip.sha256sum`.
 */
export async function verifyCachedZip(zipPath: string): Promise<ZipCheck> {
  const sumPath = `${zipPath}.sha256sum`;
  let sumText: string;
  try {
    sumText = Deno.readTextFileSync(sumPath);
  } catch {
    return {
      ok: false,
      why: `no published SHA-256 beside it: save ${
        zipPath.replace(/^.*[\\/]/, "")
      }.sha256sum from the Deno release as ${sumPath}`,
    };
  }
  const expected = parseSha256Sum(sumText);
  if (expected === undefined) {
    return { ok: false, why: `${sumPath} holds no SHA-256` };
  }
  const actual = await sha256Hex(Deno.readFileSync(zipPath));
  if (actual !== expected) {
    return {
      ok: false,
      why:
        `its SHA-256 is ${actual}, the published one is ${expected}; delete it and fetch it again`,
    };
  }
  return { ok: true, sha256: actual };
}
