"""Recordings with sound, written as they go so that a killed livecam leaves a playable file.

Video and audio are placed by their capture times on the one monotonic clock, so they stay in
sync whatever the capture→output latency does. MP4 is written fragmented (a self-contained
fragment each second, each starting on a keyframe) and Matroska in one-second clusters; the
file is flushed to the disk after every fragment. Gaps in the sound (a device unplugged, lost
blocks) are filled with silence, so the audio keeps its place against the picture.
"""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from livecam.errors import SinkError
from livecam.loop.priority import lower_priority
from livecam.sinks.naming import free_path
from livecam.sinks.protocol import AudioBlock, OutputFrame

log = logging.getLogger("livecam.sinks")
RECORDING_QUEUE = 30     # frames a recording may fall behind (a second at 30 fps) before dropping
AUDIO_RATE = 48000
AUDIO_SLACK_S = 0.01     # timing error tolerated before silence is added or samples dropped
AUDIO_WAIT_S = 0.3       # sound older than a frame by this much is not coming: silence
FLUSH_EVERY_S = 1.0      # fragment length, and how often the file is synced to the disk
CONTAINERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}
VIDEO_CODECS = (("libx264", "H.264"), ("mpeg4", "MPEG-4 Part 2"))
AUDIO_CODECS = {"mp4": ("aac", "AAC"), "mov": ("aac", "AAC"), "matroska": ("libopus", "Opus")}
TIME_BASE = Fraction(1, 1000)   # milliseconds, for both streams' packets


def recording_choice(path: Path) -> str:
    """What a recording at `path` will be written as, for the user (or why it cannot be)."""
    container = _container(path)
    video = next((label for name, label in VIDEO_CODECS if _encoder(name)), None)
    if video is None:
        raise SinkError("no video encoder in this PyAV build; reinstall it: pip install av")
    audio = AUDIO_CODECS[container][1]
    return f"{video} + {audio}, {'fragmented MP4' if container != 'matroska' else 'Matroska'}"


