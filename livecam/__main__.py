from livecam.cli import entry

raise SystemExit(entry())
