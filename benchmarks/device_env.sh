# Shared set-up of the device scripts (gpu.sh, gpu_pipeline.sh); source it with LOG_NAME set.
# Makes $OUT, puts src/ (the seld package, seld.bench included) and the carried wheels (.whl/, installed
# into /tmp/site) on PYTHONPATH, and defines say(), which prints a line with the seconds since start
# and appends it to $OUT/$LOG_NAME.
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" MPLBACKEND=Agg
LOG="$OUT/$LOG_NAME"
T0=$(date +%s)
SCRIPT_NAME="$(basename "$0")"
say() { echo "[$SCRIPT_NAME +$(( $(date +%s) - T0 ))s] $*" | tee -a "$LOG"; }

if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH="$PYTHONPATH:/tmp/site" || say "wheel install failed"
else
  say "no .whl/ carried: librosa etc. must already be installed"
fi
