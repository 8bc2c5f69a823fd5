"""Effects turn a frame and its tracked faces into the output frame."""

from livecam.effects.protocol import Effect

__all__ = ["Effect"]
