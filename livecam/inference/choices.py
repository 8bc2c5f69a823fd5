"""The model choices a preset, the command line and the API can make, declared once."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from livecam.config_tables import Checked
from livecam.remote.address import is_server, parse_address

Tier = Literal["S", "M", "L"]
FusionTier = Literal["S", "M"]
Precision = Literal["float32", "float16", "int8"]
ProviderName = Literal["cpu", "cuda", "tensorrt", "directml", "coreml", "openvino"]
TierChoice = Literal["auto", Tier]
PrecisionChoice = Literal["auto", Precision]
ProviderChoice = Literal["auto", ProviderName]


def provider_problem(value: object) -> str | None:
    """What is wrong with a provider setting: a local provider, "auto", or a server address."""
    if not isinstance(value, str):
        return f"must be a provider name or a server address, got {value!r}"
    if value in get_args(ProviderChoice):   # "auto" and the local providers
        return None
    if is_server(value) or "://" in value:
        try:
            parse_address(value)
        except ValueError as exc:
            return str(exc)
        return None
    return (f"must be {', '.join(('auto', *get_args(ProviderName)))} or a Triton server "
            f"(triton://HOST:PORT), got {value!r}")


# a local onnxruntime provider, "auto", or a Triton server the model runs on instead
ProviderSetting = Annotated[str, Checked(provider_problem)]
