"""A few real training steps on the CPU: the network moves toward the reference renderer."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="training needs torch and livecam-train")
pytest.importorskip("livecam_train", reason="training needs the livecam-train package")

from livecam.frame import Frame  # noqa: E402
from livecam.geometry.align import align_face, crop_scale  # noqa: E402
from livecam_train.render.fairy_tale import render_fairy_tale  # noqa: E402
from livecam.sources.demo import DemoSource  # noqa: E402
from livecam.tracking.mediapipe_mesh import MediaPipeTracker  # noqa: E402
from livecam.tracking.settings import TrackingSettings  # noqa: E402
from livecam_train.evaluation.metrics import psnr  # noqa: E402
from livecam_train.export import export_float32  # noqa: E402
from livecam_train.loop import RunSettings, checkpoint_path  # noqa: E402
from livecam_train.stylizer_net import TIERS, FSBlock, Stylizer  # noqa: E402
from livecam_train.train_stylizer import StylizerSettings, train_stylizer  # noqa: E402
from livecam_train.weights import load_weights  # noqa: E402


@pytest.fixture(scope="module")
def tracked():
    """Ten aligned demo crops, their meshes and the meshes' depth (crop pixels)."""
    demo = DemoSource(640, 360, realtime=False)
    tracker = MediaPipeTracker(TrackingSettings(max_faces=1, smoothing=False))
    crops, marks, depths = [], [], []
    for i in range(10):
        image = demo.render(i * 0.7)
        (face,) = tracker.track(Frame(image, i, i * 0.7))
        aligned = align_face(image, face.landmarks, 128)
        crops.append(aligned.image)
        marks.append(aligned.landmarks)
        depths.append(face.landmarks[:, 2] * crop_scale(aligned.to_crop))
    tracker.close()
    return np.stack(crops), np.stack(marks), np.stack(depths).astype(np.float32)


@pytest.fixture(scope="module")
def faces(tracked):
    return tracked[:2]


def _texture(img, where):
    """Median fine texture (grey minus its 1-pixel blur) inside a mask."""
    import cv2

    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return float(np.median(np.abs(gray - cv2.GaussianBlur(gray, (0, 0), 1.0))[where]))


def test_fairy_tale_renderer_smooths_the_skin_and_warms_it(faces):
    from livecam.compositing.masks import face_masks

    images, marks = faces
    out = render_fairy_tale(images[0], marks[0])
    assert out.shape == images[0].shape and out.dtype == np.uint8
    _, skin = face_masks(images[0].shape[:2], marks[0])
    inside = skin > 0.9
    assert _texture(out, inside) < 0.8 * _texture(images[0], inside)
    warmth = (out[..., 2].astype(int) - out[..., 0])[inside].mean()
    assert warmth > (images[0][..., 2].astype(int) - images[0][..., 0])[inside].mean()


def _strokes(img, where):
    """Pixels much darker than their 7×7 neighbourhood (ink lines), inside a mask."""
    import cv2

    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)
    return int(((cv2.blur(gray, (7, 7)) - gray > 25) & where).sum())


def test_anime_renderer_is_high_key_with_flat_skin_and_inked_surroundings(faces):
    from livecam.compositing.masks import face_masks
    from livecam_train.render.anime import render_anime

    images, marks = faces
    out = render_anime(images[0], marks[0])
    face, skin = face_masks(images[0].shape[:2], marks[0])
    inside = skin > 0.9
    assert _texture(out, inside) < 0.8 * _texture(images[0], inside)
    assert out.mean() > images[0].mean() + 5
    outside = face < 0.05
    assert _strokes(out, outside) > _strokes(images[0], outside) + 20


def test_anime_ink_is_lines_not_patches():
    from livecam_train.render.anime import _edge_lines, _ink_lines

    side = 256
    gray = np.full((side, side), 0.8, np.float32)
    gray[40:200, 120:132] = 0.3            # a dark lock of hair, 12 px wide
    gray[40:200, 200:] = 0.3               # a dark region: an outline along its edge
    assert _ink_lines(gray, side, 17, 3)[60:180, 120:132].max() < 0.5
    assert _edge_lines(gray, side)[60:180, 198:204].max() > 0.9


