"""reasonlib: the reasons a service gives, collected from the C sources, and a way to run
web/js's modules under node. The collection is the contract of web/js/reasons_table.js:
test_reasons.py checks the table holds exactly these (docs/console.md, "Refusals in Chinese").

A reason is the format string of
  - every xc_call_fail (call, CODE, "...") and xc_call_fail_keep in services/ and common/
    (any code: a handler's failure is sent as it is), and
  - every xc_err_set (err, XC_E_<protocol code>, "...") there: the envelope's, schema's, the
    clock's and calendar's parsing (which handlers wrap: "data.until: %s"), the pipeline's.
    The local codes (XC_E_IO, XC_E_CONFIG, XC_E_INTERNAL) of xc_err_set are left out: they
    are about files and libraries, and reach a person only as the code's sentence.
Formats with no word outside their conversions ("%s", "%s: %s") only pass another text on, and
are left out too. Tests (*_test.c) are not sources of reasons.
"""
import json
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
LOCAL = {"XC_E_IO", "XC_E_CONFIG", "XC_E_INTERNAL"}
# xc_call_fail and its kin (xc_call_fail_keep: a refusal whose writes stay); xc_call_fail_db
# has no format (two arguments) and is passed by.
CALL = re.compile(r"(?<![A-Za-z0-9_])(xc_call_fail\w*|xc_err_set)\s*\(")
LITERAL = re.compile(r'"((?:[^"\\]|\\.)*)"')
CONVERSION = re.compile(r"%(?:%|[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?(?:hh|h|ll|l|z|j|t)?[diuxXscp])")


def _arguments(text, open_at):
    """The top-level arguments (raw text) of the call whose '(' is at open_at."""
    depth, i, args, cur = 0, open_at, [], []
    while i < len(text):
        c = text[i]
        if c in "\"'":
            j = i + 1
            while text[j] != c:
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        if c in "([{":
            depth += 1
            if depth == 1:
                i += 1
                continue
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append("".join(cur).strip())
                return args
        elif c == "," and depth == 1:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    raise ValueError(f"unbalanced call at {open_at}")


def _c_string(arg):
    """The value of an argument made only of string literals (adjacent ones joined), else None."""
    if not arg or LITERAL.sub("", arg).strip():
        return None
    raw = "".join(LITERAL.findall(arg))
    return raw.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


STRINGS = r'((?:\s*"(?:[^"\\]|\\.)*")+)'
CHOICE = re.compile(r"^[^\"]*\?" + STRINGS + r"\s*:" + STRINGS + r"\s*$", re.S)


MACRO = re.compile(r'^#define\s+([A-Z_][A-Z0-9_]*)\s+((?:"(?:[^"\\]|\\.)*"\s*)+)$', re.M)


def _macro_put(arg, name, value):
    """arg with the macro name (outside its string literals) replaced by its literals."""
    parts = re.split(r'("(?:[^"\\]|\\.)*")', arg)
    return "".join(p if p.startswith('"') else re.sub(rf"\b{name}\b", value, p) for p in parts)


def _formats(arg):
    """The formats an argument may be: its literal, or both literals of `cond ? "a" : "b"`."""
    one = _c_string(arg)
    if one is not None:
        return [one]
    m = CHOICE.match(arg or "")
    return [_c_string(m.group(1)), _c_string(m.group(2))] if m else []


def reasons_collect(root=ROOT):
    """{format: [(code expression, "file:line"), ...]} of every reason in root's C sources."""
    found = {}
    files = sorted(list(root.glob("services/**/*.c")) + list(root.glob("common/*.c")))
    for path in files:
        if path.name.endswith("_test.c"):
            continue
        text = path.read_text(encoding="utf-8")
        # a file's string macros (#define S_BAD_CODE "..."), which a format may be or hold
        macros = dict(MACRO.findall(text))
        for m in CALL.finditer(text):
            args = _arguments(text, m.end() - 1)
            if len(args) < 3:
                continue
            code = args[1]
            for name, value in macros.items():
                args[2] = _macro_put(args[2], name, value.strip())
            if m.group(1) == "xc_err_set" and (code in LOCAL or not code.startswith("XC_E_")):
                continue
            line = text.count("\n", 0, m.start()) + 1
            # no format: the function's own definition, or a format passed on
            for fmt in _formats(args[2]):
                if re.search(r"[A-Za-z]", CONVERSION.sub("", fmt)):
                    found.setdefault(fmt, []).append((code, f"{path.relative_to(root)}:{line}"))
    return found


def node_run(script, timeout=30):
    """Runs an ES module script under node in the repository's root (imports such as
    "./web/js/reasons.js" resolve there); its stdout parsed as JSON."""
    out = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError(f"node failed ({out.returncode}): {out.stderr}")
    return json.loads(out.stdout)


if __name__ == "__main__":
    for fmt, where in sorted(reasons_collect().items(), key=lambda kv: kv[1][0][1]):
        print(json.dumps(fmt, ensure_ascii=False), where[0][0], where[0][1], len(where))
