"""Compute tiering: which execution providers work here and how fast each model variant runs
on them, measured once per machine and model checksum, and the choice made from it.

The profile lives in the user's cache folder (`device-profile.json`). A different CPU, core
count, onnxruntime or provider list discards it; a model file whose sha256 is not in it is
measured on first use. The choice: each tier on each provider is represented by its fastest
variant within 1 dB of its best (`quality_db` in the manifest: held-out PSNR against the
reference renderer over the rungs it runs at); among those whose face-crop time at 256² fits a
third of the frame interval, the tier with the best quality, then the fastest; if none fits,
the fastest.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args


from livecam.machine import cpu_model, usable_cores
from livecam.errors import ModelError
from livecam.inference.choices import ProviderName
from livecam.inference.manifest import ModelEntry, load_manifest, models_dir, verify
from livecam.paths import user_cache_dir

log = logging.getLogger("livecam.compute")

PROVIDERS: dict[str, str] = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "directml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "cpu": "CPUExecutionProvider",
}   # in order of preference
assert set(PROVIDERS) == set(get_args(ProviderName))
PROBE_SIDE = 256
PROBE_RUNS = 15
FACE_SHARE = 1 / 3   # of the frame interval, for the face model at PROBE_SIDE
# another precision replaces float32 only when at least this much faster here: INT8 and float32
# run within noise of each other on many CPUs, and float32 is what the others are held to
CLEARLY_FASTER = 0.9
PROFILE_FILE = "device-profile.json"


def session_providers(provider: str) -> list[str]:
    """onnxruntime's provider list for a short name, the CPU always behind as fallback."""
    full = PROVIDERS[provider]
    return [full] if provider == "cpu" else [full, PROVIDERS["cpu"]]


def fingerprint() -> dict[str, Any]:
    """What makes measurements from one machine invalid on another."""
    import onnxruntime as ort  # noqa: PLC0415

    return {"cpu": cpu_model(), "cores": usable_cores(), "onnxruntime": ort.__version__,
            "compiled_providers": sorted(ort.get_available_providers())}


@dataclass(frozen=True, slots=True)
class Timing:
    """One model variant on one provider."""

    model: str
    tier: str
    precision: str
    provider: str
    ms: float   # median face-crop inference at PROBE_SIDE²


@dataclass(frozen=True, slots=True)
class DeviceProfile:
    """Usable providers and the measured variants of one family and style."""

    machine: dict[str, Any]
    providers: tuple[str, ...]
    unusable: dict[str, str]
    timings: tuple[Timing, ...]
    measured_now: int   # variants measured by this call (0: all from the cache)


@dataclass(frozen=True, slots=True)
class ComputeChoice:
    """The variant to run and why."""

    entry: ModelEntry
    path: Path
    provider: str
    ms: float | None
    reason: str


def _session(path: Path, provider: str) -> Any:
    import onnxruntime as ort  # noqa: PLC0415

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=session_providers(provider))


def _usable(probe_model: Path, compiled: list[str]) -> tuple[list[str], dict[str, str]]:
    """Providers that really run a model here; onnxruntime silently falls back to the CPU
    when a GPU library is missing, so each is checked by opening a session."""
    usable, unusable = [], {}
    for short, full in PROVIDERS.items():
        if full not in compiled:
            continue
        if short == "cpu":
            usable.append(short)
            continue
        try:
            active = _session(probe_model, short).get_providers()
        except Exception as exc:  # noqa: BLE001 - onnxruntime's errors are untyped
            unusable[short] = str(exc).splitlines()[0][:160]
            continue
        if active and active[0] == full:
            usable.append(short)
        else:
            unusable[short] = "listed by onnxruntime but its libraries did not load"
    return usable, unusable


def _probe(path: Path, provider: str) -> tuple[Any, dict[str, Any]]:
    """A session for the model and an input it accepts, run once (the first run allocates,
    and a model that cannot run here fails now, alone)."""
    import numpy as np  # noqa: PLC0415 - keeps the command line quick to start

    session = _session(path, provider)
    spec = session.get_inputs()[0]
    channels = spec.shape[1] if isinstance(spec.shape[1], int) else 3
    x = np.random.default_rng(0).uniform(-1, 1, (1, channels, PROBE_SIDE, PROBE_SIDE))
    feed = {spec.name: x.astype(np.float16 if "fp16" in path.name else np.float32)}
    session.run(None, feed)
    return session, feed


