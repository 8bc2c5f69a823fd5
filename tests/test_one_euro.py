import numpy as np

from livecam.tracking.one_euro import OneEuroFilter


def _run(filt, signal, fps=30.0):
    return np.array([filt(np.array([[v, 0.0]], np.float32), i / fps, scale=100.0)[0, 0]
                     for i, v in enumerate(signal)])


def test_still_point_jitter_is_cut_by_more_than_half():
    rng = np.random.default_rng(0)
    noisy = 200.0 + rng.normal(0, 1.0, 300)
    smooth = _run(OneEuroFilter(min_cutoff_hz=1.0, beta=0.8), noisy)
    assert np.std(np.diff(smooth[30:])) < 0.5 * np.std(np.diff(noisy[30:]))


def test_fast_motion_lags_less_than_a_plain_low_pass():
    ramp = np.arange(120) * 20.0  # 600 px/s, 6 face sizes a second
    adaptive = _run(OneEuroFilter(min_cutoff_hz=1.0, beta=0.8), ramp)
    plain = _run(OneEuroFilter(min_cutoff_hz=1.0, beta=0.0), ramp)
    lag_adaptive = np.mean(ramp[60:] - adaptive[60:])
    lag_plain = np.mean(ramp[60:] - plain[60:])
    assert lag_adaptive < 0.25 * lag_plain
    assert lag_adaptive < 20.0  # under one frame of motion