def test_untrained_network_is_the_identity_and_fs_block_keeps_shape():
    model = Stylizer(TIERS["S"]).eval()
    x = torch.rand(1, 3, 96, 160) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(model(x), x)
        assert FSBlock(8)(torch.rand(2, 8, 12, 12)).shape == (2, 8, 12, 12)
    model.train()
    full, quarter, eighth = model(x)
    assert quarter.shape[-2:] == (24, 40) and eighth.shape[-2:] == (12, 20)


def test_a_short_cpu_run_moves_the_network_toward_the_renderer(faces, tmp_path, monkeypatch):
    images, marks = faces
    cache = tmp_path / "training" / "cache"
    cache.mkdir(parents=True)
    targets = np.stack([render_fairy_tale(im, lm) for im, lm in zip(images, marks)])
    valid = np.full(images.shape[:3], 255, np.uint8)
    for split, sl in (("train", slice(0, 8)), ("holdout", slice(8, 10))):
        np.savez(cache / f"{split}.npz", images=images[sl], landmarks=marks[sl],
                 valid=valid[sl], names=np.array([f"f{i}" for i in range(10)])[sl])
        np.savez(cache / f"fairy-tale-{split}.npz", targets=targets[sl])
    monkeypatch.setenv("LIVECAM_TRAINING", str(tmp_path / "training"))
    settings = StylizerSettings(tier="S", run=RunSettings(
        size=64, steps=60, batch=4, lr=3e-3, threads=1, eval_every=60, save_every=60,
        log_every=20))
    weights = train_stylizer(settings, cache)
    model = load_weights(weights)
    x = torch.from_numpy((images[8:, ..., ::-1] / 127.5 - 1).astype(np.float32).copy()
                         ).permute(0, 3, 1, 2)
    y = torch.from_numpy((targets[8:, ..., ::-1] / 127.5 - 1).astype(np.float32).copy()
                         ).permute(0, 3, 1, 2)
    with torch.no_grad():
        out = model(x)
    assert psnr(out, y, peak=2.0) > psnr(x, y, peak=2.0) + 1.0
    assert (tmp_path / "training" / "runs" / "fairy-tale-S" / "state.pt").is_file()
    onnx_path = export_float32(model, tmp_path / "s.onnx", side=64)
    import onnxruntime as ort

    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {"image": x[:1].numpy()})
    assert np.allclose(result, out[:1].numpy(), atol=1e-3)
    (wide,) = session.run(None, {"image": np.zeros((1, 3, 96, 160), np.float32)})
    assert wide.shape == (1, 3, 96, 160)  # fully convolutional

    from livecam.inference.manifest import load_manifest, verify
    from livecam_train.publish import publish

    models = tmp_path / "models"
    reports = publish(weights, models, cache)
    assert {r.precision for r in reports} == {"float32", "float16", "int8"}
    entries = load_manifest(models)
    assert len(entries) == 3 and (models / "stylizer-fairy-tale-S.md").is_file()
    for entry in entries.values():
        verify(entry, models / entry.file)
    int8 = next(r for r in reports if r.precision == "int8")
    assert all(len(r.psnr_by_side) == 3 for r in reports)   # at the controller's rungs
    assert "| by side |" in (models / "stylizer-fairy-tale-S.md").read_text()
    assert int8.size_bytes < next(r for r in reports if r.precision == "float32").size_bytes

    # compression: prune half the channels, heal by distillation, publish beside the original
    from livecam_train.prune import PruneSettings, train_pruned
    from livecam_train.stylizer_net import count_parameters

    pruned_weights = train_pruned(PruneSettings(teacher=weights, ratio=0.5, run=RunSettings(
        size=64, steps=40, batch=4, lr=1e-3, threads=1, save_every=40, log_every=20,
        eval_every=40)), cache)
    student = load_weights(pruned_weights)   # rebuilt from the recorded channel counts
    assert count_parameters(student) < 0.75 * count_parameters(model)
    with torch.no_grad():
        healed = student(x)
    assert healed.shape == x.shape and psnr(healed, y, peak=2.0) > psnr(x, y, peak=2.0)
    publish(pruned_weights, models, cache)
    entries = load_manifest(models)
    assert len(entries) == 6   # the unpruned variants are kept
    assert {e.pruned for e in entries.values()} == {0.0, 0.5}
    assert (models / "stylizer-fairy-tale-S-p50.md").read_text().count("Torch-Pruning") == 1


