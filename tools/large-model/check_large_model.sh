#!/usr/bin/env bash
# Checks Brink end to end on a model over protobuf's 2 GB limit (issue 3, item 1), by hand: it
# writes 2.2 GB and needs about 7 GB of memory, so it is not part of `npm test`.
#
#   bash tools/large-model/check_large_model.sh [WORKDIR]     (default: a new folder in /tmp)
#
# 1. make_large_model.py writes the model (weights in external data, 2.07 GiB) and numpy's
#    float64 gradient for two images;
# 2. `brink grad` on the file must match it within 1e-4 (max-abs difference over max-abs reference);
# 3. the model goes into a project (its external data stored in chunks), a forward-margin audit
#    and an attack audit (FMN and DeepFool, l2, 10 iterations, 4 samples) run on it through the
#    worker, which writes the stored data back to a private folder; both runs must end done.
set -euo pipefail
cd "$(dirname "$0")/../.."
work="${1:-$(mktemp -d /tmp/brink-large-XXXXXX)}"
export BRINK_HOME="$work/home"
brink() { npx tsx src-main/cli/brink.ts "$@"; }

/usr/bin/python3 tools/large-model/make_large_model.py --out "$work/model"

brink grad "$work/model/model.onnx" --input "$work/model/x.npy" --cotangent "$work/model/v.npy" --out "$work/g.npy" --device cpu
/usr/bin/python3 - "$work" <<'PY'
import sys
import numpy as np
work = sys.argv[1]
got, ref = np.load(f"{work}/g.npy"), np.load(f"{work}/model/grad.npy")
error = float(np.abs(got - ref).max() / np.abs(ref).max())
print(f"brink grad: relative error {error:.2e} against numpy float64")
sys.exit(0 if error <= 1e-4 else 1)
PY

project="$work/large.brink"
brink project create "$project"
model=$(brink model add "$project" "$work/model/model.onnx" --json | node -e 'process.stdin.on("data", (d) => console.log(JSON.parse(d).id))')
dataset=$(brink dataset add "$project" resources/samples/fmnist-test-1000-images-idx3-ubyte.gz --limit 20 --json | node -e 'process.stdin.on("data", (d) => console.log(JSON.parse(d).id))')
brink model list "$project"
brink audit "$project" --model "$model" --dataset "$dataset" --device cpu --batch 10
brink audit "$project" --model "$model" --dataset "$dataset" --device cpu --batch 4 --limit 4 --attack fmn,deepfool --norm l2 --iters 10
brink runs "$project"
if brink runs "$project" --json | node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => process.exit(JSON.parse(s).runs.every((r) => r.status === "done") ? 0 : 1))'; then
  echo "large model: every run done"
else
  echo "large model: a run did not finish" >&2
  exit 1
fi
