"""Finding sound devices by name or index, and listing them for `livecam doctor`."""

from __future__ import annotations

from dataclasses import dataclass
import logging
from typing import Any, Literal

from livecam.errors import LivecamError

log = logging.getLogger("livecam.audio")
Direction = Literal["input", "output"]


@dataclass(frozen=True, slots=True)
class Device:
    index: int
    name: str
    default_rate: int
    inputs: int
    outputs: int


def list_devices() -> list[Device]:
    """Every device PortAudio sees; empty where there is no sound system."""
    try:
        import sounddevice as sd  # noqa: PLC0415
    except OSError:   # PortAudio missing
        return []
    try:
        found = sd.query_devices()
    except sd.PortAudioError:
        return []
    return [Device(i, str(d["name"]), int(d["default_samplerate"]), int(d["max_input_channels"]),
                   int(d["max_output_channels"])) for i, d in enumerate(found)]


def find_device(wanted: str, direction: Direction) -> Device:
    """The device `wanted` names (an index, or any part of its name, any case); "" the
    system's default for `direction`.

    Raises:
        LivecamError: none matches, or there is no such device at all.
    """
    import sounddevice as sd  # noqa: PLC0415

    devices = [d for d in list_devices() if (d.inputs if direction == "input" else d.outputs)]
    if not devices:
        raise LivecamError(f"no audio {direction} device (no sound card, or PortAudio sees "
                           "none); `livecam doctor` lists what it finds")
    text = wanted.strip()
    if not text:
        default = sd.default.device[0 if direction == "input" else 1]
        return next((d for d in devices if d.index == default), devices[0])
    if text.isdigit():
        match = [d for d in devices if d.index == int(text)]
    else:
        match = [d for d in devices if text.lower() in d.name.lower()]
    if not match:
        names = ", ".join(f"{d.index}: {d.name}" for d in devices)
        raise LivecamError(f"no audio {direction} device matches '{wanted}'; there are: {names}")
    return match[0]


def close_stream(stream: Any) -> None:
    """Stop and close a PortAudio stream, even one whose device has vanished."""
    try:
        stream.stop()
        stream.close()
    except Exception as exc:  # noqa: BLE001 - PortAudio's errors for a device that is gone
        log.debug("closing a sound stream: %s", exc)