def test_a_short_anime_run_trains_both_players(faces, tmp_path, monkeypatch):
    from livecam_train.train_anime import AnimeSettings, MultiScaleDiscriminator, train_anime

    images, marks = faces
    cache = tmp_path / "training" / "cache"
    cache.mkdir(parents=True)
    valid = np.full(images.shape[:3], 255, np.uint8)
    np.savez(cache / "train.npz", images=images, landmarks=marks, valid=valid,
             names=np.array([f"f{i}" for i in range(10)]))
    cartoons = np.stack([render_fairy_tale(im, lm) for im, lm in zip(images, marks)])
    np.savez(cache / "anime-faces-train.npz", images=cartoons)
    np.savez(cache / "anime-train.npz", targets=cartoons)
    monkeypatch.setenv("LIVECAM_TRAINING", str(tmp_path / "training"))
    start = checkpoint_path("fairy-tale-S")
    start.parent.mkdir(parents=True)
    torch.save({"model": Stylizer(TIERS["S"]).state_dict(), "tier": "S"}, start)
    from livecam_train.data import PairSampler

    sides = []
    batch = PairSampler.batch

    def spy(self, n, size=None):
        out = batch(self, n, size)
        sides.append(out[0].shape[-1])
        return out

    monkeypatch.setattr(PairSampler, "batch", spy)
    weights = train_anime(AnimeSettings(run=RunSettings(
        size=64, sizes=(64, 96), steps=6, batch=2, lr=2e-4, threads=1, save_every=6,
        log_every=3)), cache)
    assert sides == [64, 96] * 3   # every rung of the controller, in turn
    assert torch.load(weights, weights_only=False)["sizes"] == [64, 96]
    model = load_weights(weights)
    x = torch.zeros(1, 3, 64, 64)
    with torch.no_grad():
        assert not torch.allclose(model(x), x)  # moved away from the identity start
    assert [o.shape[-1] for o in MultiScaleDiscriminator()(torch.zeros(1, 3, 64, 64))] == [8, 4]


