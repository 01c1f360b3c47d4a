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
