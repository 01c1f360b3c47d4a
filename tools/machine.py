"""What the benchmarks ran on: one line for docs/performance.md."""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path


def describe_machine() -> str:
    """'Intel(R) Xeon(R) Processor, 2 cores, 24 GB RAM, x86_64, Python 3.10.13'."""
    cpu = platform.processor() or platform.machine() or "unknown CPU"
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        if found:
            memory = f", {int(found.group(1)) / 1024 / 1024:.0f} GB RAM"
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, {platform.machine()}, "
        f"Python {platform.python_version()}"
    )


def write_section(docs: Path, begin: str, end: str, heading: str, section: str) -> None:
    """Put `section` (which starts with `begin` and ends with `end`) into `docs`: in place of
    the one there, or at the end under `heading` the first time."""
    text = docs.read_text(encoding="utf-8")
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip() + f"\n\n## {heading}\n\n" + section + "\n"
    docs.write_text(text, encoding="utf-8")