def test_the_fusion_model_starts_as_the_plain_paste_and_learns_past_it(faces, tmp_path,
                                                                        monkeypatch):
    from livecam.inference.manifest import load_manifest
    from livecam.inference.onnx_model import FusionModel
    from livecam_train.fusion_net import FUSION_TIERS, FusionNet
    from livecam_train.publish_fusion import publish_fusion
    from livecam_train.train_fusion import FusionSettings, held_out_batch, train_fusion

    untrained = FusionNet(FUSION_TIERS["S"]).eval()
    x = torch.rand(2, 7, 64, 64) * 2 - 1
    mask = (x[:, 6:7] + 1) / 2
    with torch.no_grad():
        assert torch.allclose(untrained(x), (mask * x[:, 3:6] + (1 - mask) * x[:, :3]).clamp(
            -1, 1), atol=1e-6)   # the residual gate and heads start at zero

    images, marks = faces
    cache = tmp_path / "training" / "cache"
    cache.mkdir(parents=True)
    valid = np.full(images.shape[:3], 255, np.uint8)
    names = [f"faces-celeba-ids/train/celeb_1/{i}.jpg" for i in range(6)] + [
        f"faces-celeba-ids/test/celeb_85/{i}.jpg" for i in range(4)]   # 85: held out
    for split, sl in (("train", slice(0, 6)), ("holdout", slice(6, 10))):
        np.savez(cache / f"{split}.npz", images=images[sl], landmarks=marks[sl],
                 valid=valid[sl], names=np.array(names)[sl])
    monkeypatch.setenv("LIVECAM_TRAINING", str(tmp_path / "training"))
    weights = train_fusion(FusionSettings(run=RunSettings(
        size=64, steps=60, batch=4, lr=3e-3, threads=1, eval_every=60, save_every=60,
        log_every=20)), cache)
    saved = torch.load(weights, weights_only=False)
    model = FusionNet(FUSION_TIERS["S"])
    model.load_state_dict(saved["model"])
    model.eval()
    x, y, region = held_out_batch(cache, 64, count=8)
    paste = region * x[:, 3:6] + (1 - region) * x[:, :3]
    with torch.no_grad():
        out = model(x)
    assert psnr(out, y, region, peak=2.0) > psnr(paste, y, region, peak=2.0)
    assert float(model.fuse.gate.detach().abs()) > 0   # the fusion block opened its gate

    models = tmp_path / "models"
    reports, plain = publish_fusion(weights, models, cache)
    assert {r.precision for r in reports} == {"float32", "int8"}
    entry = next(e for e in load_manifest(models).values() if e.precision == "float32")
    assert entry.family == "fusion" and entry.style == "swap"
    runner = FusionModel(entry, models / entry.file)
    crop = images[0]
    fused = runner.run(crop, crop, np.zeros(crop.shape[:2], np.float32))
    assert fused.shape == crop.shape

    # quantisation-aware fine-tuning: INT8 simulated on the residual, float weights out,
    # resumable; the INT8 file is the fake-quantised graph itself
    from livecam_train.qat_fusion import (QatSettings, QuantisedFusion, load_quantised,
                                             train_fusion_qat)

    simulated = QuantisedFusion(FusionNet(FUSION_TIERS["S"]), x[:2])
    assert any("fake_quant" in name for name, _ in simulated.named_modules())
    qat_run = RunSettings(size=64, steps=4, batch=2, lr=1e-4, threads=1, save_every=4,
                          eval_every=4, log_every=2)
    qat = train_fusion_qat(QatSettings(run=qat_run), cache)
    tuned = torch.load(qat, weights_only=False)
    assert tuned["qat"] and tuned["step"] == 4
    model.load_state_dict(tuned["model"])   # plain float weights, the network's own names
    assert not torch.equal(tuned["model"]["dec2.1.weight"], saved["model"]["dec2.1.weight"])
    assert train_fusion_qat(QatSettings(run=qat_run), cache) == qat   # resumed: done

    import onnx

    from livecam_train.publish import outputs
    from livecam_train.qat_fusion import export_qat_int8

    quantised = load_quantised(tuned)
    with torch.no_grad():
        expected = quantised(x[:2]).numpy()
    path = export_qat_int8(quantised, tmp_path / "qat-int8.onnx", ("swap", "fused"))
    graph = onnx.load(str(path)).graph
    assert sum(n.op_type == "DequantizeLinear" for n in graph.node) > 50
    assert any(i.data_type == onnx.TensorProto.INT8 for i in graph.initializer)  # int8 weights
    from onnx import numpy_helper

    from livecam_train.qat_fusion import WEIGHT_LEVEL

    weights = [numpy_helper.to_array(i) for i in graph.initializer
               if i.data_type == onnx.TensorProto.INT8]
    # 7-bit weights: onnxruntime's 16-bit pair sums cannot saturate on CPUs without VNNI
    assert max(int(np.abs(w.astype(np.int32)).max()) for w in weights) <= WEIGHT_LEVEL
    got = outputs(path, x[:2].numpy(), "swap")
    # onnxruntime's integer kernels compute what the simulation did, up to rounding
    assert np.median(np.abs(got - expected)) < 1 / 127.5
    reports, _ = publish_fusion(qat, models, cache)   # publishing a QAT file uses that export
    assert {r.precision for r in reports} == {"float32", "int8"}


