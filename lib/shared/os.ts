/**
 * The OS a branch of the code is for, as Deno names it (`Deno.build.os`):
 * behaviour that depends on the OS takes one as a parameter, so every
 * branch is tested on any OS.
 *
 * @module
 */

/** An OS as `Deno.build.os` names it: `linux`, `darwin`, `windows`, ... */
export type Os = typeof Deno.build.os;