def _measure_ms(jobs: dict[str, tuple[Any, dict[str, Any]]]) -> dict[str, float]:
    """Median milliseconds of each probed model, the models taking turns: a load that comes
    and goes then slows them alike, and the margin that decides between precisions
    (`CLEARLY_FASTER`) is not a matter of which was timed while something else ran."""
    for _ in range(2):   # warm up
        for session, feed in jobs.values():
            session.run(None, feed)
    times: dict[str, list[float]] = {key: [] for key in jobs}
    for _ in range(PROBE_RUNS):
        for key, (session, feed) in jobs.items():
            started = time.perf_counter()
            session.run(None, feed)
            times[key].append((time.perf_counter() - started) * 1000.0)
    return {key: statistics.median(t) for key, t in times.items()}


def _cache_path() -> Path:
    return user_cache_dir() / PROFILE_FILE


def _first_intact(entries: list[ModelEntry], folder: Path) -> ModelEntry:
    """The first of `entries` whose file is there and matches its checksum."""
    errors = []
    for entry in entries:
        try:
            verify(entry, folder / entry.file)
            return entry
        except ModelError as exc:
            errors.append(str(exc))
    raise ModelError("; ".join(errors) or "no float32 variant in the manifest")


def _read_cache(machine: dict[str, Any]) -> dict[str, Any]:
    path = _cache_path()
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        data = None
    if not isinstance(data, dict) or data.get("machine") != machine:
        return {}   # another machine, onnxruntime or provider set: measure again
    if not _well_formed(data):
        log.warning("the device profile %s is damaged; measuring again", path)
        return {}
    return data


def _well_formed(data: dict[str, Any]) -> bool:
    """The cache as this module writes it; anything else is discarded and rebuilt."""
    providers, timings = data.get("providers"), data.get("timings", {})
    return (isinstance(providers, list) and all(isinstance(p, str) for p in providers)
            and isinstance(data.get("unusable", {}), dict) and isinstance(timings, dict)
            and all(isinstance(k, str) and isinstance(v, (int, float))
                    and not isinstance(v, bool) for k, v in timings.items()))


def load_profile(family: str, style: str, *, refresh: bool = False,
                 folder: Path | None = None) -> DeviceProfile:
    """The profile for one model family and style, measuring what the cache lacks."""
    import onnxruntime as ort  # noqa: PLC0415

    folder = folder or models_dir()
    entries = [e for e in load_manifest(folder).values()
               if e.family == family and e.style == style]
    if not entries:
        raise ModelError(f"no {family} models for style '{style}' in {folder}")
    machine = fingerprint()
    cache = {} if refresh else _read_cache(machine)
    if "providers" in cache:
        usable, unusable = list(cache["providers"]), dict(cache.get("unusable", {}))
    else:
        probe = _first_intact([e for e in entries if e.precision == "float32"], folder)
        usable, unusable = _usable(folder / probe.file, ort.get_available_providers())
    measured: dict[str, float] = dict(cache.get("timings", {}))
    wanted: list[tuple[ModelEntry, str, str]] = []   # entry, provider, its timing's key
    for entry in entries:
        for provider in usable:
            if provider == "cpu" and entry.precision == "float16":
                continue   # float16 is for GPU providers; the CPU provider casts around it
            wanted.append((entry, provider, f"{entry.sha256}:{provider}:{PROBE_SIDE}"))
    jobs: dict[str, tuple[Any, dict[str, Any]]] = {}
    broken: set[str] = set()
    for entry, provider, key in wanted:
        if key in measured or entry.name in broken:
            continue
        try:   # each alone first: a damaged file must not cost the others their timing
            verify(entry, folder / entry.file)
            jobs[key] = _probe(folder / entry.file, provider)
        except Exception as exc:  # noqa: BLE001 - corrupt, or not ONNX at all
            log.warning("%s is unusable (%s); the other variants are used instead",
                        entry.name, exc)
            broken.add(entry.name)
    fresh = len(jobs)
    if jobs:
        measured.update(_measure_ms(jobs))
    timings = [Timing(entry.name, entry.tier, entry.precision, provider, measured[key])
               for entry, provider, key in wanted
               if entry.name not in broken and key in measured]
    if fresh or refresh or "providers" not in cache:
        path = _cache_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"machine": machine, "providers": usable,
                                    "unusable": unusable, "timings": measured}, indent=1),
                        encoding="utf-8")
        log.info("measured %d model variants on %s; profile in %s", fresh,
                 ", ".join(usable), path)
    return DeviceProfile(machine, tuple(usable), unusable, tuple(timings), fresh)


