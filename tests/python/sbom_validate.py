"""An artifact's SBOMs from a running Almanac, checked by the formats' own tools.

Fetches the CycloneDX and the SPDX document of one artifact from
`graph/sbom`, validates the CycloneDX one against the strict CycloneDX 1.5
JSON schema (cyclonedx-python-lib) and the SPDX one with spdx-tools' parser
and validator, and checks what the schemas cannot: every dependency names a
component of the document, the SPDX document DESCRIBES exactly one package,
and both count the nodes expected.

    python sbom_validate.py BASE_URL ARTIFACT [EXPECTED_NODE_COUNT]

EXPECTED_NODE_COUNT is the number of the artifact's transitive inputs (the
CycloneDX components; SPDX has one package more, the artifact itself).
Prints `sbom checks: N passed`; exits 1 on any failure.
"""

import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

try:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.parse_anything import parse_file
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
except ImportError as err:
    sys.exit(f"sbom_validate: {err}; install tests/python/requirements.txt")

TIMEOUT = 60
SBOM_PATH = "/api/almanac/v1/graph/sbom"

passed = failed = 0


def check(condition, what):
    """Counts one check; a failure is printed with `what` it was about."""
    global passed, failed
    if condition:
        passed += 1
    else:
        failed += 1
        print(f"FAILED: {what}", file=sys.stderr, flush=True)
    return bool(condition)


def fetch(base_url, artifact, fmt):
    """The SBOM of `artifact` in `fmt` as text; exits when the call fails."""
    query = urllib.parse.urlencode({"artifact": artifact, "format": fmt})
    url = f"{base_url.rstrip('/')}{SBOM_PATH}?{query}"
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        body = err.read().decode("utf-8", "replace")
        sys.exit(f"sbom_validate: GET {url}: HTTP {err.code}: {body}")
    except urllib.error.URLError as err:
        sys.exit(f"sbom_validate: GET {url}: {err.reason}")


def parse_json(text, fmt):
    """The document as JSON; a failed check and None when it is not."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        check(False, f"{fmt}: the response is not JSON: {err}")
        return None


def schema_errors(text):
    """What the strict CycloneDX 1.5 JSON schema finds wrong, as lines."""
    found = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text, all_errors=True)
    if found is None:
        return []
    lines = []
    for error in found:
        detail = getattr(error, "data", None)
        message = getattr(detail, "message", None) or str(error)
        where = getattr(detail, "json_path", "")
        lines.append(f"{where}: {message[:500]}")
    return lines


def bom_refs(components):
    """The bom-refs of `components` and of the components nested in them."""
    refs = []
    for component in components:
        if "bom-ref" in component:
            refs.append(component["bom-ref"])
        refs.extend(bom_refs(component.get("components", [])))
    return refs


def check_cyclonedx(text, artifact, expected):
    """Schema, references and counts of the CycloneDX document; its
    component count."""
    errors = schema_errors(text)
    check(not errors, "cyclonedx: invalid against the CycloneDX 1.5 strict schema:\n  " + "\n  ".join(errors))
    bom = parse_json(text, "cyclonedx")
    if bom is None:
        return None
    check(bom.get("specVersion") == "1.5", f"cyclonedx: specVersion is {bom.get('specVersion')!r}, not '1.5'")
    root = bom.get("metadata", {}).get("component", {})
    check(root.get("bom-ref") == artifact, f"cyclonedx: metadata.component is {root.get('bom-ref')!r}, not {artifact!r}")
    components = bom.get("components", [])
    if expected is not None:
        check(len(components) == expected, f"cyclonedx: {len(components)} components, expected {expected}")
    refs = bom_refs([root]) + bom_refs(components)
    known = set(refs)
    check(len(known) == len(refs), f"cyclonedx: bom-refs are not unique: {sorted(r for r in known if refs.count(r) > 1)}")
    dependencies = bom.get("dependencies", [])
    unknown = sorted(
        {d.get("ref") for d in dependencies if d.get("ref") not in known}
        | {ref for d in dependencies for ref in d.get("dependsOn", []) if ref not in known}
    )
    check(not unknown, f"cyclonedx: dependencies name refs that are no bom-ref: {unknown}")
    described = {d.get("ref") for d in dependencies}
    missing = sorted(known - described)
    check(not missing, f"cyclonedx: no dependency entry for {missing}")
    return len(components)


def spdx_problems(text):
    """What spdx-tools' parser or validator finds wrong, as lines."""
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, "sbom.spdx.json")
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
        try:
            document = parse_file(path)
        except SPDXParsingError as err:
            return [f"parse: {message}" for message in err.get_messages()]
    return [message.validation_message for message in validate_full_spdx_document(document)]


def check_spdx(text, expected):
    """Validity, DESCRIBES and counts of the SPDX document; its package count."""
    problems = spdx_problems(text)
    check(not problems, "spdx: spdx-tools finds the document invalid:\n  " + "\n  ".join(problems))
    doc = parse_json(text, "spdx")
    if doc is None:
        return None
    check(doc.get("spdxVersion") == "SPDX-2.3", f"spdx: spdxVersion is {doc.get('spdxVersion')!r}, not 'SPDX-2.3'")
    describes = [r for r in doc.get("relationships", []) if r.get("relationshipType") == "DESCRIBES"]
    check(len(describes) == 1, f"spdx: {len(describes)} DESCRIBES relationships, expected exactly 1")
    packages = doc.get("packages", [])
    if expected is not None:
        check(len(packages) == expected + 1, f"spdx: {len(packages)} packages, expected {expected + 1} (inputs and the artifact)")
    return len(packages)


def main(argv):
    if len(argv) not in (3, 4):
        sys.exit(f"usage: {argv[0]} BASE_URL ARTIFACT [EXPECTED_NODE_COUNT]")
    base_url, artifact = argv[1], argv[2]
    expected = None
    if len(argv) == 4:
        try:
            expected = int(argv[3])
        except ValueError:
            sys.exit(f"sbom_validate: EXPECTED_NODE_COUNT {argv[3]!r} is not a number")
    components = check_cyclonedx(fetch(base_url, artifact, "cyclonedx"), artifact, expected)
    packages = check_spdx(fetch(base_url, artifact, "spdx"), expected)
    if components is not None and packages is not None:
        check(packages == components + 1, f"spdx has {packages} packages, cyclonedx {components} components and a root")
    print(f"sbom checks: {passed} passed" + (f", {failed} failed" if failed else ""), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