def _container(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in CONTAINERS:
        raise SinkError(f"cannot record to '{path}': use a .mp4, .mov or .mkv file")
    return CONTAINERS[suffix]


def _encoder(name: str) -> bool:
    import av  # noqa: PLC0415

    try:
        av.codec.Codec(name, "w")
    except (av.codec.codec.UnknownCodecError, ValueError):
        return False
    return True


class Recording:
    """A video file of the output, with the microphone's sound when `audio` is on.

    Args:
        path: A .mp4, .mov or .mkv file; its folder must exist.
        audio: Add a sound track (silence until, and wherever, no microphone blocks arrive).
        overwrite: Replace a file already at `path`; otherwise the next free name is used.
    """

    queue = RECORDING_QUEUE

    def __init__(self, path: str | Path, audio: bool = True, overwrite: bool = False) -> None:
        self.path = Path(path)
        self.overwrite = overwrite
        self.name = f"file:{self.path}"
        self.stop_requested = False
        self.audio = audio
        self._format = _container(self.path)
        self._file: IO[bytes] | None = None
        self._out: Any = None
        self._video: Any = None
        self._sound: Any = None
        self._fifo: Any = None
        self._resampler: Any = None
        self._size = (0, 0)
        self._t0: float | None = None
        self._last_pts = -1
        self._samples = 0          # samples handed to the encoder's queue so far
        self._encoded = 0          # samples encoded
        self._early: list[AudioBlock] = []
        self._synced_s = 0.0
        self.frames = 0
        self.silence_s = 0.0       # sound filled in where no microphone block arrived
        self.description = ""

    def open(self, width: int, height: int, fps: float) -> None:
        import av  # noqa: PLC0415 - bundles FFmpeg

        lower_priority()   # on the recording's own thread: the stream comes first
        if not self.path.parent.exists():
            raise SinkError(f"cannot record to '{self.path}': folder {self.path.parent} does "
                            "not exist")
        self.path = free_path(self.path, self.overwrite)
        self.name = f"file:{self.path}"
        try:
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        except OSError as exc:
            raise SinkError(f"cannot record to '{self.path}': {exc}") from exc
        options = {"flush_packets": "1"}
        if self._format == "matroska":
            options["cluster_time_limit"] = str(int(FLUSH_EVERY_S * 1000))
        else:
            options["movflags"] = "frag_keyframe+empty_moov+default_base_moof"
        self._out = av.open(self._file, "w", format=self._format, options=options)
        self._size = (width - width % 2, height - height % 2)
        rate = max(1, round(fps))
        for codec, label in VIDEO_CODECS:
            if not _encoder(codec):
                continue
            video = self._out.add_stream(codec, rate=rate)
            video.width, video.height = self._size
            video.pix_fmt = "yuv420p"
            video.time_base = TIME_BASE
            video.codec_context.time_base = TIME_BASE   # capture times, not a fixed rate
            video.codec_context.gop_size = rate          # a keyframe, so a fragment, a second
            if codec == "libx264":
                video.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "23",
                                 "threads": "1"}
            else:
                video.bit_rate = 4_000_000
            self._video = video
            chosen = label
            break
        else:
            raise SinkError("no video encoder in this PyAV build; reinstall it: pip install av")
        self.description = chosen
        if self.audio:
            codec, label = AUDIO_CODECS[self._format]
            sound = self._out.add_stream(codec, rate=AUDIO_RATE, layout="mono")
            sound.time_base = Fraction(1, AUDIO_RATE)
            self._sound = sound
            self._fifo = av.AudioFifo()
            self.description += f" + {label} {AUDIO_RATE // 1000} kHz mono"
        self.description += ", fragmented MP4" if self._format != "matroska" else ", Matroska"
        log.info("recording to %s: %s (playable even if livecam is killed)", self.path,
                 self.description)

    # video ---------------------------------------------------------------------------------
    def write(self, frame: OutputFrame) -> None:
        import av  # noqa: PLC0415

        if self._out is None:
            raise SinkError(f"recording {self.path} was not opened")
        if self._t0 is None:
            self._t0 = frame.capture_s
            early, self._early = self._early, []
            for block in early:
                self.write_audio(block)
        image = frame.image
        w, h = self._size
        if image.shape[1] != w or image.shape[0] != h:
            image = np.ascontiguousarray(image[:h, :w])
        picture = av.VideoFrame.from_ndarray(image, format="bgr24")
        pts = max(round((frame.capture_s - self._t0) / TIME_BASE), self._last_pts + 1)
        picture.pts, picture.time_base = pts, TIME_BASE
        self._last_pts = pts
        self._send(self._video, picture)
        if self._sound is not None:   # no microphone, or a lost one: the place is kept
            behind = round((frame.capture_s - AUDIO_WAIT_S - self._t0) * AUDIO_RATE)
            if behind > self._samples:
                self.silence_s += (behind - self._samples) / AUDIO_RATE
                self._queue_samples(np.zeros(behind - self._samples, np.float32))
        self.frames += 1
        self._sync(frame.capture_s)

    # audio ---------------------------------------------------------------------------------
    def write_audio(self, block: AudioBlock) -> None:
        if self._sound is None:
            return
        if self._t0 is None:   # placed once the first frame fixes the recording's start
            self._early = (self._early + [block])[-200:]
            return
        samples = self._mono_48k(block)
        start = round((block.capture_s - self._t0) * AUDIO_RATE)
        if start + len(samples) <= self._samples:   # wholly before what is written: late
            return
        gap = start - self._samples
        if gap > AUDIO_SLACK_S * AUDIO_RATE:      # lost sound: silence keeps the place
            self._queue_samples(np.zeros(gap, np.float32))
            self.silence_s += gap / AUDIO_RATE
        elif gap < -AUDIO_SLACK_S * AUDIO_RATE:   # overlap: the start is already written
            samples = samples[-gap:]
        self._queue_samples(samples)

    def _mono_48k(self, block: AudioBlock) -> npt.NDArray[np.float32]:
        mono = block.mono()
        if block.rate == AUDIO_RATE:
            return mono
        # a device that only runs at another rate: linear resampling, enough for a voice
        n = max(1, round(len(mono) * AUDIO_RATE / block.rate))
        where = np.linspace(0, len(mono) - 1, n)
        return np.interp(where, np.arange(len(mono)), mono).astype(np.float32)

    def _queue_samples(self, samples: npt.NDArray[np.float32]) -> None:
        import av  # noqa: PLC0415

        if len(samples) == 0:
            return
        chunk = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        chunk.sample_rate = AUDIO_RATE
        chunk.pts = self._samples
        self._fifo.write(chunk)
        self._samples += len(samples)
        size = self._sound.codec_context.frame_size or 1024
        while self._fifo.samples >= size:
            piece = self._fifo.read(size)
            piece.pts = self._encoded
            self._encoded += piece.samples
            self._send(self._sound, piece)

    # file ----------------------------------------------------------------------------------
    def _send(self, stream: Any, item: Any) -> None:
        """Encode `item` (None: flush the encoder) and write its packets."""
        import av  # noqa: PLC0415

        try:
            for packet in stream.encode(item):
                self._out.mux(packet)
        except av.FFmpegError as exc:
            raise SinkError(f"recording {self.path} failed: {exc} (is the disk full?)") from exc

    def _sync(self, now_s: float) -> None:
        """Push what is written to the disk about once a fragment."""
        if self._file is None or now_s - self._synced_s < FLUSH_EVERY_S:
            return
        self._synced_s = now_s
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._out is None:
            return
        try:
            self._send(self._video, None)
            if self._sound is not None:
                if self._fifo.samples:
                    piece = self._fifo.read()
                    piece.pts = self._encoded
                    self._send(self._sound, piece)
                self._send(self._sound, None)
        finally:
            out, self._out = self._out, None
            out.close()
            if self._file is not None:
                self._file.close()
                self._file = None
        log.info("recording saved to %s (%d frames, %.1f s of sound filled with silence)",
                 self.path, self.frames, self.silence_s)
