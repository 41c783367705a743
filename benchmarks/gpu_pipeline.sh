#!/usr/bin/env bash
# Issue 5's first target measured end to end: the paper model trained by `seld train` (data loading,
# feature statistics, device-resident clips, bf16 steps, validation with the official metric,
# checkpoints) on an L3DAS22-sized synthetic set, timed per epoch, with the 100-epoch estimate.
#
# For the device tool (one H100/H200; a separate call from benchmarks/gpu.sh, about 7 minutes):
#   command `bash benchmarks/gpu_pipeline.sh`, carry [".whl"] (see gpu.sh for the download), timeout_s 560.
# Locally, for a dry run of the script on the CPU: PRESET=tiny EPOCHS=2 bash benchmarks/gpu_pipeline.sh
# Writes $OUT/pipeline.json (per-epoch times, 100-epoch estimate), $OUT/pipeline_log.txt, $OUT/metrics.csv.
set -u
OUT="${OUT:-gpu_pipeline_out}"
PRESET="${PRESET:-l3das22}"   # 600 train + 150 dev clips of 30 s
EPOCHS="${EPOCHS:-3}"         # epoch 1 includes warm-up (cuDNN autotuning, allocator); later ones are steady
BATCH="${BATCH:-8}"           # the paper's batch size
CONFIG="${CONFIG:-paper}"
EXTRA_SET="${EXTRA_SET:-}"    # more --set overrides (the test uses a tiny model)
DATA="${DATA:-/tmp/seld_pipeline_data}"
RUN="${RUN:-/tmp/seld_pipeline_run}"
LOG_NAME=pipeline_log.txt
# shellcheck source=benchmarks/device_env.sh
source "$(dirname "$0")/device_env.sh"
if command -v nvidia-smi >/dev/null; then nvidia-smi --query-gpu=name,memory.total --format=csv | tee -a "$LOG"; fi

say "synthesising preset $PRESET into $DATA"
S0=$(date +%s)
timeout 220 python3 -m seld synth "$DATA" --preset "$PRESET" --seed 0 --subtype pcm16 --workers "$(nproc)" \
  --no-progress --overwrite >>"$LOG" 2>&1 || say "synth failed or timed out"
SYNTH_S=$(( $(date +%s) - S0 ))

say "training config $CONFIG for $EPOCHS epochs, batch $BATCH"
S0=$(date +%s)
rm -rf "$RUN"
set -f  # no globbing: overrides such as model.pools=[[2,2],...] pass through as written
# shellcheck disable=SC2086  # EXTRA_SET is a list of overrides
timeout 300 python3 -m seld train --config "$CONFIG" --data "$DATA" --out "$RUN" --no-progress \
  --set train.max_epochs="$EPOCHS" train.batch_size="$BATCH" train.patience=1000 $EXTRA_SET >>"$LOG" 2>&1 \
  || say "train failed or timed out (what was logged is summarised below)"
TRAIN_S=$(( $(date +%s) - S0 ))
set +f
cp "$RUN/logs/metrics.csv" "$OUT/metrics.csv" 2>/dev/null

python3 - "$RUN/logs/metrics.csv" "$OUT/pipeline.json" "$SYNTH_S" "$TRAIN_S" "$EPOCHS" "$BATCH" "$PRESET" "$CONFIG" \
  <<'PY' 2>&1 | tee -a "$LOG"
import csv, json, sys
path, out, synth_s, train_s, epochs, batch, preset, config = sys.argv[1:]
try:
    rows = list(csv.DictReader(open(path)))
except OSError:
    rows = []
per_epoch = {}
for r in rows:
    for k in ("time/train_epoch_s", "time/val_s", "time/train_audio_s_per_s", "val/f_score"):
        if r.get(k):
            per_epoch.setdefault(int(r["epoch"]), {})[k] = float(r[k])
steady = [e for e in sorted(per_epoch) if e > 0 and "time/train_epoch_s" in per_epoch[e] and "time/val_s" in per_epoch[e]]
summary = {"config": config, "preset": preset, "batch": int(batch), "epochs_requested": int(epochs), "synth_s": int(synth_s),
           "train_command_s": int(train_s), "per_epoch": per_epoch}
if steady:
    e = per_epoch[steady[-1]]
    epoch_s = e["time/train_epoch_s"] + e["time/val_s"]
    timed = sum(v.get("time/train_epoch_s", 0.0) + v.get("time/val_s", 0.0) for v in per_epoch.values())
    setup_s = max(0.0, float(train_s) - timed)  # start-up, loading the clips, feature statistics, checkpoints
    summary.update(steady_epoch_s=epoch_s, train_audio_s_per_s=e["time/train_audio_s_per_s"], setup_s=setup_s,
                   estimate_100_epochs_min=(100 * epoch_s + setup_s) / 60, target_min=15.0)
print(json.dumps(summary, indent=2))
json.dump(summary, open(out, "w"), indent=2)
PY
say "done"
