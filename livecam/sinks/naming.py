"""Output files never overwrite an earlier one unless asked."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("livecam.sinks")


def free_path(path: Path, overwrite: bool) -> Path:
    """`path`, or, when a file is there already and `overwrite` is off, the first free
    `NAME-2.EXT`, `NAME-3.EXT`, ... beside it."""
    if overwrite or not path.exists():
        return path
    n = 2
    while (other := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    log.warning("%s exists already; writing %s instead (--overwrite replaces it)", path, other)
    return other
