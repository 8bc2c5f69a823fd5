"""The exceptions livecam raises.

Every error a user can cause derives from one root, so the CLI can print it and exit cleanly::

    LivecamError
    ├── SourceError        camera, video file or image cannot be opened or read
    │   └── SourceLost     a source that was working stopped delivering frames
    ├── TrackerError       face tracking could not start
    ├── ModelError         a model file is missing, corrupt or fails to load
    ├── PresetError        a preset is unknown or malformed
    ├── SinkError          virtual camera, window or recording cannot be opened or written
    ├── ConfigError        the user's livecam.toml (control, hotkeys) is malformed
    ├── ControlError       hotkeys or the control server cannot start
    └── BenchError         a benchmark record is unreadable

Messages say what failed, with the value, and what to do about it.
"""

from __future__ import annotations


class LivecamError(Exception):
    """Root of every error livecam reports to the user."""


class SourceError(LivecamError):
    """A frame source cannot be opened or read."""


class SourceLost(SourceError):
    """A source that was delivering frames stopped; the loop may retry it."""


class TrackerError(LivecamError):
    """Face tracking could not be set up."""


class ModelError(LivecamError):
    """A model is missing, corrupt or cannot be loaded."""


class PresetError(LivecamError):
    """A preset is unknown or malformed."""


class SinkError(LivecamError):
    """An output cannot be opened or written."""


class ConfigError(LivecamError):
    """The user's configuration file is malformed."""


class ControlError(LivecamError):
    """Global hotkeys or the control server cannot start."""


class BenchError(LivecamError):
    """A benchmark record cannot be read."""
