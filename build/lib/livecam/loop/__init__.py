"""The frame loop: capture, processing and output threads joined by newest-frame slots."""
