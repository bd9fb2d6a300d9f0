"""`storybrief explain`, `check` and `schema`."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from .output import allow_private_option, console, errors, fail, library_of, print_json

EXAMPLE = "examples/article.txt"
EXAMPLE_EXPLAINER = "examples/explainer.txt"  # written from wider coverage: see examples/README.md


def _example_path(name: str = EXAMPLE) -> Path:
    return Path(str(resources.files("storybrief").joinpath(name)))


def _parse_options(pairs: list[str]) -> dict[str, object]:
    """``key=value`` pairs; values are read as JSON when they parse (numbers, true, lists)."""
    options: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--option wants key=value, got {pair!r}")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


def explain(
    ctx: typer.Context,
    sources: list[str] = typer.Argument(
        None, help="Articles of one story: files or URLs (pages, feeds); ingested first."
    ),
    story: int | None = typer.Option(None, "--story", help="Explain a stored story by its id."),
    example: bool = typer.Option(False, "--example", help="Explain the bundled example article."),
    engine: str | None = typer.Option(
        None, "--engine", "-e", help="Engine name (see `storybrief engines`); default: builtin."
    ),
    option: list[str] = typer.Option(
        [], "--option", "-o", help="Engine option as key=value (repeatable)."
    ),
    fmt: str = typer.Option("text", "--format", "-f", help="text, markdown, html or json."),
    citations: bool = typer.Option(
        False,
        "--citations",
        help="Text format: show \\[article:sentence] after each sentence, numbered as "
        "`storybrief show ARTICLE --sentences` and the JSON number them (from 0).",
    ),
    verdicts: bool = typer.Option(
        False, "--verdicts", help="Also print the checker's verdict on every drafted sentence."
    ),
    regenerate: bool = typer.Option(
        False,
        "--regenerate",
        help="Ask the engine again and store a new version, even if the stored one is current.",
    ),
    pending: bool = typer.Option(
        False,
        "--pending",
        help="Explain every story that is due: qualifies and has none, or grew since its "
        "latest version and its new reports have settled (explain.settle_seconds, at most "
        "explain.max_wait_seconds).",
    ),
    allow_private: bool | None = allow_private_option(),
) -> None:
    """Write a story's explainer: every sentence checked against, and citing, its sources.

    Give SOURCE files/URLs, --story ID, --example, or --pending. The result is stored as the
    story's next explainer version (an unchanged story reuses its latest version unless
    --regenerate).
    """
    from ..explain import FORMATS, render

    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    chosen = list(sources or []) + ([str(_example_path())] if example else [])
    lib = library_of(ctx, **{"fetch.allow_private_addresses": allow_private})
    if pending:
        if chosen or story is not None:
            fail("--pending explains the stories that are due: give no SOURCE or --story")
        _explain_pending(lib, engine, fmt)
        return
    if not chosen and story is None:
        fail("nothing to explain: give SOURCE files or URLs, --story ID, --example or --pending")
    with errors.status("writing the explainer…", spinner="dots") as status:

        def progress(tokens: int) -> None:
            status.update(f"writing the explainer… {tokens} tokens")

        result = lib.explain(
            chosen,
            story_id=story,
            engine=engine,
            options=_parse_options(option),
            regenerate=regenerate,
            progress=progress,
        )
    if result.ingest is not None:
        for item in result.ingest.items:
            if item.status == "failed":
                errors.print(
                    f"[yellow]skipped[/] {escape(item.location)}: {escape(item.reason or '')}"
                )
    out = render(result.explainer, fmt, citations=citations)  # type: ignore[arg-type]
    sys.stdout.write(out + "\n")
    if result.split_into:
        parts = ", ".join(str(i) for i in result.split_into)
        errors.print(f"story {result.story_id} held more than one event: split into {parts}")
    if verdicts:
        _print_verdicts(result.explainer, result.check.checked if result.check else [])


def _explain_pending(lib, engine: str | None, fmt: str) -> None:  # type: ignore[no-untyped-def]
    """Explain every due story; one line each (or JSON); exit 1 if any failed."""
    from ..errors import StorybriefError

    with errors.status("explaining pending stories…", spinner="dots") as status:
        done = lib.explain_pending(
            engine=engine,
            on_story=lambda sid, _: status.update(f"explaining pending stories… story {sid}"),
        )
    failed = [(sid, str(out)) for sid, out in done if isinstance(out, StorybriefError)]
    written = [(sid, out.version) for sid, out in done if not isinstance(out, StorybriefError)]
    if fmt == "json":
        print_json(
            {
                "explained": [{"story_id": s, "version": v} for s, v in written],
                "failed": [{"story_id": s, "reason": r} for s, r in failed],
            }
        )
    else:
        for sid, version in written:
            console.print(f"story {sid}: explainer v{version}")
        for sid, reason in failed:
            errors.print(f"[red]story {sid}:[/] {escape(reason)}")
        console.print(f"{len(written)} explained, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


_STYLE = {"supported": "green", "partly_supported": "yellow", "unsupported": "red"}


def _print_verdicts(explainer, rows) -> None:  # type: ignore[no-untyped-def]
    """The checker's verdict on every sentence: those an LLM engine drafted and dropped (kept in
    its generation record), then those of the draft it handed over."""
    from ..explain.llm import generation_of

    table = Table("verdict", "sentence", "reasons", show_lines=True)
    record = generation_of(explainer)
    for dropped in record.dropped if record is not None else []:
        table.add_row("[red]dropped[/]", escape(dropped.text), escape(dropped.reason))
    for _section, text, verdict in rows:
        table.add_row(
            f"[{_STYLE[verdict.label]}]{verdict.label}[/]",
            escape(text),
            escape("; ".join(verdict.reasons[:4])),
        )
    if not table.rows:
        errors.print("no verdicts: the stored explainer was reused (use --regenerate)")
        return
    errors.print(table)


def check(
    ctx: typer.Context,
    text_file: Path | None = typer.Argument(
        None, exists=True, dir_okay=False, help="Text to check, e.g. an explainer."
    ),
    against: list[str] = typer.Option(
        [], "--against", "-a", help="Source articles (files or URLs); repeat for several."
    ),
    story: int | None = typer.Option(
        None, "--story", help="Print the verdicts stored with a story's latest explainer."
    ),
    example: bool = typer.Option(
        False,
        "--example",
        help="Check the bundled example explainer against the bundled example article.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the verdicts as JSON."),
    allow_private: bool | None = allow_private_option(),
) -> None:
    """Check each sentence of a text against articles, or a story's stored verdicts.

    Every sentence gets supported, partly supported or unsupported, with the reasons.
    Exit status 1 if any sentence is not supported.
    """
    if example and text_file is None and story is None and not against:
        text_file, against = _example_path(EXAMPLE_EXPLAINER), [str(_example_path())]
    elif example:
        fail("--example checks the bundled explainer against the bundled article, alone")
    if (text_file is None) == (story is None):
        fail("give a TEXT_FILE with --against ARTICLE..., --story ID, or --example")
    lib = library_of(ctx, **{"fetch.allow_private_addresses": allow_private})
    if story is not None:
        rows = lib.stored_verdicts(story)
    else:
        if not against:
            fail("--against ARTICLE is needed: the articles to check the text against")
        assert text_file is not None
        text = text_file.read_text(encoding="utf-8")
        rows = [(s, v.label, v.reasons) for s, v in lib.check(text, against)]
    if as_json:
        print_json([{"sentence": s, "label": label, "reasons": r} for s, label, r in rows])
    else:
        table = Table("#", "verdict", "sentence", "reasons", show_lines=True)
        for n, (sentence, label, reasons) in enumerate(rows, 1):
            table.add_row(
                str(n),
                f"[{_STYLE.get(label, 'dim')}]{label}[/]",
                escape(sentence),
                escape("; ".join(reasons[:5])),
            )
        console.print(table)
        counts = {label: sum(row[1] == label for row in rows) for label in _STYLE}
        console.print(", ".join(f"{n} {label.replace('_', ' ')}" for label, n in counts.items()))
    raise typer.Exit(0 if all(label == "supported" for _, label, _ in rows) else 1)


def engines(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """The explainer engines available, and those that could not load (and why)."""
    from ..explain.engines import available_engines, engine_spec, plugin_failures

    rows = [{"name": n, "description": engine_spec(n).description} for n in available_engines()]
    failed = plugin_failures()
    if as_json:
        print_json({"engines": rows, "unavailable": failed})
        return
    table = Table("engine", "description")
    for row in rows:
        table.add_row(row["name"], escape(row["description"]))
    for name, reason in failed.items():
        table.add_row(f"[dim]{escape(name)}[/]", f"[red]unavailable:[/] {escape(reason)}")
    console.print(table)


def schema() -> None:
    """Print the JSON Schema of an explainer's JSON form."""
    from ..explain import published_schema

    print_json(published_schema())


