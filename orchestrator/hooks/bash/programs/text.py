"""Text tools that may write files: sed, awk, sort, uniq, patch."""

from __future__ import annotations

import os

from orchestrator.hooks.bash.programs import getopt, has, values

TYPE_CHECKING = False
if TYPE_CHECKING:
    from orchestrator.hooks.bash.analyser import Analyser, Arg
    from orchestrator.hooks.bash.command import Ctx
    from orchestrator.hooks.bash.programs import Handler, Opts


def _sed(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """sed: `-i`/`--in-place` writes the file operands; `w FILE` in the script writes FILE."""
    inplace, index = False, 0
    scripts: list[str] = []
    operands: list[Arg] = []
    while index < len(args):
        text, dyn = args[index]
        index += 1
        if text == "--":
            operands.extend(args[index:])
            break
        if text.startswith("--"):
            name, eq, value = text[2:].partition("=")
            inplace = inplace or name == "in-place"
            if name in ("expression", "file", "line-length"):
                if not eq and index < len(args):
                    value, index = args[index][0], index + 1
                if name != "line-length":  # a script file's commands are unknown: ""
                    scripts.append(value if name == "expression" else "")
        elif text.startswith("-") and len(text) > 1:
            for k in range(1, len(text)):
                letter = text[k]
                if letter == "i":  # the rest of the cluster is a backup suffix
                    inplace = True
                    if k == len(text) - 1 and index < len(args) and not args[index][0]:
                        index += 1  # BSD/macOS `sed -i '' SCRIPT FILE`: an empty suffix
                    break
                if letter in "efl":
                    value = text[k + 1 :]
                    if not value and index < len(args):
                        value, index = args[index][0], index + 1
                    if letter != "l":
                        scripts.append(value if letter == "e" else "")
                    break
        else:
            operands.append((text, dyn))
    if not scripts and operands:
        scripts.append(operands.pop(0)[0])
    unknown = [text for text, dyn in args if dyn]
    for script in scripts:
        if script and any(script in text for text in unknown):
            an.inline_code("sed", an.code((script, True), "sed"))  # `w FILE` may be in it
        _sed_script(an, script)
    if inplace:
        for arg in operands:
            an.write(arg, "sed")


def _sed_script(an: Analyser, script: str) -> None:
    """The `w FILE` commands (also `s///w FILE`) and `e` commands of a sed script."""
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        i += 1
        if c in "/\\":  # a regular-expression address
            delimiter = c
            if c == "\\" and i < n:
                delimiter, i = script[i], i + 1
            i = _skip_delimited(script, i, delimiter)
        elif c in "sy" and i < n:
            delimiter = script[i]
            i = _skip_delimited(script, _skip_delimited(script, i + 1, delimiter), delimiter)
            while c == "s" and i < n and script[i] not in ";\n}":
                if script[i] == "w":
                    an.write((script[i + 1 : _eol(script, i)].strip(), False), "sed")
                    i = _eol(script, i)
                    break
                if script[i] == "e":
                    an.opaque["sed"] = None
                i += 1
        elif c in "wW":
            an.write((script[i : _eol(script, i)].strip(), False), "sed")
            i = _eol(script, i)
        elif c == "e":
            an.inline_code("sed", script[i : _eol(script, i)])
            i = _eol(script, i)
        elif c in "aicrR:#":  # text, a file to read, a label, a comment: to the end of the line
            i = _eol(script, i)
        elif c in "btT":
            while i < n and script[i] not in ";\n":
                i += 1


def _skip_delimited(text: str, i: int, delimiter: str) -> int:
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == delimiter:
            return i + 1
        else:
            i += 1
    return len(text)


def _eol(text: str, i: int) -> int:
    end = text.find("\n", i)
    return len(text) if end < 0 else end


_AWK_LONG = frozenset({"file", "assign", "field-separator", "include", "load", "source", "exec"})


def _awk(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """awk: opaque when the program redirects output, pipes, or calls `system`; gawk
    `-i inplace` writes the file operands."""
    opts, operands = getopt(args, "fvFilEe", _AWK_LONG)
    inplace = any(value[0] == "inplace" for value in values(opts, "i", "include"))
    sources = values(opts, "e", "source")
    if not sources and not has(opts, "f", "file", "E", "exec") and operands:
        sources.append(operands.pop(0))
    programs = [an.code(arg, ctx.name) for arg in sources]
    if any(dyn for _, dyn in sources) or any(_awk_writes(program) for program in programs):
        an.inline_code(ctx.name, "\n".join(programs))
    if inplace:
        for arg in operands:
            an.write(arg, ctx.name)


def _awk_writes(program: str) -> bool:
    """`print > "f"`, `print | "cmd"`, `"cmd" | getline`, `system(…)`."""
    i, n, printing, previous = 0, len(program), False, "("
    while i < n:
        c = program[i]
        if c == '"':
            i, previous = _skip_delimited(program, i + 1, '"'), "a"
            continue
        if c == "/" and previous in "(,~!{};&|=\n":  # a regular expression, not a division
            i, previous = _skip_delimited(program, i + 1, "/"), "a"
            continue
        if c == "#":
            i = _eol(program, i)
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (program[j].isalnum() or program[j] == "_"):
                j += 1
            word, i, previous = program[i:j], j, "a"
            if word == "system":
                return True
            if word in ("print", "printf"):
                printing, previous = True, "("
            continue
        if c == "|" and not program.startswith("||", i) and program[i - 1 : i] != "|":
            return True
        if c == ">" and printing:
            return True
        if c in ";\n{}":
            printing = False
        if c not in " \t":
            previous = c
        i += 1
    return False


_PATCH_LONG = frozenset({"directory", "output", "input", "strip", "reject-file", "backup-prefix"})
_MAX_PATCH = 1 << 20


def _patch(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """patch [FILE]: FILE, `-o OUT`, `-r REJECTS`; without a file, the files the patch's headers
    name (read from `-i FILE`, `< FILE` or a here-document); a patch nobody can read may write
    anything under the working folder (opaque)."""
    opts, operands = getopt(args, "BDdFgioprVYz", _PATCH_LONG)
    if has(opts, "dry-run"):
        return
    saved = an.enter(values(opts, "d", "directory"))
    outputs = [arg for arg in values(opts, "o", "output") if arg[0] != "-"]
    for arg in outputs + values(opts, "r", "reject-file") + operands[:1]:
        an.write(arg, "patch")
    if not outputs and not operands:
        text = _patch_text(an, opts, ctx)
        names = None if text is None else _patched_files(text, values(opts, "p", "strip"))
        if not names:
            an.whole_tree("patch", repo=False)
        for name in names or []:
            an.write((name, False), "patch")
    an.cwds = saved


def _patch_text(an: Analyser, opts: Opts, ctx: Ctx) -> str | None:
    sources = values(opts, "i", "input") or ([ctx.infile] if ctx.infile is not None else [])
    if not sources and ctx.stdin is not None:
        return ctx.stdin
    if not sources:
        return ctx.feed[1] if ctx.feed is not None and ctx.feed[0] == "text" else None
    found = an.resolve(*sources[-1])
    if len(found) != 1 or found[0][1] or not os.path.isfile(found[0][0]):
        return None
    if os.path.getsize(found[0][0]) > _MAX_PATCH:
        return None
    with open(found[0][0], encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _patched_files(text: str, strips: list[Arg]) -> list[str]:
    """The names in `---`/`+++`/`***` headers, with `-pN` leading components stripped (without
    `-p`: the name as written, without an `a/`/`b/` prefix, and its last component)."""
    strip = int(strips[-1][0]) if strips and strips[-1][0].isdigit() else None
    names: dict[str, None] = {}
    for line in text.split("\n"):
        if not line.startswith(("--- ", "+++ ", "*** ")) or line.endswith("****"):
            continue
        name = line[4:].partition("\t")[0].strip().strip('"')
        if not name or name == "/dev/null":
            continue
        parts = name.split("/")
        if strip is not None:
            names["/".join(parts[strip:])] = None
            continue
        names[name] = None
        if parts[0] in ("a", "b") and len(parts) > 1:
            names["/".join(parts[1:])] = None
        names[parts[-1]] = None
    return [name for name in names if name]


_SORT_LONG = frozenset(
    "output key field-separator buffer-size temporary-directory files0-from parallel "
    "compress-program random-source batch-size sort".split()
)


def _sort(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    for value in values(getopt(args, "okStT", _SORT_LONG)[0], "o", "output"):
        an.write(value, "sort")


def _uniq(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    operands = getopt(args, "fsw", frozenset({"skip-fields", "skip-chars", "check-chars"}))[1]
    if len(operands) >= 2:
        an.write(operands[1], "uniq")


_YQ_LONG = frozenset({"output-format", "input-format", "indent", "split-exp", "from-file", "expression"})


def _yq(an: Analyser, args: list[Arg], ctx: Ctx) -> None:
    """yq [eval] -i EXPRESSION FILE…: the files are rewritten in place."""
    opts, operands = getopt(args, "oIpsn", _YQ_LONG)
    if not has(opts, "i", "inplace"):
        return
    if operands[:1] and operands[0][0] in ("eval", "e", "eval-all", "ea"):
        operands = operands[1:]
    for arg in operands if values(opts, "from-file") else operands[1:]:
        an.write(arg, "yq")


RULES: dict[str, Handler] = {
    "sed": _sed,
    "gsed": _sed,
    "awk": _awk,
    "gawk": _awk,
    "mawk": _awk,
    "nawk": _awk,
    "patch": _patch,
    "sort": _sort,
    "uniq": _uniq,
    "yq": _yq,
}
