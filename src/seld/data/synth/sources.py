"""Procedural sound bank: one randomised parametric generator per L3DAS22 class.

Why procedural: the generator must work offline with no downloads. Each class has its own signal
model (spectral shape, temporal structure) with randomised pitch, rhythm, duration and timbre, so that
a log-mel CNN can tell the classes apart but no class is a single fixed tone. A real recording bank
(``DIR/<class>/*.wav``) can replace it (:class:`RecordingBank`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import signal

from ...constants import CLASSES, SAMPLE_RATE
from ...errors import DataError

SR = SAMPLE_RATE
Rng = np.random.Generator

# Event duration range (s) per class: the scene scheduler draws the label duration from it.
DURATIONS: dict[str, tuple[float, float]] = {
    "Chink_and_clink": (0.5, 2.0),
    "Computer_keyboard": (1.0, 4.0),
    "Cupboard_open_or_close": (0.8, 2.5),
    "Drawer_open_or_close": (0.7, 2.0),
    "Female_speech_and_woman_speaking": (1.0, 4.0),
    "Finger_snapping": (0.5, 2.0),
    "Keys_jangling": (0.8, 3.0),
    "Knock": (0.5, 1.5),
    "Laughter": (1.0, 3.0),
    "Male_speech_and_man_speaking": (1.0, 4.0),
    "Printer": (1.5, 4.0),
    "Scissors": (0.6, 2.5),
    "Telephone": (1.5, 4.0),
    "Writing": (1.0, 4.0),
}


# ----------------------------------------------------------------------------- primitives
def _t(n: int) -> np.ndarray:
    return np.arange(n) / SR


def _biquad(kind: str, f: float, q: float = 0.7071) -> np.ndarray:
    """One second-order section (RBJ cookbook); much cheaper to design than scipy's butter."""
    w = 2 * np.pi * min(max(f, 5.0), 0.45 * SR) / SR
    cw, alpha = np.cos(w), np.sin(w) / (2 * q)
    if kind == "low":
        b = np.array([(1 - cw) / 2, 1 - cw, (1 - cw) / 2])
    else:
        b = np.array([(1 + cw) / 2, -(1 + cw), (1 + cw) / 2])
    a = np.array([1 + alpha, -2 * cw, 1 - alpha])
    return np.concatenate([b / a[0], a / a[0]])


