"""Procedural sounds of the 13 DCASE SELD classes (STARSS23 / DCASE 2023-2024 Task 3).

Classes whose sound is alike reuse the L3DAS22 generators of :mod:`.sources` (speech, telephone, laughter,
knock); the others have small generators here, built from the same primitives: clapping, domestic sounds
(appliance motors, dish clatter, frying), footsteps, door, music, musical instrument, water tap and bell.
Each draws its timbre, pitch and rhythm from the random generator, so that no class is one fixed sound.
Sounds are made at 32 kHz (``sources.SR``), like the L3DAS22 ones.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal

from ...constants import DCASE_CLASSES
from . import sources
from .sources import SR, _bandpass, _creak, _decay_partials, _highpass, _lowpass, _onsets, _place, _resonator, _t

Rng = np.random.Generator

# Event duration range (s) per class (label duration drawn by the scene scheduler).
DCASE_DURATIONS: dict[str, tuple[float, float]] = {
    "Female speech, woman speaking": (1.0, 5.0),
    "Male speech, man speaking": (1.0, 5.0),
    "Clapping": (1.0, 4.0),
    "Telephone": (1.5, 5.0),
    "Laughter": (1.0, 3.0),
    "Domestic sounds": (1.5, 6.0),
    "Walk, footsteps": (2.0, 6.0),
    "Door, open or close": (0.8, 2.5),
    "Music": (3.0, 8.0),
    "Musical instrument": (2.0, 6.0),
    "Water tap, faucet": (2.0, 6.0),
    "Bell": (1.0, 4.0),
    "Knock": (0.5, 1.5),
}


def clapping(rng: Rng, n: int) -> np.ndarray:
    """1-3 people clapping: trains of resonant noise bursts at 2.5-5.5 Hz, each clapper with its own hand
    resonance and rhythm (several together sound like applause)."""
    out = np.zeros(n)
    for _ in range(int(rng.integers(1, 4))):
        rate = rng.uniform(2.5, 5.5)
        res_f, res_bw = rng.uniform(900, 2500), rng.uniform(300, 900)
        decay = rng.uniform(0.004, 0.012)
        t = rng.uniform(0, 0.15)
        m = int(0.05 * SR)
        env = np.exp(-_t(m) / decay)
        while t < n / SR - 0.03:
            noise = rng.standard_normal(m)
            burst = _resonator(noise, res_f * rng.uniform(0.92, 1.08), res_bw) + 0.05 * _highpass(noise, 2500)
            _place(out, burst * env, int(t * SR), rng.uniform(0.6, 1.0))
            t += rng.uniform(0.9, 1.1) / rate
    return out


def _appliance(rng: Rng, n: int) -> np.ndarray:
    """A motor (vacuum cleaner, blender, hair dryer): a whine with harmonics over strong band noise."""
    t = _t(n)
    f0 = rng.uniform(90, 350) * (1 + 0.01 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    whine = sum(np.sin(k * phase + rng.uniform(0, 6)) / k for k in range(1, 8))
    noise = _bandpass(rng.standard_normal(n), rng.uniform(150, 600), rng.uniform(3000, 9000))
    ramp = min(0.3, n / SR / 4)
    env = np.minimum(1.0, np.minimum(t / ramp, (n / SR - t) / ramp))
    return (0.3 * whine + noise) * env


def _dishes(rng: Rng, n: int) -> np.ndarray:
    """Dishes and cutlery: clinks (glass/metal partials) and dull ceramic knocks at random times."""
    out = np.zeros(n)
    for at in rng.uniform(0, max(n / SR - 0.2, 0.05), int(rng.integers(3, 9))):
        m = int(0.3 * SR)
        if rng.random() < 0.6:
            grain = _decay_partials(rng, m, rng.uniform(1500, 7000, 5), rng.uniform(0.02, 0.15, 5))
        else:
            grain = _decay_partials(rng, m, rng.uniform(300, 1200, 3), rng.uniform(0.01, 0.04, 3))
        _place(out, grain, int(at * SR), rng.uniform(0.3, 1.0))
    return out


def _frying(rng: Rng, n: int) -> np.ndarray:
    """Frying or boiling: dense crackles (sparse high-passed impulses) over a low hiss."""
    crackle = (rng.random(n) < rng.uniform(0.005, 0.02)) * rng.uniform(-1.0, 1.0, n)
    crackle = _highpass(crackle, rng.uniform(1500, 3000))
    hiss = 0.03 * _bandpass(rng.standard_normal(n), 2000, 10000)
    return crackle + hiss


def domestic_sounds(rng: Rng, n: int) -> np.ndarray:
    """Domestic sounds: an appliance motor, dish clatter or frying (one of them per event)."""
    return (_appliance, _dishes, _frying)[int(rng.integers(3))](rng, n)


def footsteps(rng: Rng, n: int) -> np.ndarray:
    """Walking: steps at 1.4-2.4 Hz, each a low heel thud then a toe scuff; hard shoes add a click."""
    out = np.zeros(n)
    rate = rng.uniform(1.4, 2.4)
    hard = rng.random() < 0.5
    modes = rng.uniform(50, 180, 3)
    scuff_band = (rng.uniform(300, 800), rng.uniform(2000, 5000))
    t = rng.uniform(0, 0.1)
    m = int(0.2 * SR)
    tt = _t(m)
    while t < n / SR - 0.1:
        heel = _decay_partials(rng, m, modes * rng.uniform(0.95, 1.05, 3), rng.uniform(0.01, 0.03, 3))
        heel += 0.5 * _lowpass(rng.standard_normal(m), 1500) * np.exp(-tt / 0.006)
        if hard:
            heel += 0.6 * _bandpass(rng.standard_normal(m), 2000, 7000) * np.exp(-tt / 0.003)
        scuff = _bandpass(rng.standard_normal(m), *scuff_band) * np.hanning(m) * 0.2
        at = int(t * SR)
        _place(out, heel, at, rng.uniform(0.6, 1.0))
        _place(out, scuff, at + int(rng.uniform(0.05, 0.1) * SR))
        t += rng.uniform(0.92, 1.08) / rate
    return out


def door(rng: Rng, n: int) -> np.ndarray:
    """A door: a handle/latch click, a long low creak (sometimes) and a heavy low slam or a softer close."""
    out = np.zeros(n)
    m = int(0.05 * SR)
    latch = _decay_partials(rng, m, rng.uniform(2000, 5000, 4), rng.uniform(0.005, 0.02, 4))
    _place(out, latch, int(rng.uniform(0, 0.05) * SR), 0.6)
    end = n
    if rng.random() < 0.6:
        creak_len = int(n * rng.uniform(0.3, 0.7))
        creak = _creak(rng, creak_len)
        _place(out, _lowpass(creak, 1500), int(0.08 * SR), rng.uniform(0.4, 0.9))
        end = int(0.08 * SR) + creak_len
    slam_at = max(0, min(end, n - int(0.4 * SR)))
    m = int(0.5 * SR)
    tt = _t(m)
    slam = _decay_partials(rng, m, rng.uniform(40, 140, 4), rng.uniform(0.04, 0.15, 4))
    slam += _lowpass(rng.standard_normal(m), 800) * np.exp(-tt / 0.015)
    rattle = _decay_partials(rng, m, rng.uniform(1500, 4000, 3), rng.uniform(0.01, 0.05, 3))
    _place(out, slam + 0.3 * rattle, slam_at, rng.uniform(0.5, 1.2))
    return out


_SCALE = np.array([0, 2, 4, 7, 9, 12, 14, 16, 19, 21])  # major pentatonic, semitones


def _note_tone(rng: Rng, m: int, f: float, kind: str) -> np.ndarray:
    """One note of ``m`` samples: ``pluck`` (Karplus-Strong string), ``mallet`` (marimba partials 1, 4, 10)
    or ``bowed`` (sustained harmonics with vibrato)."""
    tt = _t(m)
    if kind == "pluck":
        delay = max(2, int(round(SR / f)))
        excite = np.zeros(m)
        excite[:delay] = rng.uniform(-1, 1, delay)
        a = np.zeros(delay + 2)
        a[0], a[delay], a[delay + 1] = 1.0, -0.498, -0.498
        return signal.lfilter([1.0], a, excite)
    if kind == "mallet":
        return _decay_partials(rng, m, f * np.array([1.0, 3.93, 9.95]), np.array([0.4, 0.08, 0.02]))
    vib = 1 + 0.006 * np.sin(2 * np.pi * 5.5 * tt)
    phase = 2 * np.pi * f * np.cumsum(vib) / SR
    tone = sum(np.sin(k * phase) / k**1.3 for k in range(1, 9))
    att = min(int(0.06 * SR), m // 3)
    env = np.ones(m)
    env[:att] = np.linspace(0, 1, att)
    env[-att:] = np.linspace(1, 0, att)
    return tone * env


def musical_instrument(rng: Rng, n: int) -> np.ndarray:
    """One instrument playing a melody: a plucked string, a mallet instrument or a bowed/wind sustained tone,
    on a pentatonic scale from a random key."""
    kind = ("pluck", "mallet", "bowed")[int(rng.integers(3))]
    root = rng.uniform(150, 500)
    out = np.zeros(n)
    t = rng.uniform(0, 0.05)
    while t < n / SR - 0.1:
        length = rng.choice([0.2, 0.3, 0.4, 0.6]) * (1.5 if kind == "bowed" else 1.0)
        m = int(min(length, n / SR - t) * SR)
        if m < 400:
            break
        f = root * 2 ** (_SCALE[int(rng.integers(len(_SCALE)))] / 12)
        note = _note_tone(rng, int(length * SR * (2.0 if kind != "bowed" else 1.0)), f, kind)
        _place(out, note / (np.abs(note).max() + 1e-9), int(t * SR), rng.uniform(0.6, 1.0))
        t += length
    return out


def music(rng: Rng, n: int) -> np.ndarray:
    """Music from a loudspeaker: a chord progression (sawtooth-like pads), a bass line, a kick drum on the
    beats and hi-hats on the off-beats, at 80-140 beats per minute."""
    beat = 60.0 / rng.uniform(80, 140)
    root = rng.uniform(110, 220)
    out = np.zeros(n)
    progression = rng.choice([0, 5, 7, 9, 2, 4], size=4)
    m_beat = int(beat * SR)
    tt = _t(m_beat)
    kick_phase = 2 * np.pi * np.cumsum(50 + 70 * np.exp(-tt / 0.03)) / SR
    kick = np.sin(kick_phase) * np.exp(-tt / 0.12)
    bright = rng.uniform(1500, 4000)
    for k in range(int(np.ceil(n / m_beat))):
        at = k * m_beat
        chord_root = root * 2 ** (progression[(k // 4) % 4] / 12)
        pad = np.zeros(m_beat)
        for interval in (0, 4, 7, 12):
            f = chord_root * 2 ** (interval / 12)
            pad += sum(np.sin(2 * np.pi * f * h * tt) / h for h in range(1, 6))
        pad = _lowpass(pad, bright) * np.minimum(1, tt / 0.02) * np.exp(-tt / (2 * beat))
        bass = np.sin(2 * np.pi * chord_root / 2 * tt) * np.exp(-tt / beat)
        _place(out, 0.15 * pad + 0.5 * bass + 0.8 * kick, at)
        hat_len = int(0.05 * SR)
        hat = _highpass(rng.standard_normal(hat_len), 6000) * np.exp(-_t(hat_len) / 0.01)
        _place(out, 0.3 * hat, at + m_beat // 2)
    return out


def water_tap(rng: Rng, n: int) -> np.ndarray:
    """Running water: a band-noise stream with slow turbulence plus many small bubbles (short chirps rising in
    pitch, 600-4000 Hz, 60-200 per second)."""
    t = _t(n)
    stream = _bandpass(rng.standard_normal(n), rng.uniform(300, 800), rng.uniform(4000, 10000))
    turb = _lowpass(rng.standard_normal(n), 6.0)
    stream *= 1 + 0.5 * turb / (np.abs(turb).max() + 1e-9)
    out = 0.4 * stream
    count = rng.poisson(rng.uniform(60, 200) * n / SR)
    f_lo, f_hi = rng.uniform(600, 1200), rng.uniform(2000, 4000)
    for at, f in zip(rng.integers(0, max(n - 10, 1), count), rng.uniform(f_lo, f_hi, count)):
        m = int(rng.uniform(0.004, 0.02) * SR)
        tb = _t(m)
        chirp = np.sin(2 * np.pi * f * (tb + 0.5 * rng.uniform(5, 40) * tb**2)) * np.exp(-tb / (m / SR / 3))
        _place(out, chirp, int(at), rng.uniform(0.2, 1.0))
    ramp = min(0.1, n / SR / 4)
    return out * np.minimum(1.0, np.minimum(t / ramp, (n / SR - t) / ramp))


_BELL_RATIOS = np.array([0.5, 1.0, 1.19, 1.5, 2.0, 2.51, 2.66, 3.01, 4.1])  # a tuned bell's partials


def bell(rng: Rng, n: int) -> np.ndarray:
    """A bell: 1-3 strikes of a bell with inharmonic, long-ringing partials, a two-tone door chime, or a
    bicycle-bell trill."""
    out = np.zeros(n)
    kind = int(rng.integers(3))
    f0 = rng.uniform(400, 1500)
    if kind == 0:
        freqs = f0 * _BELL_RATIOS * rng.uniform(0.98, 1.02, len(_BELL_RATIOS))
        freqs = freqs[freqs < 0.45 * SR]
        decays = rng.uniform(0.6, 2.0) / (1 + np.arange(len(freqs)) * 0.4)
        for at in _onsets(rng, n, int(rng.integers(1, 4))):
            _place(out, _decay_partials(rng, n - at, freqs, decays), at, rng.uniform(0.6, 1.0))
    elif kind == 1:
        for k, at in enumerate(_onsets(rng, n, 2)):
            f = f0 * (1.0 if k == 0 else 2 ** (-4 / 12))
            _place(out, _decay_partials(rng, n - at, f * np.array([1.0, 2.0, 3.0]), np.array([0.8, 0.4, 0.2])), at)
    else:
        freqs = f0 * np.array([1.0, 1.48, 2.1, 2.9])
        m = int(0.5 * SR)
        t = rng.uniform(0, 0.05)
        while t < n / SR - 0.1:
            _place(out, _decay_partials(rng, m, freqs, np.array([0.3, 0.2, 0.1, 0.05])), int(t * SR), 0.8)
            t += rng.uniform(0.05, 0.09) if rng.random() < 0.85 else rng.uniform(0.3, 0.6)
    return out


DCASE_GENERATORS: dict[str, Callable[[Rng, int], np.ndarray]] = {
    "Female speech, woman speaking": sources.female_speech,
    "Male speech, man speaking": sources.male_speech,
    "Clapping": clapping,
    "Telephone": sources.telephone,
    "Laughter": sources.laughter,
    "Domestic sounds": domestic_sounds,
    "Walk, footsteps": footsteps,
    "Door, open or close": door,
    "Music": music,
    "Musical instrument": musical_instrument,
    "Water tap, faucet": water_tap,
    "Bell": bell,
    "Knock": sources.knock,
}
assert tuple(DCASE_GENERATORS) == DCASE_CLASSES == tuple(DCASE_DURATIONS)


class DcaseProceduralBank:
    """The procedural sounds of the DCASE classes, addressed by class index (0..12), at 32 kHz."""

    description = "procedural"

    def render(self, cls: int, n: int, rng: Rng) -> np.ndarray:
        return sources._finish(DCASE_GENERATORS[DCASE_CLASSES[cls]](rng, n))
