"""Face geometry: the aligned crop every model sees, and landmark-driven mesh warps."""