def _bandpass(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """High-pass at ``lo`` then low-pass at ``hi`` (12 dB/oct each side)."""
    return signal.sosfilt(np.stack([_biquad("high", lo), _biquad("low", hi)]), x)


def _lowpass(x: np.ndarray, f: float) -> np.ndarray:
    return signal.sosfilt(_biquad("low", f)[None], x)


def _highpass(x: np.ndarray, f: float) -> np.ndarray:
    return signal.sosfilt(_biquad("high", f)[None], x)


def _resonator(x: np.ndarray, f: float, bw: float) -> np.ndarray:
    """Two-pole resonance at ``f`` Hz with bandwidth ``bw`` Hz (formants, body modes)."""
    r = np.exp(-np.pi * bw / SR)
    a = [1.0, -2 * r * np.cos(2 * np.pi * f / SR), r * r]
    return signal.lfilter([1.0 - r], a, x)


def _decay_partials(rng: Rng, n: int, freqs: np.ndarray, decays: np.ndarray) -> np.ndarray:
    """Sum of exponentially decaying sinusoids with random phases and amplitudes."""
    t = _t(n)
    amps = rng.uniform(0.3, 1.0, len(freqs))
    phases = rng.uniform(0, 2 * np.pi, len(freqs))
    out = np.zeros(n)
    for f, d, a, p in zip(freqs, decays, amps, phases):
        out += a * np.exp(-t / d) * np.sin(2 * np.pi * f * t + p)
    return out


def _place(out: np.ndarray, grain: np.ndarray, at: int, gain: float = 1.0) -> None:
    if at >= len(out) or at < 0:
        return
    m = min(len(grain), len(out) - at)
    out[at : at + m] += gain * grain[:m]


def _onsets(rng: Rng, n: int, count: int, margin: float = 0.05) -> np.ndarray:
    """``count`` onset samples spread over the event with jitter (first near 0, last before end)."""
    span = max(n / SR - margin - 0.1, 0.05)
    if count == 1:
        return np.array([int(rng.uniform(0, 0.05) * SR)])
    base = np.linspace(0, span, count)
    jitter = rng.uniform(-0.25, 0.25, count) * span / count
    jitter[0] = abs(jitter[0]) * 0.2
    return np.clip((base + jitter) * SR, 0, n - 1).astype(int)


_TABLE_SIZE = 4096


def _glottal(rng: Rng, n: int, f0: np.ndarray, breath: float) -> np.ndarray:
    """Band-limited glottal source: harmonics of the f0 contour with a -7 dB/oct tilt, plus breath.

    One period is tabulated with the harmonics below Nyquist at the highest f0 and read at the
    running phase (cheap, and the contour varies little within a syllable).
    """
    nh = int(min(40, 0.45 * SR / f0.max()))
    theta = 2 * np.pi * np.arange(_TABLE_SIZE) / _TABLE_SIZE
    h = np.arange(1, nh + 1)
    table = (np.sin(np.outer(theta, h)) / h**1.2).sum(axis=1)
    phase = np.cumsum(f0) / SR + rng.uniform()
    out = table[((phase % 1.0) * _TABLE_SIZE).astype(np.int64) % _TABLE_SIZE]
    return out + breath * rng.standard_normal(n)


# Average F1, F2, F3 (Hz) of a few vowels for a male voice; female formants are scaled up.
_VOWELS = np.array(
    [
        [730, 1090, 2440],
        [270, 2290, 3010],
        [530, 1840, 2480],
        [570, 840, 2410],
        [300, 870, 2240],
        [660, 1720, 2410],
        [490, 1350, 1690],
    ]
)


def _vowel_filter(x: np.ndarray, formants: np.ndarray, scale: float) -> np.ndarray:
    out = np.zeros_like(x)
    for k, f in enumerate(formants):
        out += _resonator(x, f * scale, 60 + 40 * k) * (1.0 / (k + 1))
    return out


# ----------------------------------------------------------------------------- classes
def chink_and_clink(rng: Rng, n: int) -> np.ndarray:
    """1-5 glass/cutlery clinks: inharmonic decaying partials at 2-9 kHz."""
    out = np.zeros(n)
    base = rng.uniform(1800, 4500)
    ratios = np.sort(rng.uniform(1.0, 2.8, rng.integers(4, 8)))
    count = int(np.clip(round(n / SR / rng.uniform(0.25, 0.6)), 1, 6))
    for at in _onsets(rng, n, count):
        m = int(0.5 * SR)
        freqs = base * ratios * rng.uniform(0.97, 1.03, len(ratios))
        g = _decay_partials(rng, m, freqs, rng.uniform(0.04, 0.3, len(ratios)))
        g[:64] += rng.standard_normal(64) * np.linspace(1, 0, 64)
        _place(out, g, at, rng.uniform(0.5, 1.0))
    return out


def computer_keyboard(rng: Rng, n: int) -> np.ndarray:
    """Typing: trains of short clicks (plastic tick + key-bed thud) with bursts and pauses."""
    out = np.zeros(n)
    rate = rng.uniform(5, 12)
    t = rng.uniform(0, 0.03)
    click_band = (rng.uniform(1500, 3000), rng.uniform(5000, 9000))
    thud_f = rng.uniform(250, 700)
    while t < n / SR - 0.05:
        m = int(0.04 * SR)
        tt = _t(m)
        tick = _bandpass(rng.standard_normal(m), *click_band) * np.exp(-tt / rng.uniform(0.003, 0.008))
        thud = np.sin(2 * np.pi * thud_f * rng.uniform(0.9, 1.1) * tt) * np.exp(-tt / 0.01)
        space = rng.random() < 0.1
        _place(out, tick + (1.5 if space else 0.6) * thud, int(t * SR), rng.uniform(0.4, 1.0))
        t += rng.exponential(1 / rate) + 0.03
        if rng.random() < 0.08:
            t += rng.uniform(0.2, 0.5)  # a pause between words
    return out


def _creak(rng: Rng, n: int) -> np.ndarray:
    """Hinge creak: a rough, slowly gliding pulse train filtered by a resonance."""
    t = _t(n)
    f0 = rng.uniform(150, 600) * (1 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t + rng.uniform(0, 6)))
    f0 *= 1 + 0.05 * rng.standard_normal(n).cumsum() / np.sqrt(n)
    phase = np.cumsum(f0) / SR
    pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(float)
    x = _resonator(pulses, rng.uniform(900, 2500), 300) + 0.2 * _highpass(pulses, 3000)
    return x * np.hanning(n)


