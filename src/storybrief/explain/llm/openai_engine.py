"""The ``openai`` engine: any OpenAI-compatible chat-completions server (llama.cpp's or
llama-cpp-python's server, vLLM, Ollama, OpenAI itself), spoken to with httpx.

Structured output is asked for as a JSON Schema ``response_format`` where the server supports
it; with ``structured="auto"`` a server that rejects that is asked for JSON mode with the schema
(llama.cpp's extension), then plain JSON mode, then nothing (the prompt alone), and the mode
that worked is kept. Connection errors, time-outs and 5xx answers are retried with exponential
back-off. The API key is sent as a bearer token and never appears in reprs, errors or records.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any, Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from ...errors import EngineError
from ...verify import Checker
from .engine import Completion, LLMEngine, LLMOptions, Progress
from .prompt import Message, estimate_tokens

DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1"
Structured = Literal["auto", "json_schema", "json_object", "json_mode", "prompt"]
_FALLBACK: dict[str, str] = {
    "json_schema": "json_object",
    "json_object": "json_mode",
    "json_mode": "prompt",
}


class OpenAIOptions(LLMOptions):
    """Options of the ``openai`` engine. The library fills unset ones from the settings
    (``[explain.openai]``: base_url, model, api_key)."""

    base_url: str | None = Field(default=None, description=f"default {DEFAULT_BASE_URL}")
    model: str | None = Field(
        default=None, description="model name; default: the first model the server lists"
    )
    api_key: SecretStr | None = Field(default=None, description="sent as a bearer token")
    timeout: float = Field(default=300.0, gt=0, description="seconds to wait for an answer")
    connect_timeout: float = Field(default=5.0, gt=0)
    retries: int = Field(default=2, ge=0, le=10, description="retries on 5xx and network errors")
    backoff: float = Field(default=0.5, ge=0, description="first retry delay, doubled each time")
    structured: Structured = Field(
        default="auto",
        description="json_schema: response_format json_schema; json_object: JSON mode with the "
        "schema (llama.cpp); json_mode: plain JSON mode; prompt: none; auto: the first of "
        "these the server accepts",
    )
    stream: bool | None = Field(
        default=None, description="stream tokens (default: when a progress callback is given)"
    )

    generation_fields = LLMOptions.generation_fields | {"structured"}

    @field_validator("base_url")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value


class OpenAIBackend:
    """One OpenAI-compatible server and model."""

    engine = "openai"

    def __init__(self, options: OpenAIOptions, transport: httpx.BaseTransport | None = None):
        self.options = options
        self.base_url = (options.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._api_key = options.api_key
        self._model = options.model
        self.context_tokens = options.context_tokens or 4096
        self.structured: str = "json_schema" if options.structured == "auto" else options.structured
        self._transport = transport

    def _client(self) -> httpx.Client:
        """A client for one exchange (nothing stays open between explainers)."""
        return httpx.Client(
            base_url=self.base_url,
            headers={"Accept": "application/json"},
            timeout=httpx.Timeout(self.options.timeout, connect=self.options.connect_timeout),
            transport=self._transport,
            trust_env=False,  # a proxy from the environment must not see the key
        )

    def __repr__(self) -> str:
        return f"<OpenAIBackend {self.base_url} model={self._model!r}>"

    # --- the ChatBackend protocol -------------------------------------------------------------

    @property
    def model(self) -> str:
        if self._model is None:
            self._model = self._first_model()
        return self._model

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def chat(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None,
        max_tokens: int,
        progress: Progress | None = None,
    ) -> Completion:
        stream = self.options.stream if self.options.stream is not None else progress is not None
        while True:
            body: dict[str, Any] = {
                "model": self.model,
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": self.options.temperature,
                "seed": self.options.seed,
            }
            response_format = self._response_format(schema)
            if response_format is not None:
                body["response_format"] = response_format
            if stream:
                body["stream"] = True
            started = time.monotonic()
            try:
                if stream:
                    completion = self._post_stream(body, progress)
                else:
                    completion = _completion(self._post("/chat/completions", body))
            except _FormatRejected as exc:
                if self.options.structured != "auto" or self.structured not in _FALLBACK:
                    raise EngineError(
                        f"the server at {self.base_url} rejected response_format "
                        f"{self.structured!r}: {exc}"
                    ) from None
                self.structured = _FALLBACK[self.structured]
                continue
            completion.seconds = time.monotonic() - started
            return completion

    # --- HTTP ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        if self._api_key is None:
            return {}
        return {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}

    def _response_format(self, schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if schema is None or self.structured == "prompt":
            return None
        if self.structured == "json_schema":
            return {
                "type": "json_schema",
                "json_schema": {"name": "explainer", "schema": schema, "strict": False},
            }
        if self.structured == "json_object":
            return {"type": "json_object", "schema": schema}
        return {"type": "json_object"}

    def _send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        *,
        stream: bool = False,
    ) -> httpx.Response:
        """One request, retried on network errors, time-outs and 5xx answers."""
        delay = self.options.backoff
        for attempt in range(self.options.retries + 1):
            last = attempt == self.options.retries
            try:
                request = client.build_request(method, path, json=body, headers=self._headers())
                response = client.send(request, stream=stream)
            except httpx.ConnectError as exc:
                if last:
                    raise EngineError(
                        f"cannot reach the OpenAI-compatible server at {self.base_url}: "
                        f"{_reason(exc)}"
                    ) from None
            except httpx.TimeoutException:
                if last:
                    raise EngineError(
                        f"the OpenAI-compatible server at {self.base_url} did not answer "
                        f"within {self.options.timeout:g} s (option timeout)"
                    ) from None
            except httpx.TransportError as exc:
                if last:
                    raise EngineError(
                        f"the connection to the OpenAI-compatible server at {self.base_url} "
                        f"failed: {_reason(exc)}"
                    ) from None
            else:
                if response.status_code < 500 or last or _rejects_format(response, body):
                    return response
                response.close()
            time.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._client() as client:
            response = self._send(client, "POST", path, body)
        self._raise_for_status(response, body)
        try:
            data = response.json()
        except ValueError:
            raise EngineError(
                f"the server at {self.base_url} answered {path} with something that is not "
                f"JSON: {response.text[:200]!r}"
            ) from None
        if not isinstance(data, dict):
            raise EngineError(f"the server at {self.base_url} answered {path} with {data!r:.200}")
        return data

    def _post_stream(self, body: dict[str, Any], progress: Progress | None) -> Completion:
        """Server-sent events: collect the content deltas, report tokens so far."""
        parts: list[str] = []
        finish: str | None = None
        usage: dict[str, Any] = {}
        with self._client() as client:
            response = self._send(client, "POST", "/chat/completions", body, stream=True)
            try:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for_status(response, body)
                for event in _events(response.iter_lines()):
                    usage = event.get("usage") or usage
                    for choice in event.get("choices") or []:
                        delta = (choice.get("delta") or {}).get("content")
                        if delta:
                            parts.append(delta)
                            if progress is not None:
                                progress(len(parts))
                        finish = choice.get("finish_reason") or finish
            except httpx.TimeoutException:
                raise EngineError(
                    f"the OpenAI-compatible server at {self.base_url} stopped answering for "
                    f"{self.options.timeout:g} s (option timeout)"
                ) from None
            except httpx.TransportError as exc:
                raise EngineError(
                    f"the stream from {self.base_url} broke off: {_reason(exc)}"
                ) from None
            finally:
                response.close()
        prompt_tokens = usage.get("prompt_tokens") or sum(
            estimate_tokens(m["content"]) for m in body["messages"]
        )
        return Completion(
            text="".join(parts),
            prompt_tokens=int(prompt_tokens),
            completion_tokens=int(usage.get("completion_tokens") or len(parts)),
            finish_reason=finish,
        )

    def _raise_for_status(self, response: httpx.Response, body: dict[str, Any]) -> None:
        status = response.status_code
        if status < 400:
            return
        message = _error_message(response)
        low = message.lower()
        if _rejects_format(response, body):
            raise _FormatRejected(message)
        model = body.get("model")
        if status == 404 or (status == 400 and "model" in low and "not" in low):
            if "model" in low or status == 400:
                raise EngineError(
                    f"model {model!r} not found at the OpenAI-compatible server at "
                    f"{self.base_url} ({status}: {message}); name one the server has with the "
                    "option model= or STORYBRIEF_OPENAI_MODEL"
                )
            raise EngineError(
                f"no chat-completions endpoint at {self.base_url}/chat/completions (404): is "
                "the base URL right (it usually ends in /v1)?"
            )
        if status in (401, 403):
            raise EngineError(
                f"the OpenAI-compatible server at {self.base_url} refused the request "
                f"({status}: {message}): check the API key (STORYBRIEF_OPENAI_API_KEY)"
            )
        raise EngineError(
            f"the OpenAI-compatible server at {self.base_url} answered {status}: {message}"
        )

    def _first_model(self) -> str:
        with self._client() as client:
            response = self._send(client, "GET", "/models", None)
        if response.status_code >= 400:
            raise EngineError(
                f"no model named and the server at {self.base_url} does not list its models "
                f"({response.status_code}): set the option model= or STORYBRIEF_OPENAI_MODEL"
            )
        try:
            models = response.json().get("data") or []
            return str(models[0]["id"])
        except (ValueError, AttributeError, LookupError, TypeError):
            raise EngineError(
                f"the server at {self.base_url} lists no models: set the option model= or "
                "STORYBRIEF_OPENAI_MODEL"
            ) from None


class _FormatRejected(Exception):
    """The server does not accept this response_format."""


def _rejects_format(response: httpx.Response, body: dict[str, Any] | None) -> bool:
    """Whether an error answer is the server refusing the request's response_format (some
    servers say so with 400 or 422, llama-cpp-python's with 500)."""
    if body is None or "response_format" not in body or response.status_code not in (400, 422, 500):
        return False
    text = response.read().decode("utf-8", "replace").lower()
    return "response_format" in text or "json_schema" in text


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return text


