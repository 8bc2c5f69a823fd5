"""Live control of a running stream: hotkeys, the local control API and its web panel."""