def _thud(rng: Rng, m: int, f: tuple[float, float]) -> np.ndarray:
    tt = _t(m)
    body = _decay_partials(rng, m, rng.uniform(*f, 3), rng.uniform(0.02, 0.08, 3))
    hit = _lowpass(rng.standard_normal(m), 1200) * np.exp(-tt / 0.008)
    return body + 0.7 * hit


def cupboard_open_or_close(rng: Rng, n: int) -> np.ndarray:
    """Cupboard: a hinge creak then a low wooden thud (closing) or a latch click (opening)."""
    out = np.zeros(n)
    creak_len = int(n * rng.uniform(0.4, 0.75))
    _place(out, _creak(rng, creak_len), int(rng.uniform(0, 0.05) * SR), rng.uniform(0.6, 1.2))
    at = min(creak_len, n - int(0.25 * SR))
    if rng.random() < 0.6:
        _place(out, _thud(rng, int(0.3 * SR), (60, 180)), max(at, 0), 1.0)
    else:
        m = int(0.05 * SR)
        _place(out, _bandpass(rng.standard_normal(m), 1000, 5000) * np.exp(-_t(m) / 0.006), max(at, 0))
    return out


def drawer_open_or_close(rng: Rng, n: int) -> np.ndarray:
    """Drawer: a sliding friction noise (rumble with wheel AM) ending in a lighter thud and rattle."""
    out = np.zeros(n)
    slide_len = int(n * rng.uniform(0.5, 0.85))
    t = _t(slide_len)
    lo, hi = rng.uniform(150, 400), rng.uniform(1200, 3000)
    slide = _bandpass(rng.standard_normal(slide_len), lo, hi)
    am = 1 + 0.6 * np.sin(2 * np.pi * rng.uniform(8, 25) * t) ** 2
    env = np.sin(np.pi * np.linspace(0, 1, slide_len)) ** rng.uniform(0.5, 1.5)
    _place(out, slide * am * env, 0, 0.6)
    _place(out, _thud(rng, int(0.25 * SR), (100, 260)), max(slide_len - int(0.02 * SR), 0), 1.0)
    for _ in range(rng.integers(2, 6)):
        m = int(0.02 * SR)
        click = _bandpass(rng.standard_normal(m), 2000, 7000) * np.exp(-_t(m) / 0.003)
        _place(out, click, slide_len + int(rng.uniform(0, 0.15) * SR), rng.uniform(0.1, 0.4))
    return out


def _speech(rng: Rng, n: int, f0_mean: float, formant_scale: float) -> np.ndarray:
    """Vowel-like syllables (harmonic source through formants) at a syllabic rate, with fricatives."""
    out = np.zeros(n)
    t = rng.uniform(0, 0.05)
    rate = rng.uniform(3, 6)
    speaker = formant_scale * rng.uniform(0.92, 1.08)
    f0_base = f0_mean * rng.uniform(0.85, 1.15)
    while t < n / SR - 0.1:
        syl = min(rng.uniform(0.6, 1.2) / rate, n / SR - t)
        m = int(syl * SR)
        if m < 200:
            break
        tt = _t(m)
        contour = f0_base * (1 + rng.uniform(-0.15, 0.15) * tt / syl + 0.03 * np.sin(2 * np.pi * 5 * tt))
        src = _glottal(rng, m, contour, breath=0.05)
        vowel = _VOWELS[rng.integers(len(_VOWELS))]
        voiced = _vowel_filter(src, vowel, speaker)
        env = np.sin(np.pi * np.linspace(0, 1, m)) ** 0.7
        seg = voiced * env
        if rng.random() < 0.35:  # a consonant: short fricative burst before the vowel
            k = int(rng.uniform(0.04, 0.1) * SR)
            fric = _bandpass(rng.standard_normal(k), rng.uniform(2500, 4500), 9000) * np.hanning(k) * 0.3
            _place(out, fric, int(t * SR))
            t += k / SR
        _place(out, seg / (np.abs(seg).max() + 1e-9), int(t * SR), rng.uniform(0.5, 1.0))
        t += syl + rng.uniform(0.02, 0.12)
        if rng.random() < 0.12:
            t += rng.uniform(0.15, 0.4)
    return out


