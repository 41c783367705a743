"""Synthetic L3DAS22 Task 2 data: procedural sounds, FOA room impulse responses, event scenes.

Entry point: :func:`seld.data.synth.generator.synthesize` (CLI ``seld synth``).
"""
