"""Where training keeps its cache, runs and checkpoints, wherever it is started from."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def training_root() -> Path:
    """$LIVECAM_TRAINING, else the repository's training/ folder this package sits in (an
    editable install), else ./training."""
    given = os.environ.get("LIVECAM_TRAINING")
    if given:
        return Path(given)
    if (HERE.parent / "checkpoints").is_dir():
        return HERE.parent
    return Path.cwd() / "training"


def cache_dir() -> Path:
    return training_root() / "cache"