def female_speech(rng: Rng, n: int) -> np.ndarray:
    """Female voice: f0 around 210 Hz, formants scaled by ~1.17."""
    return _speech(rng, n, 210.0, 1.17)


def male_speech(rng: Rng, n: int) -> np.ndarray:
    """Male voice: f0 around 115 Hz, reference formants."""
    return _speech(rng, n, 115.0, 1.0)


def finger_snapping(rng: Rng, n: int) -> np.ndarray:
    """1-5 snaps: a very sharp broadband transient with a short 1.5-3 kHz ring."""
    out = np.zeros(n)
    count = int(np.clip(round(n / SR / rng.uniform(0.3, 0.6)), 1, 5))
    ring_f = rng.uniform(1500, 3000)
    for at in _onsets(rng, n, count):
        m = int(0.06 * SR)
        tt = _t(m)
        crack = _highpass(rng.standard_normal(m), 1200) * np.exp(-tt / rng.uniform(0.0015, 0.004))
        ring = np.sin(2 * np.pi * ring_f * tt) * np.exp(-tt / 0.015) * 0.3
        _place(out, crack + ring, at, rng.uniform(0.7, 1.0))
    return out


def keys_jangling(rng: Rng, n: int) -> np.ndarray:
    """Shaken keys: dense bursts of tiny metallic hits (inharmonic partials at 3-12 kHz)."""
    out = np.zeros(n)
    shakes = int(np.clip(round(n / SR / rng.uniform(0.4, 0.9)), 1, 6))
    density = rng.uniform(25, 70)
    for at in _onsets(rng, n, shakes):
        burst = rng.uniform(0.2, 0.5)
        hits = rng.poisson(density * burst) + 3
        for h in rng.uniform(0, burst, hits):
            m = int(0.12 * SR)
            freqs = rng.uniform(3000, 12000, rng.integers(3, 6))
            g = _decay_partials(rng, m, freqs, rng.uniform(0.01, 0.08, len(freqs)))
            _place(out, g, at + int(h * SR), rng.uniform(0.1, 0.5) * np.sin(np.pi * h / burst))
    return out


def knock(rng: Rng, n: int) -> np.ndarray:
    """2-6 knocks on wood: damped low resonances (door modes) with a dull click."""
    out = np.zeros(n)
    count = int(np.clip(round(n / SR / 0.22), 2, 6))
    modes = rng.uniform(80, 320, 3)
    for at in _onsets(rng, n, count, margin=0.1):
        m = int(0.15 * SR)
        tt = _t(m)
        body = _decay_partials(rng, m, modes * rng.uniform(0.98, 1.02, 3), rng.uniform(0.015, 0.05, 3))
        click = _lowpass(rng.standard_normal(m), 2500) * np.exp(-tt / 0.004)
        _place(out, body + 0.5 * click, at, rng.uniform(0.6, 1.0))
    return out


def laughter(rng: Rng, n: int) -> np.ndarray:
    """Laughter: breathy voiced 'ha' bursts at 4-6 Hz with falling pitch and level."""
    out = np.zeros(n)
    rate = rng.uniform(4, 6)
    f0 = rng.uniform(180, 380)
    scale = rng.uniform(1.0, 1.2)
    t = rng.uniform(0, 0.04)
    k = 0
    while t < n / SR - 0.1:
        m = int(rng.uniform(0.09, 0.15) * SR)
        contour = f0 * (1 - 0.015 * k) * (1 - 0.1 * np.linspace(0, 1, m))
        src = _glottal(rng, m, contour, breath=rng.uniform(0.3, 0.8))
        seg = _vowel_filter(src, _VOWELS[0], scale) * np.hanning(m)
        _place(out, seg / (np.abs(seg).max() + 1e-9), int(t * SR), max(0.3, 1 - 0.05 * k))
        t += 1 / rate * rng.uniform(0.85, 1.15)
        k += 1
        if rng.random() < 0.1:
            t += rng.uniform(0.2, 0.4)  # an inhalation pause
            k = 0
    return out


