"""seld: 3D sound event localization and detection for first-order Ambisonics (L3DAS22 Task 2)."""

__version__ = "0.1.0"
