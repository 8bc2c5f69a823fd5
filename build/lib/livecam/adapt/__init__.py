"""Holding the frame rate: quality bounds, the resolution ladder and the live controller."""
