/**
 * Unit tests of the proof of a lock's holder: the `/proc/locks` parser on
 * real text captured from a lock this test holds, and on synthetic text
 * for the other branches; every OS through the OS parameter.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  deviceNumbers,
  findLockHolder,
  parseProcLocks,
} from "../../lib/shared/lock_holder.ts";

const ON_LINUX = Deno.build.os === "linux";

Deno.test({
  name:
    "parseProcLocks and findLockHolder find this process as the holder of a real flock",
  // /proc/locks is Linux-only.
  ignore: !ON_LINUX,
  fn() {
    const dir = Deno.makeTempDirSync();
    const path = `${dir}/x.lock`;
    const file = Deno.openSync(path, { read: true, write: true, create: true });
    try {
      assert(file.tryLockSync(true));
      const text = Deno.readTextFileSync("/proc/locks");
      const { dev, ino } = Deno.statSync(path);
      const { major, minor } = deviceNumbers(dev);
      const mine = parseProcLocks(text).filter((l) => l.inode === ino);
      assert.deepStrictEqual(mine.length, 1, text);
      assert.deepStrictEqual(mine[0], {
        type: "FLOCK",
        access: "WRITE",
        pid: Deno.pid,
        major,
        minor,
        inode: ino,
        blocked: false,
      });
      assert.deepStrictEqual(findLockHolder(path, { os: "linux" }), {
        ok: true,
        pid: Deno.pid,
      });
      file.unlockSync();
      const free = findLockHolder(path, { os: "linux" });
      assert(!free.ok);
      assert.match(free.why, /no process in this PID namespace/);
    } finally {
      file.close();
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

const SYNTHETIC = `1: POSIX  ADVISORY  WRITE 900 fe:00:77 0 EOF
2: FLOCK  ADVISORY  WRITE 4242 fe:00:1234 0 EOF
2: -> FLOCK  ADVISORY  WRITE 5151 fe:00:1234 0 EOF
3: OFDLCK ADVISORY  READ  -1 08:01:1234 0 EOF
4: FLOCK  ADVISORY  WRITE 1 08:11:99 0 EOF
5: FLOCK  ADVISORY  WRITE 77 08:11:555 0 EOF
6: FLOCK  ADVISORY  WRITE 78 08:11:555 0 EOF
7: LEASE  ACTIVE    READ 12 fe:00:42 0 EOF
garbage line
`;

/** `dev` of a device `major:minor` as Linux encodes it (glibc makedev). */
function makedev(major: number, minor: number): number {
  return (minor & 0xff) | ((major & 0xfff) << 8);
}

Deno.test("parseProcLocks reads every kind of line and marks waiters", () => {
  const locks = parseProcLocks(SYNTHETIC);
  assert.deepStrictEqual(locks.length, 8);
  assert.deepStrictEqual(locks[2], {
    type: "FLOCK",
    access: "WRITE",
    pid: 5151,
    major: 0xfe,
    minor: 0,
    inode: 1234,
    blocked: true,
  });
  assert.deepStrictEqual(locks[3].pid, -1);
  assert.deepStrictEqual([locks[4].major, locks[4].minor], [8, 0x11]);
});

Deno.test("deviceNumbers splits a Linux device number as glibc does", () => {
  assert.deepStrictEqual(deviceNumbers(65024), { major: 254, minor: 0 });
  assert.deepStrictEqual(deviceNumbers(makedev(8, 17)), {
    major: 8,
    minor: 17,
  });
  // Large minors use the high bits (glibc sysmacros.h).
  assert.deepStrictEqual(deviceNumbers(0x12345), { major: 0x123, minor: 0x45 });
  assert.deepStrictEqual(deviceNumbers(0x100000), { major: 0, minor: 0x100 });
});

function holder(inode: number, dev: number) {
  return findLockHolder("/state/runtime.lock", {
    os: "linux",
    readLocks: () => SYNTHETIC,
    stat: () => ({ dev, ino: inode }),
  });
}

Deno.test("findLockHolder names the one FLOCK holder of the file's device and inode, not a waiter", () => {
  assert.deepStrictEqual(holder(1234, makedev(0xfe, 0)), {
    ok: true,
    pid: 4242,
  });
});

Deno.test("findLockHolder matches the device too: the same inode on another device is not it", () => {
  const r = holder(1234, makedev(8, 2));
  assert(!r.ok);
  assert.match(r.why, /another PID namespace/);
});

Deno.test("findLockHolder proves nothing when no holder is visible, when several are named, or for pid 1", () => {
  const none = holder(31337, makedev(0xfe, 0));
  assert(!none.ok && /no process in this PID namespace/.test(none.why));
  const posixOnly = holder(77, makedev(0xfe, 0));
  assert(!posixOnly.ok, "a POSIX lock is not the instance's flock");
  const several = holder(555, makedev(8, 0x11));
  assert(!several.ok && /several holders/.test(several.why));
  const init = holder(99, makedev(8, 0x11));
  assert(!init.ok && /pid 1/.test(init.why));
});

Deno.test("findLockHolder proves nothing where /proc/locks or the lock file cannot be read", () => {
  const unreadable = findLockHolder("/x.lock", {
    os: "linux",
    readLocks: () => {
      throw new Deno.errors.NotFound("no /proc");
    },
    stat: () => ({ dev: 1, ino: 1 }),
  });
  assert(!unreadable.ok && /cannot read/.test(unreadable.why));
  const noIno = findLockHolder("/x.lock", {
    os: "linux",
    readLocks: () => SYNTHETIC,
    stat: () => ({ dev: 1, ino: null }),
  });
  assert(!noIno.ok);
});

Deno.test("findLockHolder refuses on macOS and Windows: no list of lock holders, no proof", () => {
  const read = () => {
    throw new Error("must not be read");
  };
  const mac = findLockHolder("/x.lock", { os: "darwin", readLocks: read });
  assert(!mac.ok);
  assert.match(mac.why, /darwin has no list of file locks/);
  const win = findLockHolder("C:\\x.lock", { os: "windows", readLocks: read });
  assert(!win.ok);
  assert.match(win.why, /Windows has no signal/);
});
