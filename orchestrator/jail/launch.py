"""orch's write jail: run a command with some paths read-only, enforced by the kernel.

Standalone on purpose (run by path as `python -S launch.py …`, standard library only, no
`orchestrator` import): it starts before every Bash command of a jailed session, so it must cost
little more than the interpreter's own start.

How (Linux): a private mount namespace, entered with a user namespace when not root, in which
each protected path is bind-mounted onto itself read-only; then a Landlock domain seals it (a
Landlock-restricted process may not mount, unmount or remount, and may not reach into processes
outside its domain through `/proc/PID/root`). Landlock alone cannot say "this tree writable except
`.orch/`": its rights are inherited down a hierarchy, so a right to create files at the repo root is
a right to create them in `.orch/` too. Read-only bind mounts have exactly the wanted meaning: no
write, create, rename or delete beneath the path; everything else untouched.

Usage:
    launch.py probe                        exit 0 when this machine can jail, else 1 (reason on stderr)
    launch.py run PATH… -- ARGV…           run ARGV with each PATH read-only
    launch.py session DIR SHELL STRING     Claude Code's Bash: find the spec the PreToolUse hook left
                                           in DIR for the command in STRING (the whole string Claude
                                           Code's shell was running), apply it, exec SHELL -c STRING
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Spec = tuple[str, str, list[str]]  # mode, command, the paths to hold read-only

CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
MS_RDONLY, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 32, 4096, 16384, 1 << 18
# statvfs flags -> the mount flags a user namespace's copy of a mount must keep when remounted
KEPT_FLAGS = ((2, 2), (4, 4), (8, 8), (1024, 1024), (2048, 2048), (4096, 1 << 21))
SYS_CREATE_RULESET, SYS_RESTRICT_SELF = 444, 446
LANDLOCK_MAKE_BLOCK = 1 << 11
JAILED_ENV = "ORCH_JAILED"
PREFIX = "orch jail: "
UNJAILED = "running without the jail"


class JailError(Exception):
    pass


class _Kernel:
    """The system calls the jail makes. Through `_ctypes`, the C half of `ctypes`: importing
    `ctypes` itself costs about 10 ms, most of the launcher's own time; `ctypes` where the
    interpreter lacks what is used here."""

    def __init__(self) -> None:
        try:
            self._bind_fast()
        except (ImportError, AttributeError, TypeError):
            self._bind_ctypes()

    def _bind_fast(self) -> None:
        c: Any = __import__("_ctypes")
        long_ = type("Long", (c._SimpleCData,), {"_type_": "l"})
        func = type("Func", (c.CFuncPtr,), {"_flags_": c.FUNCFLAG_CDECL | c.FUNCFLAG_USE_ERRNO,
                                            "_restype_": long_})
        library = type("Library", (), {"_handle": c.dlopen(None, os.RTLD_NOW)})
        u64 = type("U64", (c._SimpleCData,), {"_type_": "Q"})
        self.ulong: Any = type("ULong", (c._SimpleCData,), {"_type_": "L"})
        self.attr: Any = type("RulesetAttr", (c.Array,), {"_type_": u64, "_length_": 3})
        self.byref: Any = c.byref
        self.errno: Any = c.get_errno
        self._function: Any = lambda name: func((name, library))

    def _bind_ctypes(self) -> None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        self.ulong, self.byref, self.errno = ctypes.c_ulong, ctypes.byref, ctypes.get_errno
        self.attr = ctypes.c_uint64 * 3
        self._function = lambda name: getattr(libc, name)

    def call(self, what: str, name: str, *args: object) -> int:
        result = int(self._function(name)(*args))
        if result < 0:
            raise JailError(f"{what}: {os.strerror(self.errno())}")
        return result


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def _enter_namespace(kernel: _Kernel) -> None:
    uid, gid = os.geteuid(), os.getegid()
    flags = CLONE_NEWNS if uid == 0 else CLONE_NEWNS | CLONE_NEWUSER
    kernel.call("unshare", "unshare", flags)
    if uid != 0:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    # our mounts must not propagate back to the namespace we came from
    kernel.call("mount --make-rprivate /", "mount", None, b"/", None, kernel.ulong(MS_REC | MS_PRIVATE), None)


def _read_only(path: str, kernel: _Kernel) -> None:
    raw = os.fsencode(path)
    kernel.call(f"bind {path}", "mount", raw, raw, None, kernel.ulong(MS_BIND | MS_REC), None)
    kept = os.statvfs(path).f_flag
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY
    for st_flag, ms_flag in KEPT_FLAGS:
        if kept & st_flag:
            flags |= ms_flag
    kernel.call(f"remount {path} read-only", "mount", None, raw, None, kernel.ulong(flags), None)


def _seal(kernel: _Kernel) -> None:
    """A Landlock domain that refuses only making block devices: it changes no ordinary access,
    but a process inside it may no longer change the mount topology (undo the read-only mounts)
    nor open `/proc/PID/root` of a process outside it."""
    handled = kernel.attr(LANDLOCK_MAKE_BLOCK, 0, 0)
    ruleset = kernel.call("landlock_create_ruleset", "syscall", kernel.ulong(SYS_CREATE_RULESET),
                          kernel.byref(handled), kernel.ulong(8), kernel.ulong(0))
    try:
        kernel.call("landlock_restrict_self", "syscall", kernel.ulong(SYS_RESTRICT_SELF), ruleset,
                    kernel.ulong(0))
    finally:
        os.close(ruleset)


def confine(paths: list[str]) -> None:
    """Make each existing path read-only for this process and everything it starts."""
    kernel = _Kernel()
    _enter_namespace(kernel)
    for path in sorted({os.path.realpath(p) for p in paths if os.path.lexists(p)}, key=len):
        _read_only(path, kernel)
    _seal(kernel)
    os.environ[JAILED_ENV] = "1"


def probe() -> int:
    """Can this machine jail? Tried in a child, so this process stays as it was."""
    pid = os.fork()
    if pid == 0:
        try:
            confine([os.path.dirname(os.path.abspath(__file__))])
            os._exit(0)
        except (JailError, OSError) as exc:
            sys.stderr.write(f"{exc}\n")
            os._exit(1)
    return 0 if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0 else 1


def read_spec(path: str) -> Spec | None:
    """(mode, command, read-only paths) of a spec file: fields separated by NUL."""
    try:
        with open(path, "rb") as handle:
            fields = os.fsdecode(handle.read()).split("\0")
    except OSError:
        return None
    if len(fields) < 2 or fields[0] not in ("jail", "free"):
        return None
    return fields[0], fields[1], [f for f in fields[2:] if f]


def choose(folder: str, string: str) -> tuple[str, list[str]]:
    """The mode and read-only paths for the command inside `string`: those of the spec whose
    command the string runs (the newest is consumed). When several callers left the same command
    (two subagents running `pytest` at once), only what all of them hold. When none matches (Claude
    Code changed the text), what every pending spec holds, never `free`. Always the `default`."""
    default = read_spec(os.path.join(folder, "default"))
    base = default[2] if default else []
    session = os.path.join(folder, os.environ.get("CLAUDE_CODE_SESSION_ID", "") or "_")
    matching, pending = _pending(session, string)
    if matching:
        _remove(matching[0][0])
        modes = {spec[0] for _, spec in matching}
        return ("free" if modes == {"free"} else "jail"), base + _common([spec for _, spec in matching])
    return "jail", base + _common(pending)


def _pending(session: str, string: str) -> tuple[list[tuple[str, Spec]], list[Spec]]:
    """The session's specs, newest first: (path, spec) of those whose command `string` runs, and
    all of them."""
    try:
        names = sorted(os.listdir(session), key=lambda n: _mtime(os.path.join(session, n)), reverse=True)
    except OSError:
        names = []
    matching: list[tuple[str, Spec]] = []
    every: list[Spec] = []
    for name in names:
        spec = None if name.startswith(".") else read_spec(os.path.join(session, name))
        if spec is not None:
            every.append(spec)
            if _runs(string, spec[1]):
                matching.append((os.path.join(session, name), spec))
    return matching, every


def _common(found: list[Spec]) -> list[str]:
    if not found:
        return []
    return sorted(set(found[0][2]).intersection(*(set(spec[2]) for spec in found[1:])))


def _runs(string: str, command: str) -> bool:
    """Whether `string` evals `command`: single-quoted with an inner `'` written `'"'"'` (as Claude
    Code writes it) or `'\\''`, or as it is."""
    if not command:
        return False
    quoted = ("'" + command.replace("'", escape) + "'" for escape in ("'\\''", "'\"'\"'"))
    return any(form in string for form in quoted) or command in string


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def session(folder: str, shell: str, string: str) -> int:
    _heartbeat(folder)
    mode, paths = choose(folder, string)
    if mode == "jail":
        try:
            confine(paths)
        except (JailError, OSError) as exc:
            if _required(folder):
                sys.stderr.write(f"{PREFIX}cannot jail this command ({exc}) and policy.jail is `on`: not "
                                 "running it. Ask the human to fix the machine or set policy.jail auto.\n")
                return 126
            _say_once(folder, f"{PREFIX}{UNJAILED} ({exc})\n")
    os.execvp(shell, [shell, "-c", string])  # zsh names itself without its folder
    return 127


def _heartbeat(folder: str) -> None:
    """Touch `<session>/.ran`: the hooks tell a call the launcher saw but could not match from one
    it never saw."""
    path = os.path.join(folder, os.environ.get("CLAUDE_CODE_SESSION_ID", "") or "_", ".ran")
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a"):
            os.utime(path)
    except OSError:
        pass


def _say_once(folder: str, line: str) -> None:
    """Write `line` to stderr once per session (the hooks then say it to the model)."""
    path = os.path.join(folder, os.environ.get("CLAUDE_CODE_SESSION_ID", "") or "_", ".unjailed")
    if os.path.exists(path):
        return
    sys.stderr.write(line)
    try:
        with open(path, "w") as handle:
            handle.write(line)
    except OSError:
        pass


def _required(folder: str) -> bool:
    return os.path.exists(os.path.join(folder, "required"))


def run(args: list[str]) -> int:
    if "--" not in args:
        sys.stderr.write("usage: launch.py run PATH… -- ARGV…\n")
        return 2
    cut = args.index("--")
    paths, argv = args[:cut], args[cut + 1:]
    if not argv:
        sys.stderr.write("usage: launch.py run PATH… -- ARGV…\n")
        return 2
    try:
        confine(paths)
    except (JailError, OSError) as exc:
        sys.stderr.write(f"{PREFIX}cannot jail: {exc}\n")
        return 126
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        sys.stderr.write(f"{PREFIX}{argv[0]}: {exc.strerror}\n")
        return 127
    return 127


def main(argv: list[str]) -> int:
    if argv[:1] == ["probe"]:
        return probe()
    if argv[:1] == ["run"]:
        return run(argv[1:])
    if argv[:1] == ["session"] and len(argv) == 4:
        return session(argv[1], argv[2], argv[3])
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