def printer(rng: Rng, n: int) -> np.ndarray:
    """Printer: motor hum (harmonics of 50-120 Hz), a periodic mechanical buzz and a stepper whine."""
    t = _t(n)
    hum_f = rng.uniform(50, 120)
    hum = sum(np.sin(2 * np.pi * hum_f * h * t + rng.uniform(0, 6)) / h for h in range(1, 6))
    rate = rng.uniform(6, 20)
    gate = (np.sin(2 * np.pi * rate * t) > rng.uniform(-0.2, 0.5)).astype(float)
    gate = _lowpass(gate, 200)
    buzz = _bandpass(rng.standard_normal(n), rng.uniform(400, 900), rng.uniform(2500, 5000)) * gate
    whine_f = rng.uniform(600, 1600)
    whine = np.sin(2 * np.pi * whine_f * t) * (0.5 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t))
    env = np.minimum(1, np.minimum(t / 0.1, (n / SR - t) / 0.1))
    return (0.4 * hum + buzz + 0.15 * whine) * env


def scissors(rng: Rng, n: int) -> np.ndarray:
    """Scissors: paired snips (open scrape then close snip), repeated."""
    out = np.zeros(n)
    count = int(np.clip(round(n / SR / rng.uniform(0.35, 0.6)), 1, 6))
    band = (rng.uniform(1500, 3000), rng.uniform(6000, 11000))
    for at in _onsets(rng, n, count, margin=0.2):
        for k, gap in enumerate((0.0, rng.uniform(0.08, 0.16))):
            m = int(rng.uniform(0.03, 0.06) * SR)
            tt = _t(m)
            scrape = _bandpass(rng.standard_normal(m), *band) * np.exp(-tt / (0.01 + 0.01 * k))
            ring = np.sin(2 * np.pi * rng.uniform(3000, 6000) * tt) * np.exp(-tt / 0.01) * 0.3
            _place(out, scrape + ring, at + int(gap * SR), 0.6 + 0.4 * k)
    return out


def telephone(rng: Rng, n: int) -> np.ndarray:
    """Telephone ring: bursts of two tones (alternating trill or dual tone) with on/off cadence."""
    t = _t(n)
    f1 = rng.uniform(400, 1200)
    f2 = f1 * rng.uniform(1.15, 1.6)
    if rng.random() < 0.5:
        trill = (np.sin(2 * np.pi * rng.uniform(15, 25) * t) > 0).astype(float)
        tone = np.where(trill > 0, np.sin(2 * np.pi * f1 * t), np.sin(2 * np.pi * f2 * t))
    else:
        tone = np.sin(2 * np.pi * f1 * t) + np.sin(2 * np.pi * f2 * t)
    tone = np.tanh(rng.uniform(1, 4) * tone)  # a buzzy, square-ish timbre
    on, off = rng.uniform(0.3, 1.0), rng.uniform(0.15, 0.5)
    double = rng.random() < 0.4
    period = 2 * on + off if double else on + off
    ph = t % period
    gate = (ph < on) if not double else ((ph < on * 0.45) | ((ph > on * 0.55) & (ph < on)))
    gate = _lowpass(gate.astype(float), 150)
    return tone * gate


def writing(rng: Rng, n: int) -> np.ndarray:
    """Pen writing: band-passed scratchy noise strokes with random AM and short gaps."""
    out = np.zeros(n)
    lo, hi = rng.uniform(800, 2000), rng.uniform(4000, 8000)
    t = rng.uniform(0, 0.04)
    while t < n / SR - 0.08:
        m = int(min(rng.uniform(0.08, 0.35), n / SR - t) * SR)
        if m < 100:
            break
        tt = _t(m)
        scratch = _bandpass(rng.standard_normal(m), lo, hi)
        grain = 1 + 0.8 * np.sign(np.sin(2 * np.pi * rng.uniform(20, 60) * tt)) * rng.uniform(0.2, 0.8)
        _place(out, scratch * grain * np.hanning(m), int(t * SR), rng.uniform(0.4, 1.0))
        t += m / SR + rng.uniform(0.02, 0.15)
    return out


