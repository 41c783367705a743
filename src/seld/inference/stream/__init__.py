"""Streaming SELD: audio in 100 ms blocks, one localised and detected label frame out per block.

    from seld.inference.stream import StreamOptions, open_stream
    engine, cfg = open_stream(["run/checkpoints/best.ckpt"], StreamOptions(context=5.0, lookahead=2))
    for chunk in audio_chunks:                 # float32 (4, n) at 32 kHz, ACN/SN3D, any n
        for frame in engine.push(chunk):       # Frame(index, posteriors, rows (K, 5): frame, class, x, y, z)
            ...
    last = engine.finish()                     # the frames still in the look-ahead

* :mod:`.stages`: a CrossStitchSELD split into front end (+ the first block's local convolutions), CNN
  and temporal stages; :mod:`.streamers`: the block-by-block driver with its caches (numpy), run by
  torch or by ONNX Runtime (:mod:`.onnx`, also the standalone export);
* :mod:`.engine`: blocks, ensembles, track alignment between frames, decoding, timing;
* :mod:`.sources`: wav files and raw PCM in blocks (bounded memory, streaming resampler);
  :mod:`.blockwise`: ``seld predict``'s windowed offline inference over blocks; :mod:`.output`: JSON
  lines and onset/offset events.

Design, latency and what differs from offline inference: docs/design.md ("Streaming"); measurements:
docs/performance.md.
"""

from .engine import BACKENDS, Frame, StreamEngine, StreamOptions, make_streamer, open_stream, row_confidences
from .output import EventLinker, frame_record
from .stages import Geometry, check_streamable
from .streamers import BlockStreamer, TorchStages, WindowStreamer

__all__ = [
    "BACKENDS",
    "BlockStreamer",
    "EventLinker",
    "Frame",
    "Geometry",
    "StreamEngine",
    "StreamOptions",
    "TorchStages",
    "WindowStreamer",
    "check_streamable",
    "frame_record",
    "make_streamer",
    "open_stream",
    "row_confidences",
]