def _error_message(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data))
        if isinstance(error, dict):
            return str(error.get("message") or error)[:300]
        return str(error)[:300]
    return str(data)[:300]


def _completion(data: dict[str, Any]) -> Completion:
    try:
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        raise EngineError(f"the server's answer has no message: {json.dumps(data)[:200]}") from None
    usage = data.get("usage") or {}
    return Completion(
        text=text,
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=choice.get("finish_reason"),
    )


def _events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        if payload == "[DONE]":
            return
        try:
            event = json.loads(payload)
        except ValueError:
            continue
        if isinstance(event, dict):
            yield event


class OpenAIEngine(LLMEngine):
    """Explainers from an OpenAI-compatible server."""

    def __init__(
        self,
        options: OpenAIOptions | None = None,
        *,
        checker: Checker | None = None,
        progress: Progress | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        options = options or OpenAIOptions()
        backend = OpenAIBackend(options, transport)
        offline = _is_loopback(backend.base_url)
        super().__init__(backend, options, offline=offline, checker=checker, progress=progress)
        self.backend: OpenAIBackend = backend

    def backend_options(self) -> dict[str, Any]:
        return {"model": self.backend.model, "base_url": self.backend.base_url}

    def _recorded_options(self, record: Any) -> dict[str, Any]:
        options = super()._recorded_options(record)
        options.pop("api_key", None)
        options["structured"] = self.backend.structured
        return options


def _is_loopback(url: str) -> bool:
    host = httpx.URL(url).host
    return host in ("localhost", "::1") or host.startswith("127.")