def logs(
    ctx: typer.Context,
    story: int | None = typer.Option(None, "--story", "-s", help="Only this story's versions."),
    explainer: int | None = typer.Option(
        None, "--explainer", help="Only this explainer version (its id, as in the JSON)."
    ),
    count: int = typer.Option(10, "--count", "-n", min=1, help="Most requests shown."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """What the LLM engines were asked and answered: each request as sent and its answer, for
    the explainer versions they wrote, newest first."""
    calls = library_of(ctx).engine_calls(story_id=story, explainer_id=explainer, limit=count)
    if as_json:
        print_json(calls)
        return
    if not calls:
        errors.print("no engine requests stored (the LLM engines record theirs)", highlight=False)
        return
    for call in calls:
        tokens = f"{call.prompt_tokens} + {call.completion_tokens} tokens"
        console.rule(
            f"story {call.story_id} version {call.version} (explainer {call.explainer_id}), "
            f"request {call.position + 1}: {call.engine} {call.model or ''}",
            characters="=",
        )
        console.print(
            f"{call.created_at:%Y-%m-%d %H:%M:%S} UTC, {tokens}, {call.seconds:g} s, "
            f"finish: {call.finish_reason or '—'}",
            highlight=False,
            markup=False,
        )
        for message in call.messages:
            console.rule(message.get("role", "?"), align="left")
            console.print(message.get("content", ""), highlight=False, markup=False, soft_wrap=True)
        console.rule("answer", align="left")
        console.print(call.response, highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command()(explain)
    app.command()(check)
    app.command()(engines)
    app.command()(schema)
    app.command()(logs)