def test_int8_ranges_come_from_the_bulk_of_the_calibration_not_its_outliers(tmp_path,
                                                                           monkeypatch):
    """A few outlying activations in the calibration set made every step of the INT8 range
    coarse (anime's cel bands then moved from frame to frame): the range is a percentile."""
    import onnxruntime as ort
    from livecam_train import export

    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    nodes, weights, last = [], [], "image"
    for i, (cin, cout) in enumerate(((3, 8), (8, 8), (8, 3))):
        w = rng.normal(0, 0.3, (cout, cin, 3, 3)).astype(np.float32)
        weights += [numpy_helper.from_array(w, f"w{i}"),
                    numpy_helper.from_array(np.zeros(cout, np.float32), f"b{i}")]
        nodes.append(helper.make_node("Conv", [last, f"w{i}", f"b{i}"], [f"c{i}"],
                                      pads=[1, 1, 1, 1], name=f"conv{i}"))
        last = f"c{i}"
        if i < 2:
            nodes.append(helper.make_node("Relu", [last], [f"r{i}"], name=f"relu{i}"))
            last = f"r{i}"
    graph = helper.make_graph(
        nodes, "net", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 32, 32])],
        [helper.make_tensor_value_info(last, TensorProto.FLOAT, [1, 3, 32, 32])], weights)
    src = tmp_path / "net.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(src))
    calibration = rng.uniform(-1, 1, (32, 3, 32, 32)).astype(np.float32)
    calibration[0, :, 0, :2] = 30.0   # six outlying values among 98,304
    test = rng.uniform(-1, 1, (8, 3, 32, 32)).astype(np.float32)

    def error(path):
        quant = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        full = ort.InferenceSession(str(src), providers=["CPUExecutionProvider"])
        return float(np.mean([np.abs(quant.run(None, {"image": x[None]})[0]
                                     - full.run(None, {"image": x[None]})[0]).mean()
                              for x in test]))

    bulk = error(export.export_int8(src, tmp_path / "bulk.onnx", calibration))
    monkeypatch.setattr(export, "CALIBRATION_PERCENTILE", 100.0)   # the extremes
    extremes = error(export.export_int8(src, tmp_path / "extremes.onnx", calibration))
    assert bulk < 0.5 * extremes


def test_training_sides_are_parsed_and_bad_ones_say_what_is_wrong(capsys):
    from livecam_train.cli import build_parser

    args = build_parser().parse_args(["anime", "--sizes", "128,192,256", "--size", "256"])
    assert args.sizes == (128, 192, 256) and args.size == 256
    for bad in ("128,200", "big"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["anime", "--sizes", bad])
        assert "--sizes" in capsys.readouterr().err
    run = RunSettings(steps=1, size=256, sizes=(128, 256))
    assert [run.side(i) for i in range(3)] == [128, 256, 128]
    assert RunSettings(steps=1, size=96).side(5) == 96


def test_the_fusion_pairs_are_lit_in_3d_where_the_cache_holds_depth(tracked, monkeypatch):
    """Training dresses faces as the live swap does: with depth the enrolled light is fitted
    on the mesh and swapped for the target's; an older cache without depth still samples."""
    from livecam_train import swap_pairs
    from livecam_train.faces import FaceSet

    crops, marks, depths = (part[:2] for part in tracked)
    names = np.array([f"faces-celeba-ids/train/celeb_1/{i}.jpg" for i in range(2)])
    valid = np.full((2, 128, 128), 255, np.uint8)
    fitted = []
    real = swap_pairs.photo_light
    monkeypatch.setattr(swap_pairs, "photo_light",
                        lambda image, points: fitted.append(points.shape) or real(image, points))
    with_depth = FaceSet(crops, marks, valid, names, depths)
    flat = FaceSet(crops, marks, valid, names)
    x3, y3, _ = swap_pairs.SwapPairSampler(with_depth, 128, seed=3).sample(0)
    assert fitted == [(478, 3)]                      # the worn face's photo light, on its mesh
    x2, y2, _ = swap_pairs.SwapPairSampler(flat, 128, seed=3).sample(0)
    assert fitted == [(478, 3)]                      # no depth: no fit
    assert x3.shape == x2.shape == (128, 128, 7) and np.array_equal(y3, y2)
    assert np.abs(x3[..., 3:6] - x2[..., 3:6]).max() > 0.01   # the light moved the worn face
