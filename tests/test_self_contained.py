"""A user's clone has only the repository: no code, test or CI script reads outside it."""

from __future__ import annotations

import re
import subprocess

from bot.settings import PROJECT_ROOT

# A path climbing out of the repository to the workspace's sibling folder of shared material
# (two dots, a slash and its name), or Path(...).parent / its name. The name is assembled here so
# that this file itself names no path outside the repository.
SIBLING = "sha" + "red"
OUTSIDE = re.compile(
    r"\.\./" + SIBLING
    + r"|\.parent\s*/\s*[\"']" + SIBLING + r"[\"']"
    + r"|[\"']" + SIBLING + r"[\"']\s*/\s*[\"']specs"
)  # fmt: skip
SOURCES = ("*.py", "*.sh", "*.mjs", "*.js", "Makefile", ".ci/*", "*.toml", "*.cfg")


def tracked_sources() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", *SOURCES],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return list(listed)


def test_nothing_reads_outside_the_repository():
    offenders = []
    for name in tracked_sources():
        text = (PROJECT_ROOT / name).read_text(encoding="utf-8", errors="replace")
        offenders += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert not offenders, offenders


def test_the_vendored_spec_is_in_the_repository():
    from tests.services.catalog import spec

    assert spec.SPEC_PATH.is_file()
    assert PROJECT_ROOT in spec.SPEC_PATH.resolve().parents
    assert (spec.SPEC_PATH.parent / "ooapi-v5.LICENSE.md").is_file()
