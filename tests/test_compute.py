"""Compute tiering: the device profile, its cache and the choice made from it."""

from __future__ import annotations

import json
import shutil

import pytest

from livecam.app import RunConfig, run
from livecam.bench.record import read_record
from livecam.errors import ModelError, PresetError
from livecam.inference import device_profile
from livecam.inference.device_profile import choose, load_profile
from livecam.inference.manifest import load_manifest, models_dir
from livecam.sources.factory import SourceSpec

DEMO_OFFLINE = SourceSpec("demo", 320, 180, realtime=False)


def test_profile_is_measured_once_per_machine_and_cached():
    first = load_profile("stylizer", "fairy-tale")
    assert first.providers[-1] == "cpu" and first.measured_now >= 2
    assert {t.tier for t in first.timings} >= {"S", "M"}
    assert all(t.precision != "float16" for t in first.timings if t.provider == "cpu")
    assert all(t.ms > 0 for t in first.timings)
    again = load_profile("stylizer", "fairy-tale")
    assert again.measured_now == 0 and again.timings == first.timings


def test_another_machine_or_refresh_measures_again(monkeypatch):
    load_profile("stylizer", "fairy-tale")
    machine = device_profile.fingerprint()
    monkeypatch.setattr(device_profile, "fingerprint", lambda: {**machine, "cores": 64})
    assert load_profile("stylizer", "fairy-tale").measured_now >= 2
    assert load_profile("stylizer", "fairy-tale", refresh=True).measured_now >= 2


def test_the_variants_take_turns_while_they_are_timed(monkeypatch):
    """A load that comes and goes must slow every variant alike: timed one after the other,
    whichever ran during it read slower, and that decided INT8 against float32."""
    load_profile("stylizer", "fairy-tale")   # the cache's providers, so only timing is left
    runs: list[str] = []
    real = device_profile._session

    class Spy:
        def __init__(self, path, provider):
            self.name, self._session = path.name, real(path, provider)

        def get_inputs(self):
            return self._session.get_inputs()

        def run(self, outputs, feed):
            runs.append(self.name)
            return self._session.run(outputs, feed)

    monkeypatch.setattr(device_profile, "_session", Spy)
    profile = load_profile("stylizer", "fairy-tale", refresh=True)
    names = sorted(set(runs))
    assert len(names) == profile.measured_now >= 2
    timed = runs[3 * len(names):]   # past the warm-up
    # every stretch of one round holds each variant once
    for start in range(0, len(timed), len(names)):
        assert sorted(timed[start:start + len(names)]) == names


def _models_copy(tmp_path, quality):
    folder = tmp_path / "models"
    shutil.copytree(models_dir(), folder)
    text = (folder / "manifest.toml").read_text()
    for entry in load_manifest(folder).values():
        if entry.style == "fairy-tale":
            text = text.replace(f'[model.{entry.name}]\n',
                                f'[model.{entry.name}]\n#{entry.tier}\n')
    lines, tier = [], None
    for line in text.splitlines():
        if line.startswith("#") and line[1:] in quality:
            tier = line[1:]
            continue
        if line.startswith("quality_db") and tier:
            line = f"quality_db = {quality[tier]}"
            tier = None
        lines.append(line)
    (folder / "manifest.toml").write_text("\n".join(lines))
    return folder


@pytest.mark.parametrize("better", ["S", "M"])
def test_the_tier_with_better_held_out_quality_wins_when_both_fit(tmp_path, better):
    folder = _models_copy(tmp_path, {"S": 30.0 + (better == "S"), "M": 30.0 + (better == "M")})
    picked = choose("stylizer", "fairy-tale", target_fps=5.0, folder=folder)  # 66 ms budget
    assert picked.entry.tier == better and "best held-out quality" in picked.reason


def test_nothing_fits_gives_the_fastest():
    picked = choose("stylizer", "fairy-tale", target_fps=240.0)   # 1.4 ms budget
    timings = load_profile("stylizer", "fairy-tale").timings
    assert picked.ms == min(t.ms for t in timings) and "fastest" in picked.reason


def test_user_choices_are_honoured_and_impossible_ones_explained():
    assert choose("stylizer", "fairy-tale", tier="M").entry.tier == "M"
    assert choose("stylizer", "fairy-tale", precision="float32").entry.precision == "float32"
    with pytest.raises(ModelError, match="provider 'cuda' is not usable here.*usable: cpu"):
        choose("stylizer", "fairy-tale", provider="cuda")
    with pytest.raises(ModelError, match="no fairy-tale model matches tier=L"):
        choose("stylizer", "fairy-tale", tier="L")
    with pytest.raises(ModelError, match="no stylizer models for style 'sketch'"):
        choose("stylizer", "sketch")


def test_a_corrupt_model_is_caught_before_it_is_measured_and_left_out(tmp_path, caplog):
    folder = tmp_path / "models"
    shutil.copytree(models_dir(), folder)
    (folder / "stylizer-fairy-tale-M-int8.onnx").write_bytes(b"not a model")
    profile = load_profile("stylizer", "fairy-tale", folder=folder)
    assert "stylizer-fairy-tale-M-int8" not in {t.model for t in profile.timings}
    assert {t.tier for t in profile.timings} >= {"S", "M"}   # the style still runs
    assert "corrupt: sha256" in caplog.text


def test_light_quality_keeps_the_controller_within_its_bounds(tmp_path):
    out = tmp_path / "run.json"
    result = run(RunConfig(source=DEMO_OFFLINE, preset="fairy-tale", sinks=("null",),
                           max_frames=6, bench_out=str(out), warmup_frames=0,
                           quality="light"))
    assert all(128 <= r.resolution <= 192 and 128 <= r.background_width <= 256
               for r in result.records)
    record = read_record(out)
    assert record["config"]["model"].startswith("stylizer-fairy-tale-")
    assert record["config"]["quality"] == "light" and record["config"]["provider"] == "cpu"
    assert isinstance(record["resolution_changes"], list)
    assert all("resolution" in f and "background_width" in f for f in record["frames"])
    json.dumps(record)


def test_without_the_controller_the_preset_resolution_holds():
    result = run(RunConfig(source=DEMO_OFFLINE, preset="fairy-tale", sinks=("null",),
                           max_frames=4, adapt=False, tier="S"))
    assert {(r.resolution, r.background_width) for r in result.records} == {(256, 320)}


def test_a_tier_for_a_preset_without_a_model_is_explained():
    with pytest.raises(PresetError, match="--tier applies to presets that run a model"):
        run(RunConfig(source=DEMO_OFFLINE, preset="landmarks", sinks=("null",), max_frames=2,
                      tier="S"))


@pytest.mark.parametrize(("int8_share", "picked"), [(0.95, "float32"), (0.8, "int8")])
def test_int8_replaces_float32_only_when_clearly_faster(int8_share, picked):
    profile = load_profile("fusion", "swap")
    cache = json.loads(device_profile._cache_path().read_text())
    entries = load_manifest(models_dir())
    by_precision = {entries[t.model].precision: entries[t.model] for t in profile.timings
                    if entries[t.model].tier == "S"}
    key = "{}:cpu:" + str(device_profile.PROBE_SIDE)
    cache["timings"][key.format(by_precision["float32"].sha256)] = 10.0
    cache["timings"][key.format(by_precision["int8"].sha256)] = 10.0 * int8_share
    device_profile._cache_path().write_text(json.dumps(cache))
    choice = choose("fusion", "swap", tier="S", target_fps=5.0)
    assert choice.entry.precision == picked