def choose(family: str, style: str, *, tier: str = "auto", precision: str = "auto",
           provider: str = "auto", target_fps: float = 30.0,
           folder: Path | None = None) -> ComputeChoice:
    """The model variant and provider to run, honouring whatever the user fixed."""
    folder = folder or models_dir()
    if provider != "auto" and provider not in PROVIDERS:
        raise ModelError(f"unknown provider '{provider}'; choose auto or one of "
                         f"{', '.join(PROVIDERS)}")
    profile = load_profile(family, style, folder=folder)
    if provider != "auto" and provider not in profile.providers:
        why = profile.unusable.get(provider, "not in this onnxruntime build")
        raise ModelError(f"provider '{provider}' is not usable here ({why}); usable: "
                         f"{', '.join(profile.providers)}. Install onnxruntime-gpu for CUDA "
                         "or drop --provider to choose automatically")
    candidates = [t for t in profile.timings
                  if (tier == "auto" or t.tier == tier)
                  and (precision == "auto" or t.precision == precision)
                  and (provider == "auto" or t.provider == provider)]
    if not candidates:
        known = sorted({f"{t.tier}/{t.precision}/{t.provider}" for t in profile.timings})
        raise ModelError(f"no {style} model matches tier={tier} precision={precision} "
                         f"provider={provider}; measured here: {', '.join(known)}")
    entries = load_manifest(folder)
    while True:   # a variant found damaged now gives way to the next best
        best, reason = _pick(candidates, entries, target_fps)
        entry = entries[best.model]
        try:
            verify(entry, folder / entry.file)
        except ModelError as exc:
            candidates = [t for t in candidates if t.model != best.model]
            if not candidates:
                raise
            log.warning("%s; using the next best variant", exc)
            continue
        return ComputeChoice(entry, folder / entry.file, best.provider, best.ms, reason)


def _pick(candidates: list[Timing], entries: dict[str, ModelEntry], target_fps: float
          ) -> tuple[Timing, str]:
    # per tier and provider: its fastest variant within 1 dB of its best, float32 unless another
    # precision is clearly faster
    groups: dict[tuple[str, str], list[Timing]] = {}
    for t in candidates:
        groups.setdefault((t.tier, t.provider), []).append(t)
    picks: list[tuple[float, Timing]] = []
    quickest: list[Timing] = []   # if nothing fits, speed is all that counts
    for group in groups.values():
        top = max(entries[t.model].quality_db for t in group)
        near = [t for t in group if entries[t.model].quality_db >= top - 1.0]
        fast = min(near, key=lambda t: t.ms)
        quickest.append(min(group, key=lambda t: t.ms))
        floats = [t for t in near if t.precision == "float32"]
        if floats and fast.precision != "float32":
            full = min(floats, key=lambda t: t.ms)
            fast = fast if fast.ms <= CLEARLY_FASTER * full.ms else full
        picks.append((top, fast))
    budget_ms = 1000.0 / target_fps * FACE_SHARE
    fitting = [(q, t) for q, t in picks if t.ms <= budget_ms]
    if fitting:
        quality, best = max(fitting, key=lambda p: (p[0], -p[1].ms))
        reason = (f"tier with the best held-out quality ({quality:.2f} dB) within "
                  f"{budget_ms:.1f} ms at {PROBE_SIDE}², its fastest variant (float32 unless "
                  f"another is {1 - CLEARLY_FASTER:.0%} faster)")
    else:
        best = min(quickest, key=lambda t: t.ms)
        reason = f"fastest; none fits {budget_ms:.1f} ms at {PROBE_SIDE}²"
    return best, reason
