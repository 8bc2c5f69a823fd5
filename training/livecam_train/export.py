"""Export trained weights to ONNX: float32, float16 (GPU providers) and INT8 (CPU).

INT8 is static QDQ quantisation calibrated on held-out aligned faces, with the STA attention
(its sigmoid and the products it gates), the full-resolution head, the residual add and the
output clamp kept in float, as small errors there show as blotches or shimmer. Each variant
is written next to the others and described in models/manifest.toml by
`livecam.inference.manifest`.

Pixel unshuffle (the networks' first step) is exported as ONNX SpaceToDepth and a channel
gather instead of PyTorch's reshape–transpose–reshape: the same numbers, and onnxruntime's
6-D transpose had taken 3 of the fusion model's 15 ms at 256².
"""

from __future__ import annotations

from typing import Any

import warnings
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnx
import torch

CALIBRATION_PERCENTILE = 99.99   # of each activation's calibration values, kept in its range


def _unshuffle_as_space_to_depth(g: Any, x: Any, factor: Any) -> Any:
    """aten::pixel_unshuffle as SpaceToDepth, whose (row, column, channel) order is gathered
    back into PyTorch's (channel, row, column)."""
    from torch.onnx import symbolic_helper  # noqa: PLC0415

    f = symbolic_helper._get_const(factor, "i", "downscale_factor")  # type: ignore[no-untyped-call]
    channels = symbolic_helper._get_tensor_sizes(x)[1]
    order = [k * channels + c for c in range(channels) for k in range(f * f)]
    folded = g.op("SpaceToDepth", x, blocksize_i=f)
    return g.op("Gather", folded, g.op("Constant", value_t=torch.tensor(order)), axis_i=1)


def export_float32(model: torch.nn.Module, out: Path, side: int = 256, channels: int = 3,
                   names: tuple[str, str] = ("image", "stylized")) -> Path:
    """ONNX float32 with free batch, height and width (a Triton server batches requests);
    `names` are the input and output names."""
    torch.onnx.register_custom_op_symbolic(  # type: ignore[attr-defined]
        "aten::pixel_unshuffle", _unshuffle_as_space_to_depth, 17)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(1, channels, side, side),), str(out),
                          input_names=[names[0]], output_names=[names[1]],
                          dynamic_axes={names[0]: {0: "batch", 2: "height", 3: "width"},
                                        names[1]: {0: "batch", 2: "height", 3: "width"}},
                          opset_version=17, dynamo=False)
    onnx.checker.check_model(str(out))
    return out


def export_float16(src: Path, out: Path) -> Path:
    from onnxruntime.transformers.float16 import convert_float_to_float16  # noqa: PLC0415

    model = onnx.load(str(src))
    half = convert_float_to_float16(model, keep_io_types=True,
                                    op_block_list=["Sigmoid", "Resize", "Clip"])
    del half.graph.value_info[:]   # the converter's inferred shapes: one size, not every size
    onnx.save(half, str(out))
    return out


def _float_nodes(model: onnx.ModelProto) -> list[str]:
    """Nodes kept in float: the attention gates and the output residual."""
    keep = []
    for node in model.graph.node:
        if node.op_type in ("Sigmoid", "Clip", "Mul", "Sub"):
            keep.append(node.name)
    # the final residual add feeds the clamp; the full-resolution head's convolution makes the
    # residual itself: quantised, its steps shimmer from frame to frame
    for op in ("Add", "Conv"):
        last = [n.name for n in model.graph.node if n.op_type == op]
        if last:
            keep.append(last[-1])
    return keep


def export_int8(src: Path, out: Path, calibration: npt.NDArray[Any],
                input_name: str = "image", also_float: tuple[str, ...] = ()) -> Path:
    """Static INT8 (QDQ) calibrated on `calibration` (N×C×H×W float32 in [-1, 1]); the nodes
    named in `also_float` stay in float beside the attention gates and the output."""
    from onnxruntime.quantization import (  # noqa: PLC0415
        CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quant_pre_process,
        quantize_static)

    class Reader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._items = iter(calibration)

        def get_next(self) -> dict[str, npt.NDArray[Any]] | None:
            item = next(self._items, None)
            return None if item is None else {input_name: item[None].astype(np.float32)}

    pre = out.with_suffix(".pre.onnx")
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
    model = onnx.load(str(pre))
    quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                    per_channel=True, reduce_range=True,   # 7-bit weights: qat_fusion says why
                    # each activation's range from the middle of its histogram, not its extremes:
                    # a few outliers stretched the steps, which then moved hard edges (anime's
                    # cel bands) from frame to frame
                    calibrate_method=CalibrationMethod.Percentile,
                    extra_options={"CalibPercentile": CALIBRATION_PERCENTILE},
                    nodes_to_exclude=_float_nodes(model) + list(also_float))
    pre.unlink()
    return out
