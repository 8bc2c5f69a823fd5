"""models/manifest.toml: which model files exist, what they are, and their sha256.

The models folder is found in this order (`models_dir`): `$LIVECAM_MODELS`, the user's own
`models/` in livecam's data folder, the `models/` folder of a source checkout, the copy an
installed wheel carries.
"""

from __future__ import annotations

import hashlib
import site
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from livecam.config_tables import did_you_mean, read_text
from livecam.inference.choices import Tier
from livecam.paths import user_data_dir
from livecam.errors import ModelError, PresetError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

MANIFEST = "manifest.toml"


@dataclass(frozen=True, slots=True)
class ModelEntry:
    """One model file as the manifest describes it."""

    name: str
    file: str
    family: str        # "stylizer" or "fusion"
    style: str
    tier: str          # "S", "M" or "L"
    precision: str     # "float32", "float16" or "int8"
    min_side: int
    max_side: int
    size_bytes: int
    sha256: str
    params: int
    data: str
    licence: str
    card: str
    # held-out PSNR: a stylizer's against its renderer, the mean over the crop sides the
    # resolution controller runs it at (128², 192², 256²); a fusion model's at 256²
    quality_db: float = 0.0
    pruned: float = 0.0       # share of channels removed by structured pruning (a tier variant)


def models_dir() -> Path:
    """Where the models are: $LIVECAM_MODELS, else the user's own models folder when it holds
    a manifest, else the ones livecam ships (a checkout's models/, or the wheel's copy)."""
    env = os.environ.get("LIVECAM_MODELS")
    if env:
        return Path(env)
    candidates = [user_data_dir() / "models",
                  Path(__file__).resolve().parents[2] / "models",          # a checkout
                  Path(sys.prefix) / "share" / "livecam" / "models",       # a wheel in a venv
                  Path(site.getuserbase()) / "share" / "livecam" / "models"]   # pip --user
    return next((c for c in candidates if (c / MANIFEST).is_file()), candidates[1])


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(folder: Path | None = None) -> dict[str, ModelEntry]:
    """All entries by name; a missing or malformed manifest is a ModelError."""
    folder = folder or models_dir()
    path = folder / MANIFEST
    if not path.is_file():
        raise ModelError(f"no model manifest at {path}; set LIVECAM_MODELS to the folder that "
                         "holds manifest.toml, or reinstall livecam (pip install --force-reinstall "
                         "livecam: the package carries its models)")
    try:
        data: dict[str, Any] = tomllib.loads(read_text(path, "model manifest"))
    except tomllib.TOMLDecodeError as exc:
        raise ModelError(f"{path}: not valid TOML: {exc}") from None
    except PresetError as exc:
        raise ModelError(str(exc)) from None
    entries = {}
    for name, table in data.get("model", {}).items():
        try:
            entries[name] = ModelEntry(name=name, **table)
        except TypeError as exc:
            raise ModelError(f"{path} [model.{name}]: {exc}") from None
    return entries


def find_model(family: str, style: str, tier: str, precision: str | None = None,
               folder: Path | None = None) -> tuple[ModelEntry, Path]:
    """The manifest entry (and file path) for a style and tier; the preferred precision is the
    one listed first unless `precision` is given."""
    folder = folder or models_dir()
    entries = load_manifest(folder)
    matches = [e for e in entries.values() if e.family == family and e.style == style
               and e.tier == tier and (precision is None or e.precision == precision)]
    if not matches:
        known = sorted({f"{e.style}/{e.tier}/{e.precision}" for e in entries.values()
                        if e.family == family})
        want = f"{style}/{tier}/{precision or 'any'}"
        raise ModelError(f"no {family} model {want}{did_you_mean(want, known)} in "
                         f"{folder / MANIFEST}; available: {', '.join(known) or 'none'}")
    entry = matches[0]
    return entry, folder / entry.file


_RESTORE = ("restore the models with 'pip install --force-reinstall livecam' (from a checkout: "
            "'git checkout -- models'), or point LIVECAM_MODELS at a folder of good copies")


def verify(entry: ModelEntry, path: Path) -> None:
    """Raise ModelError unless the file exists and its sha256 matches the manifest."""
    if not path.is_file():
        raise ModelError(f"model file missing: {path} (listed in the manifest as "
                         f"'{entry.name}'); {_RESTORE}")
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise ModelError(f"model {path} is corrupt: sha256 {actual} but the manifest says "
                         f"{entry.sha256}; {_RESTORE}")


def shipped_tiers() -> tuple[str, ...]:
    """The tiers that have a model in the manifest (every tier when it cannot be read: the
    run then fails with the manifest's own error)."""
    try:
        found = {e.tier for e in load_manifest().values()}
    except ModelError:
        return get_args(Tier)
    return tuple(t for t in get_args(Tier) if t in found)
