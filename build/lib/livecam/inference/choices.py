"""The model choices a preset, the command line and the API can make, declared once."""

from __future__ import annotations

from typing import Literal

Tier = Literal["S", "M", "L"]
FusionTier = Literal["S", "M"]
Precision = Literal["float32", "float16", "int8"]
ProviderName = Literal["cpu", "cuda", "tensorrt", "directml", "coreml", "openvino"]
TierChoice = Literal["auto", Tier]
PrecisionChoice = Literal["auto", Precision]
ProviderChoice = Literal["auto", ProviderName]
