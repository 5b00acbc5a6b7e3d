#!/usr/bin/env bash
# Copies the CloudFront Function sources of infra/edge/ into infra/template.yaml, which must hold
# them inline (AWS::CloudFront::Function takes its code only as a string). The .js file is the
# one to edit; infra/check.sh fails when a copy differs from it by a single byte.
#
# A copy is the literal block of a FunctionCode key whose line names its source, relative to
# infra/:
#       FunctionCode: |  # inline: edge/viewer-auth.js
#         import cf from 'cloudfront';
#         ...
#
# Usage: infra/edge/inline.sh [--check] [TEMPLATE]
#   (no flag)  rewrite every such block from its source file, then check the result
#   --check    change nothing; exit 1 when a block, as YAML reads it, is not its file byte for
#              byte, when a source is 10240 bytes or more (CloudFront's limit), or when an
#              AWS::CloudFront::Function has no such block
# The check parses the template with PyYAML: FJC_PYTHON must have it (infra/check.sh passes the
# cfn-lint venv's Python).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=infra/lib/common.sh
source "$here/../lib/common.sh"

mode="write"
if [[ ${1:-} == --check ]]; then
  mode="check"
  shift
fi
template=${1:-$FJC_INFRA_DIR/template.yaml}
[[ -f $template ]] || die "no template at $template"

"$FJC_PYTHON" - "$mode" "$template" "$FJC_INFRA_DIR" <<'PY'
import pathlib
import re
import sys

mode, template, infra = sys.argv[1], pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
LIMIT = 10240  # CloudFront Functions: maximum function size, in bytes
MARK = re.compile(r"^(?P<indent> *)FunctionCode: \|[-+0-9]* +# inline: (?P<src>\S+)\s*$")
RESOURCE = re.compile(r"^  (?P<id>[A-Za-z0-9]+):\s*(#.*)?$")


def fail(msg):
    print(f"[fjc-infra] ERROR: {msg}", file=sys.stderr)
    sys.exit(1)


def blocks(lines):
    """(resource id, source, marker line index, end index (exclusive), indent) of each copy."""
    found, resource = [], None
    for i, line in enumerate(lines):
        m = RESOURCE.match(line)
        if m:
            resource = m["id"]
        m = MARK.match(line)
        if not m:
            continue
        indent = len(m["indent"])
        end = i + 1
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) > indent
        ):
            end += 1
        while end > i + 1 and not lines[end - 1].strip():  # blank lines after it separate
            end -= 1
        found.append((resource, m["src"], i, end, indent))
    return found


def source_bytes(src):
    path = infra / src
    if not path.is_file():
        fail(f"{template.name} inlines {src}, which is not a file under {infra}")
    data = path.read_bytes()
    if len(data) >= LIMIT:
        fail(f"{src} is {len(data)} bytes; CloudFront Functions accept less than {LIMIT}")
    return data


def write():
    lines = template.read_text(encoding="utf-8").splitlines(keepends=True)
    found = blocks(lines)
    if not found:
        fail(f"no 'FunctionCode: |  # inline: <file>' in {template}")
    for resource, src, start, end, indent in reversed(found):
        code = source_bytes(src).decode("utf-8")
        if not code.endswith("\n") or code.endswith("\n\n"):
            fail(f"{src} must end with exactly one newline (a YAML literal block keeps no other ending)")
        body = code.splitlines()
        # YAML finds a block's indentation from its first non-empty line: one that starts with
        # a space needs the indentation given explicitly.
        first = next((l for l in body if l.strip()), "")
        indicator = "2" if first[:1] in (" ", "\t") else ""
        pad = " " * (indent + 2)
        new = [f"{' ' * indent}FunctionCode: |{indicator}  # inline: {src}\n"]
        new += [f"{pad}{l}\n" if l else "\n" for l in body]
        lines[start:end] = new
        print(f"[fjc-infra] {resource}: FunctionCode <- {src} ({len(code.encode())} bytes)")
    template.write_text("".join(lines), encoding="utf-8")


def check():
    try:
        import yaml
    except ImportError:
        fail(f"{sys.executable} has no PyYAML; run infra/check.sh (it uses the cfn-lint venv)")

    class Loader(yaml.SafeLoader):
        pass

    def tagged(loader, suffix, node):  # !Ref, !Sub, ...: keep the value, drop the tag
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node, deep=True)
        return loader.construct_mapping(node, deep=True)

    Loader.add_multi_constructor("!", tagged)
    text = template.read_text(encoding="utf-8")
    resources = (yaml.load(text, Loader=Loader) or {}).get("Resources") or {}
    found = blocks(text.splitlines(keepends=True))
    bad = 0
    for resource, src, *_ in found:
        want = source_bytes(src)
        got = (resources.get(resource) or {}).get("Properties", {}).get("FunctionCode")
        if not isinstance(got, str):
            print(f"[fjc-infra] {resource}: no FunctionCode string for {src}", file=sys.stderr)
            bad += 1
        elif got.encode("utf-8") != want:
            g, w = got.encode("utf-8").splitlines(), want.splitlines()
            n = next((k for k, (a, b) in enumerate(zip(g, w)) if a != b), min(len(g), len(w)))
            print(
                f"[fjc-infra] {resource}: FunctionCode differs from {src} (line {n + 1}; "
                f"{len(got.encode())} vs {len(want)} bytes): run infra/edge/inline.sh",
                file=sys.stderr,
            )
            bad += 1
        else:
            print(f"[fjc-infra] {resource}: FunctionCode is {src} ({len(want)} bytes)")
    inlined = {r for r, *_ in found}
    for name, res in resources.items():
        if (res or {}).get("Type") == "AWS::CloudFront::Function" and name not in inlined:
            print(f"[fjc-infra] {name}: FunctionCode is not a copy of a file in infra/edge/", file=sys.stderr)
            bad += 1
    if bad:
        sys.exit(1)


if mode == "write":
    write()
else:
    check()
PY

# After a rewrite, read the copies back as YAML when this Python can.
if [[ $mode == write ]]; then
  if "$FJC_PYTHON" -c 'import yaml' 2>/dev/null; then
    exec "$0" --check "$template"
  fi
  log "not read back ($FJC_PYTHON has no PyYAML); infra/check.sh will check the copies"
fi