GENERATORS: dict[str, Callable[[Rng, int], np.ndarray]] = {
    "Chink_and_clink": chink_and_clink,
    "Computer_keyboard": computer_keyboard,
    "Cupboard_open_or_close": cupboard_open_or_close,
    "Drawer_open_or_close": drawer_open_or_close,
    "Female_speech_and_woman_speaking": female_speech,
    "Finger_snapping": finger_snapping,
    "Keys_jangling": keys_jangling,
    "Knock": knock,
    "Laughter": laughter,
    "Male_speech_and_man_speaking": male_speech,
    "Printer": printer,
    "Scissors": scissors,
    "Telephone": telephone,
    "Writing": writing,
}
assert tuple(GENERATORS) == CLASSES


def _finish(x: np.ndarray) -> np.ndarray:
    """Short fades and unit RMS over the active part (event levels are set by the scene).

    The RMS is taken where the 20 ms energy envelope is within 30 dB of its maximum, so that sparse
    impulsive classes (snaps, knocks) are not boosted far above continuous ones.
    """
    x = np.asarray(x, dtype=np.float64)
    f = min(len(x) // 4, int(0.005 * SR))
    if f > 0:
        ramp = np.linspace(0.0, 1.0, f)
        x[:f] *= ramp
        x[-f:] *= ramp[::-1]
    w = max(1, int(0.02 * SR))
    c = np.concatenate([[0.0], np.cumsum(x**2)])
    env = (c[np.minimum(np.arange(len(x)) + w, len(x))] - c[np.arange(len(x))]) / w
    active = env > 1e-3 * env.max() if env.max() > 0 else np.ones(len(x), bool)
    rms = np.sqrt(np.mean(x[active] ** 2)) if active.any() else 0.0
    return (x / rms if rms > 1e-9 else x).astype(np.float32)


class ProceduralBank:
    """The built-in procedural sounds."""

    description = "procedural"

    def render(self, cls: str, n: int, rng: Rng) -> np.ndarray:
        return _finish(GENERATORS[cls](rng, n))


_AUDIO_EXT = (".wav", ".flac")


def list_bank(root: str | Path) -> dict[str, list[Path]]:
    """Files of a recording bank per class; a clear error if a class folder is missing or empty."""
    import soundfile as sf

    root = Path(root).expanduser()
    if not root.is_dir():
        raise DataError("sound bank folder not found", root)
    files: dict[str, list[Path]] = {}
    for cls in CLASSES:
        folder = root / cls
        if not folder.is_dir():
            raise DataError(f"sound bank has no folder for class {cls}", folder)
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in _AUDIO_EXT and p.is_file())
        if not found:
            raise DataError(f"sound bank folder for class {cls} has no .wav files", folder)
        for p in found:
            try:
                info = sf.info(str(p))
            except Exception as exc:  # soundfile raises several types for unreadable files
                raise DataError(f"cannot read audio ({exc})", p) from None
            if info.frames == 0:
                raise DataError("audio file is empty", p)
        files[cls] = found
    return files


class RecordingBank:
    """Real recordings ``DIR/<class>/*.wav``: resampled to 32 kHz, a random excerpt or a loop."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        self.files = list_bank(self.root)
        self.description = str(self.root)
        self._cache: dict[Path, np.ndarray] = {}

    def _load(self, path: Path) -> np.ndarray:
        if path not in self._cache:
            import soundfile as sf

            x, sr = sf.read(str(path), dtype="float64", always_2d=True)
            x = x.mean(axis=1)
            if sr != SR:
                g = np.gcd(int(sr), SR)
                x = signal.resample_poly(x, SR // g, int(sr) // g)
            if np.sqrt(np.mean(x**2)) < 1e-7:
                raise DataError("audio file is silent", path)
            self._cache[path] = x
        return self._cache[path]

    def render(self, cls: str, n: int, rng: Rng) -> np.ndarray:
        choices = self.files[cls]
        x = self._load(choices[int(rng.integers(len(choices)))])
        if len(x) >= n:
            start = int(rng.integers(0, len(x) - n + 1))
            return _finish(x[start : start + n].copy())
        reps = int(np.ceil(n / len(x))) + 1
        return _finish(np.tile(x, reps)[int(rng.integers(0, len(x))) :][:n].copy())
