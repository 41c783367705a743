#!/usr/bin/env bash
# GPU benchmarks of issue 5 on one H100/H200 through the device tool; about 8 minutes in all.
#
# The device image has torch (CUDA), lightning, scipy, numpy, pyyaml, matplotlib, tqdm, tensorboard,
# onnx and onnxruntime, but not these; download them HERE once, in the repository root (no network there):
#
#   echo /.whl/ >> .git/info/exclude
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
#     --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl \
#     librosa==0.11.0 audioread==3.1.0 decorator==5.2.1 pooch==1.9.0 platformdirs==4.14.8 soxr==1.1.0 \
#     soundfile==0.14.0 cffi==2.0.0 pycparser==3.0 pytorch-optimizer==4.1.0
#
# and run it with the device tool: command `bash benchmarks/gpu.sh`, carry [".whl"], timeout_s 560.
# It synthesises its own data there, runs `python -m seld.bench --gpu` (features + training rows; eager
# first, then the torch.compile variants, each under its own timeout so that a slow compile cannot eat
# the rest), then a short real `seld train` of the paper model, and writes everything to $OUT:
#   $OUT/bench/bench.{json,md}, $OUT/bench_compile/bench.{json,md}, $OUT/gpu_log.txt, $OUT/train_log.txt
set -u
OUT="${OUT:-gpu_out}"
LOG_NAME=gpu_log.txt
# shellcheck source=benchmarks/device_env.sh
source "$(dirname "$0")/device_env.sh"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv 2>&1 | tee -a "$LOG"
python3 -c "import torch, seld.features; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" 2>&1 \
  | tee -a "$LOG"

say "benchmarks, eager variants (features on GPU, training steps, FLOPs, MFU, epoch estimate)"
timeout 170 python3 -m seld.bench --gpu --only features,training --no-compile --repeats 3 --out "$OUT/bench" \
  2>&1 | grep -v Warning | tee -a "$LOG"

say "benchmarks, torch.compile variants"
timeout 190 python3 -m seld.bench --gpu --only training --compiled-only --repeats 3 --out "$OUT/bench_compile" \
  2>&1 | grep -v Warning | tee -a "$LOG"

say "short real training run (seld synth tiny + seld train paper, bf16, 2 epochs)"
DATA=/tmp/seld_tiny
timeout 40 python3 -m seld synth "$DATA" --preset tiny --seed 0 >>"$OUT/train_log.txt" 2>&1 || say "synth failed/timed out"
timeout 80 python3 -m seld train --config paper --data "$DATA" --out /tmp/seld_run --epochs 2 --no-progress \
  --set train.precision=bf16-mixed train.log_every_n_steps=1 >>"$OUT/train_log.txt" 2>&1 \
  && say "train ok" || say "train failed/timed out (see train_log.txt)"
tail -n 5 "$OUT/train_log.txt" | tee -a "$LOG"
say "done"
