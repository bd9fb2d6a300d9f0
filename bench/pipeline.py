"""Pipeline benchmark: real articles published over time in local feeds, to explainers.

Followed by `storybrief watch` on SQLite and on PostgreSQL and by 1, 2 and 4 `storybrief
worker` processes on PostgreSQL, in the same run.

    python bench/pipeline.py [--data ../shared/data] [--items 120] [--feeds 30] [--hosts 3]
                             [--rate 3] [--every 5] [--workers 1,2,4] [--explain-interval 10]
                             [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Data: NeuS (``summarization/neus-{train,val}.jsonl``; research use only, read from ``--data``,
never copied): each story is three lead excerpts of one event from three outlets, with titles.
Stories are taken in file order (those whose three texts are at least 300 characters, so that
every page extracts), and their articles spread over ``--feeds`` RSS feeds on ``--hosts`` HTTP
servers (each its own port on 127.0.0.1, with a permissive robots.txt, ETag and 304 like a real
feed server). Items appear in their feeds at a steady ``--rate`` per second, a story's second
and third articles some stories after its first (so stories grow after their first explainer);
each item's publication time is recorded and its page carries it.

Each setup gets a fresh database (SQLite in a temporary folder; a new PostgreSQL database per
run, dropped after), its feeds added with ``storybrief feeds add FILE.opml --every 5s``, and
runs until every published item is an article covered by its story's explainer (or nothing has
moved for ``--stall`` seconds). Reported per setup:

- articles per second end to end: articles covered by an explainer / (last such explainer's
  creation - first publication);
- p50 / p95 latency: the first explainer version of the item's story whose sources include the
  item's article (items matched to articles by URL), its ``created_at`` minus the item's
  publication time;
- CPU seconds per article: user + system time of the storybrief processes (``os.wait4``), and
  separately that of the PostgreSQL server's backends for the run's database (read from /proc
  every half second);
- peak memory: the largest maximum RSS of one storybrief process.

Then the cost of keeping a feed current: once the watch run is done, it keeps running for
``--idle`` seconds while no feed changes, so each poll is a conditional GET answered 304; its
CPU over that window divided by the 304s served is the cost of one unchanged poll, and with the
cost of a new article it gives the largest feed list one process keeps current at a one-minute
poll interval.

Worker mode polls a feed when its minute tick (one Procrastinate periodic job per minute) finds
it due, so its latency includes up to a minute of waiting for the tick; `watch` polls each feed
when it is due. Writes bench/results/pipeline.json and bench/results/pipeline.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from tests.servers import LocalHTTPServer, RecordedRequest, Reply  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")
MIN_BODY_CHARS = 300
FEED_ITEMS = 50  # items a feed lists, newest first
console = Console()
if not console.is_terminal:
    console = Console(width=130)


# -- the news: NeuS stories as feed items published over time ----------------------------------


@dataclass
class NewsItem:
    key: str  # the page's slug
    story: int  # NeuS story index (the gold grouping, for reference)
    title: str
    body: str
    feed: int
    published: float = 0.0  # epoch seconds, set when the run starts
    url: str = ""


def load_items(data: Path, count: int, feeds: int) -> list[NewsItem]:
    """``count`` NeuS articles (three per story) in publication order, spread over feeds."""
    stories: list[list[tuple[str, str]]] = []
    seen: set[str] = set()
    for name in ("neus-train.jsonl", "neus-val.jsonl"):
        path = data / "summarization" / name
        if not path.exists():
            raise SystemExit(f"{path} is missing: pass --data (the shared evaluation data)")
        with path.open(encoding="utf-8") as f:
            for line in f:
                parsed = [split_neus(a) for a in json.loads(line)["articles"]]
                if any(len(body) < MIN_BODY_CHARS or body in seen for _, body in parsed):
                    continue
                seen.update(body for _, body in parsed)
                stories.append(parsed)
                if 3 * len(stories) >= count:
                    break
        if 3 * len(stories) >= count:
            break
    items = [
        NewsItem(f"s{k}-{m}", k, title, body, feed=(3 * k + m) % feeds)
        for k, story in enumerate(stories)
        for m, (title, body) in enumerate(story)
    ]
    # the second and third outlets report 8 and 16 stories later: stories grow after their
    # first explainer, as they do in the news
    items.sort(key=lambda i: (i.story + 8 * int(i.key.rsplit("-", 1)[1]), i.key))
    return items[:count]


def split_neus(text: str) -> tuple[str, str]:
    m = re.match(r"\s*TITLE=>\s*(.*?)\s*ARTICLE=>\s*(.*)", text, re.S)
    if m is None:
        return "", text.strip()
    return m.group(1).rstrip(". ").strip(), m.group(2).strip()


class Hosts:
    """``hosts`` HTTP servers on 127.0.0.1 serving ``feeds`` RSS feeds and the item pages;
    an item is listed and its page served from its publication time on."""

    def __init__(self, items: list[NewsItem], feeds: int, hosts: int) -> None:
        self.items = items
        self.servers = [LocalHTTPServer().start() for _ in range(hosts)]
        self.by_feed: dict[int, list[NewsItem]] = {f: [] for f in range(feeds)}
        for item in items:
            self.by_feed[item.feed].append(item)
        self.counts = {"feed_200": 0, "feed_304": 0, "pages": 0, "robots": 0}
        self._lock = threading.Lock()
        robots = Reply(body=b"User-agent: *\nAllow: /\n", headers={"Content-Type": "text/plain"})
        for server in self.servers:
            server.route("/robots.txt", self._counting("robots", robots))
        for f in range(feeds):
            self.server_of(f).route(f"/feeds/{f}.xml", self._feed(f))
        for item in items:
            server = self.server_of(item.feed)
            item.url = server.url(f"/news/{item.key}")
            server.route(f"/news/{item.key}", self._page(item))

    def server_of(self, feed: int) -> LocalHTTPServer:
        return self.servers[feed % len(self.servers)]

    def feed_url(self, feed: int) -> str:
        return self.server_of(feed).url(f"/feeds/{feed}.xml")

    def opml(self) -> str:
        outlines = "".join(
            f'<outline type="rss" text="feed {f}" xmlUrl="{self.feed_url(f)}"/>'
            for f in self.by_feed
        )
        return f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _counting(self, what: str, reply: Reply) -> Any:
        def serve(request: RecordedRequest) -> Reply:
            self._count(what)
            return reply

        return serve

    def _feed(self, feed: int) -> Any:
        def serve(request: RecordedRequest) -> Reply:
            now = time.time()
            live = [i for i in self.by_feed[feed] if i.published and i.published <= now]
            shown = live[-FEED_ITEMS:][::-1]
            etag = f'"{feed}-{len(live)}"'
            if request.headers.get("if-none-match") == etag:
                self._count("feed_304")
                return Reply(304, b"", {"ETag": etag})
            self._count("feed_200")
            entries = "".join(
                f"<item><title>{escape(i.title)}</title><link>{i.url}</link>"
                f"<guid>{i.url}</guid><pubDate>{rfc822(i.published)}</pubDate></item>"
                for i in shown
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>Outlet {feed}</title><link>{self.server_of(feed).url('/')}</link>"
                f"<description>bench feed {feed}</description>{entries}</channel></rss>"
            ).encode()
            return Reply(body=body, headers={"Content-Type": "application/rss+xml", "ETag": etag})

        return serve

    def _page(self, item: NewsItem) -> Any:
        def serve(request: RecordedRequest) -> Reply:
            if not item.published or item.published > time.time():
                return Reply(404, b"not yet", {"Content-Type": "text/plain"})
            self._count("pages")
            when = datetime.fromtimestamp(item.published, UTC).isoformat()
            paragraphs = "".join(
                f"<p>{escape(p)}</p>" for p in re.split(r"(?<=[.!?\"”])\s+(?=[A-Z“\"])", item.body)
            )
            html = (
                f"<!doctype html><html><head><title>{escape(item.title)}</title>"
                f'<link rel="canonical" href="{item.url}">'
                f'<meta property="article:published_time" content="{when}">'
                f"</head><body><header><a href='/'>Outlet {item.feed}</a></header>"
                f"<article><h1>{escape(item.title)}</h1>{paragraphs}</article>"
                "<footer>© the outlet</footer></body></html>"
            )
            return Reply(body=html.encode(), headers={"Content-Type": "text/html; charset=utf-8"})

        return serve

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def rfc822(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, UTC))


# -- the storybrief processes and what they cost -------------------------------------------------


@dataclass
class Usage:
    name: str
    cpu_s: float = 0.0
    max_rss_mb: float = 0.0


class Proc:
    """A storybrief CLI process (this worktree's code), reaped with os.wait4 for its rusage."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log.open("ab")
        code = "import sys; from storybrief.cli import main; sys.argv[0] = 'storybrief'; main()"
        self.popen = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.usage: Usage | None = None

    def cpu_now(self) -> float:
        """CPU seconds so far (all threads), from /proc."""
        try:
            fields = Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return self.usage.cpu_s if self.usage else 0.0
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def reap(self, block: bool = False) -> Usage | None:
        """The process's usage once it has exited (never Popen.poll/wait: they reap it
        without the rusage)."""
        if self.usage is None:
            pid, status, rusage = os.wait4(self.popen.pid, 0 if block else os.WNOHANG)
            if not pid:
                return None
            self.popen.returncode = os.waitstatus_to_exitcode(status)
            self.log.close()
            cpu = rusage.ru_utime + rusage.ru_stime
            self.usage = Usage(self.name, cpu, rusage.ru_maxrss / 1024)
        return self.usage

    def stop(self, timeout: float = 60.0) -> Usage:
        """SIGTERM (the work in hand is finished first), SIGKILL after ``timeout``."""
        if self.reap() is None:
            os.kill(self.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while (usage := self.reap()) is None:
            if time.monotonic() > deadline:
                os.kill(self.popen.pid, signal.SIGKILL)
                usage = self.reap(block=True)
                assert usage is not None
                break
            time.sleep(0.1)
        return usage


def run_cli(args: list[str], env: dict[str, str], log: Path) -> None:
    proc = Proc("setup", args, env, log)
    proc.reap(block=True)
    if proc.popen.returncode:
        raise SystemExit(f"storybrief {' '.join(args)} failed; see {log}:\n{log.read_text()}")


class BackendCPU:
    """CPU seconds of the PostgreSQL backends serving one database, read from /proc twice a
    second (a backend's last half second before it exits can be missed)."""

    def __init__(self, admin_url: str, database: str) -> None:
        import psycopg

        self.conn = psycopg.connect(admin_url, autocommit=True)
        self.database = database
        self.seen: dict[int, float] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop_event.wait(0.5):
            self.sample()

    def sample(self) -> None:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)
        ).fetchall()
        for (pid,) in rows:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.seen[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK

    def total(self) -> float:
        self.sample()
        return sum(self.seen.values())

    def stop(self) -> float:
        self.stop_event.set()
        self.thread.join()
        total = self.total()
        self.conn.close()
        return total


# -- one run ---------------------------------------------------------------------------------------


@dataclass
class RunResult:
    setup: str
    database: str
    processes: int
    items: int
    articles: int  # published items stored as articles
    covered: int  # … and covered by their story's explainer
    stories: int
    explainers: int
    seconds: float  # first publication to last covering explainer
    articles_per_s: float
    latency_p50_s: float | None
    latency_p95_s: float | None
    latency_max_s: float | None
    cpu_s: float  # storybrief processes, from the first publication to the last explainer
    cpu_s_per_article: float | None
    db_cpu_s: float | None  # PostgreSQL backends of this database, the same window
    total_cpu_s: float  # storybrief processes over their whole life (start-up included)
    peak_rss_mb: float
    processes_usage: list[Usage] = field(default_factory=list)
    idle: dict[str, float] | None = None  # the 304 window (watch only)
    note: str = ""


def coverage(db_url: str, items: list[NewsItem]) -> dict[str, Any]:
    """Which published items are articles, and for each the first explainer version covering
    it: its time and its version number (1 is the story's first explainer, more an update)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            articles = c.execute(
                text("SELECT id, url, canonical_url, duplicate_of FROM articles")
            ).all()
            versions = c.execute(
                text("SELECT version, created_at, document FROM explainers ORDER BY created_at")
            ).all()
            stories = c.execute(text("SELECT count(*) FROM stories")).scalar_one()
    finally:
        engine.dispose()
    by_url: dict[str, int] = {}
    for a in articles:
        for url in (a.url, a.canonical_url):
            if url:
                by_url[url] = a.duplicate_of or a.id
    first: dict[int, tuple[float, int]] = {}
    for v in versions:
        document = v.document if isinstance(v.document, dict) else json.loads(v.document)
        created = v.created_at
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        for source in document.get("sources", []):
            first.setdefault(source["id"], (created.timestamp(), v.version))
    stored = {i.key: by_url[i.url] for i in items if i.url in by_url}
    covered = {k: first[a] for k, a in stored.items() if a in first}
    return {"stored": stored, "covered": covered, "stories": stories, "explainers": len(versions)}


def progress_of(db_url: str, items: list[NewsItem]) -> dict[str, Any]:
    """:func:`coverage` with each covered item's time only."""
    state = coverage(db_url, items)
    state["covered"] = {k: when for k, (when, _) in state["covered"].items()}
    return state


def warm_up(db_url: str, feeds: int, procs: list[Proc], log: Path, limit: float = 150.0) -> None:
    """Wait until every feed has been polled once (all empty): the processes have started,
    opened the database and made their first round, so the run measures a running service."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    began = time.monotonic()
    try:
        while time.monotonic() - began < limit:
            for p in procs:
                if p.reap() is not None:
                    raise SystemExit(f"{p.name} exited with {p.popen.returncode}; see {log}")
            with engine.connect() as c:
                polled = c.execute(
                    text("SELECT count(*) FROM sources WHERE last_success_at IS NOT NULL")
                ).scalar_one()
            if polled >= feeds:
                console.print(
                    f"  warm: every feed polled once after {time.monotonic() - began:.0f} s"
                )
                return
            time.sleep(1.0)
    finally:
        engine.dispose()
    raise SystemExit(f"the feeds were not all polled within {limit:g} s; see {log}")


def run_folder(
    folder: Path,
    db_url: str,
    args: argparse.Namespace,
    hosts: Hosts,
    explain_interval: float | None = None,
) -> tuple[dict[str, str], Path, Path]:
    """A run's config (its database, the local hosts allowed, pacing, debounce), the
    environment that points storybrief at it and at this checkout, its log and its OPML list
    of the hosts' feeds: (env, log, opml)."""
    interval = f"interval_seconds = {explain_interval}\n" if explain_interval is not None else ""
    config = folder / "config.toml"
    config.write_text(
        f'database_url = "{db_url}"\n'
        f'data_dir = "{folder}"\n'
        "[fetch]\n"
        'allowed_hosts = ["127.0.0.1"]\n'
        "obey_robots = true\n"
        f"per_host_delay = {args.per_host_delay}\n"
        "[explain]\n"
        f"{interval}"
        f"settle_seconds = {args.settle}\n"
        f"max_wait_seconds = {args.max_wait}\n"
        "[watch]\n"
        "min_poll_seconds = 1\n",
        encoding="utf-8",
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STORYBRIEF_")},
        "STORYBRIEF_CONFIG": str(config),
        "PYTHONPATH": str(ROOT / "src"),
    }
    log = folder / "log.txt"
    opml = folder / "feeds.opml"
    opml.write_text(hosts.opml(), encoding="utf-8")
    return env, log, opml


def run_setup(
    name: str,
    database: str,
    mode: str,
    processes: int,
    items: list[NewsItem],
    hosts: Hosts,
    args: argparse.Namespace,
    scratch: Path,
    measure_304: bool = False,
) -> RunResult:
    folder = scratch / re.sub(r"\W+", "-", name)
    folder.mkdir()
    pg_name = None
    backends = None
    if database == "sqlite":
        db_url = f"sqlite:///{folder / 'storybrief.db'}"
    else:
        pg_name = f"sb_bench_{os.getpid()}_{mode}_{processes}"
        admin(args.database_url, f'DROP DATABASE IF EXISTS "{pg_name}"')
        admin(args.database_url, f'CREATE DATABASE "{pg_name}"')
        db_url = with_database(args.database_url, pg_name)
    env, log, opml = run_folder(folder, db_url, args, hosts, args.explain_interval)
    procs: list[Proc] = []
    note = ""
    try:
        run_cli(["feeds", "add", str(opml), "--every", f"{args.every:g}s"], env, log)
        if pg_name:
            backends = BackendCPU(admin_url(args.database_url), pg_name)
        if mode == "watch":
            procs.append(Proc("watch", ["watch", "-q", "--log-format", "json"], env, log))
        else:
            run_cli(["worker", "--apply-schema"], env, log)
            for n in range(processes):
                procs.append(
                    Proc(f"worker {n + 1}", ["worker", "--log-level", "warning"], env, log)
                )
        warm_up(db_url, args.feeds, procs, log)
        cpu_start = sum(p.cpu_now() for p in procs)
        db_start = backends.total() if backends is not None else 0.0
        t0 = time.time() + 1.0
        for j, item in enumerate(items):
            item.published = t0 + j / args.rate
        last_publication = items[-1].published
        console.print(
            f"[bold]{name}[/]: {len(items)} items over {last_publication - t0:.0f} s, "
            f"{args.feeds} feeds on {args.hosts} hosts"
        )
        seen = (-1, -1)
        moved = time.monotonic()
        started = time.monotonic()
        while True:
            time.sleep(3.0)
            for p in procs:
                if p.reap() is not None:
                    raise SystemExit(f"{p.name} exited with {p.popen.returncode}; see {log}")
            state = progress_of(db_url, items)
            now_seen = (len(state["stored"]), len(state["covered"]))
            published = sum(1 for i in items if i.published <= time.time())
            console.print(
                f"  {time.monotonic() - started:5.0f} s: {published} published, "
                f"{now_seen[0]} stored, {now_seen[1]} covered by an explainer, "
                f"{state['stories']} stories, {state['explainers']} explainers",
                highlight=False,
            )
            if now_seen != seen:
                seen, moved = now_seen, time.monotonic()
            if time.time() < last_publication:
                continue
            if now_seen[1] == len(items):
                break
            if time.monotonic() - moved > args.stall:
                note = (
                    f"{len(items) - now_seen[1]} items not covered: nothing moved for "
                    f"{args.stall:g} s"
                )
                tail = log.read_text(errors="replace").splitlines()[-10:]
                console.print(f"  [yellow]{note}[/]; the log ends:", *tail, sep="\n    ")
                break
        cpu_run = sum(p.cpu_now() for p in procs) - cpu_start
        db_run = backends.total() - db_start if backends is not None else None
        idle = measure_idle(procs[0], hosts, args.idle) if measure_304 else None
    finally:
        usages = [p.stop() for p in procs]
        if backends is not None:
            backends.stop()
        if pg_name:
            admin(args.database_url, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    first = min(i.published for i in items)
    latencies = [state["covered"][i.key] - i.published for i in items if i.key in state["covered"]]
    last = max(state["covered"].values(), default=first)
    covered = len(state["covered"])
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else []
    return RunResult(
        setup=name,
        database=database,
        processes=processes,
        items=len(items),
        articles=len(state["stored"]),
        covered=covered,
        stories=state["stories"],
        explainers=state["explainers"],
        seconds=last - first,
        articles_per_s=covered / (last - first) if last > first else 0.0,
        latency_p50_s=cuts[49] if cuts else None,
        latency_p95_s=cuts[94] if cuts else None,
        latency_max_s=max(latencies, default=None),
        cpu_s=cpu_run,
        cpu_s_per_article=cpu_run / len(state["stored"]) if state["stored"] else None,
        db_cpu_s=db_run,
        total_cpu_s=sum(u.cpu_s for u in usages),
        peak_rss_mb=max(u.max_rss_mb for u in usages),
        processes_usage=usages,
        idle=idle,
        note=note,
    )


def measure_idle(watch: Proc, hosts: Hosts, seconds: float) -> dict[str, float]:
    """The watcher's CPU while nothing changes: every poll is a 304."""
    console.print(f"  measuring {seconds:g} s of unchanged feeds (304s) …")
    with hosts._lock:
        before_304, before_200 = hosts.counts["feed_304"], hosts.counts["feed_200"]
    cpu_before = watch.cpu_now()
    time.sleep(seconds)
    cpu_after = watch.cpu_now()
    with hosts._lock:
        polls = hosts.counts["feed_304"] - before_304
        changed = hosts.counts["feed_200"] - before_200
    cpu = cpu_after - cpu_before
    return {
        "seconds": seconds,
        "polls_304": polls,
        "polls_200": changed,
        "cpu_s": cpu,
        "cpu_s_per_304": cpu / polls if polls else float("nan"),
    }


# -- PostgreSQL ----------------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


def admin_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def postgres_missing(database_url: str) -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        import psycopg
    except ImportError:
        return "not measured: pip install 'storybrief[postgres]'"
    try:
        psycopg.connect(admin_url(database_url), connect_timeout=5).close()
    except psycopg.Error as exc:
        return f"not measured: no PostgreSQL at --database-url ({type(exc).__name__})"
    return None


def worker_mode_missing() -> str | None:
    """None when `storybrief worker` can run here, else why not."""
    import importlib.util

    if importlib.util.find_spec("storybrief.worker") is None:
        return "not measured: worker mode not on main yet"
    if importlib.util.find_spec("procrastinate") is None:
        return "not measured: pip install 'storybrief[worker]'"
    return None


# -- the report ---------------------------------------------------------------------------------


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "–" if value is None else format(value, spec)


def print_table(results: list[RunResult], skipped: list[str], args: argparse.Namespace) -> None:
    table = Table(
        title=f"{args.items} items (NeuS) at {args.rate:g}/s on {args.feeds} feeds, "
        f"{args.hosts} hosts; feeds every {args.every:g} s, explain.settle_seconds "
        f"{args.settle:g}, max_wait_seconds {args.max_wait:g}, interval_seconds "
        f"{args.explain_interval:g}; {os.cpu_count()} cores shared with other jobs (noisy)"
    )
    columns = (
        "setup",
        "stored / covered",
        "articles/s",
        "p50 s",
        "p95 s",
        "CPU s/article",
        "+ PostgreSQL",
        "peak RSS MB",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "setup" else "right")
    for r in results:
        table.add_row(
            r.setup + ("*" if r.note else ""),
            f"{r.articles} / {r.covered}",
            f"{r.articles_per_s:.2f}",
            fmt(r.latency_p50_s),
            fmt(r.latency_p95_s),
            fmt(r.cpu_s_per_article, ".3f"),
            "–" if r.db_cpu_s is None or not r.articles else f"{r.db_cpu_s / r.articles:.3f}",
            f"{r.peak_rss_mb:.0f}",
        )
    for row in skipped:
        setup, why = row.split(": ", 1)
        table.add_row(setup, why.split(":")[0], *[""] * (len(columns) - 2))
    console.print(table)
    for row in skipped:
        console.print(row, highlight=False)
    for r in results:
        if r.note:
            console.print(f"* {r.setup}: {r.note}", highlight=False)


def capacity(watch: RunResult) -> dict[str, Any] | None:
    """The largest feed list one watch process keeps current at a one-minute poll interval."""
    idle = watch.idle
    if not idle or not idle["polls_304"] or not watch.articles:
        return None
    per_304 = idle["cpu_s_per_304"]
    per_article = watch.cpu_s / watch.articles  # the run's 304s included: an upper bound
    # one process: one core at most (the GIL), 60 s of it per minute
    budget = 60.0
    rows = {}
    for label, new_per_hour in (("unchanged", 0.0), ("1 new item/hour", 1.0), ("4/hour", 4.0)):
        per_feed_minute = per_304 + per_article * new_per_hour / 60
        rows[label] = int(budget / per_feed_minute)
    return {
        "cpu_s_per_304": per_304,
        "cpu_s_per_article": per_article,
        "feeds_at_one_minute": rows,
    }


def plot(results: list[RunResult]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        console.print("matplotlib is missing (pip install -e '.[bench]'): no plot")
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    labels = [r.setup.replace(", ", "\n") for r in results]
    xs = range(len(results))
    left.bar(xs, [r.articles_per_s for r in results], color="#1f4e79")
    left.set_xticks(list(xs), labels, fontsize=8)
    left.set_ylabel("articles per second, end to end")
    p50 = [r.latency_p50_s or 0 for r in results]
    p95 = [r.latency_p95_s or 0 for r in results]
    right.bar(xs, p50, color="#9dc3e6", label="p50")
    right.bar(xs, [b - a for a, b in zip(p50, p95, strict=True)], bottom=p50, color="#1f4e79")
    right.set_xticks(list(xs), labels, fontsize=8)
    right.set_ylabel("publication → first explainer covering it, s")
    right.legend(["p50", "p95"])
    fig.suptitle("storybrief pipeline: watch (SQLite) and N workers (PostgreSQL), 2 shared cores")
    fig.tight_layout()
    fig.savefig(RESULTS / "pipeline.png", dpi=110)
    console.print(f"wrote {RESULTS / 'pipeline.png'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=ROOT.parent / "shared" / "data", help="shared data folder"
    )
    parser.add_argument("--items", type=int, default=120, help="feed items published")
    parser.add_argument("--feeds", type=int, default=30, help="RSS feeds")
    parser.add_argument("--hosts", type=int, default=3, help="HTTP servers (ports) on 127.0.0.1")
    parser.add_argument("--rate", type=float, default=3.0, help="items published per second")
    parser.add_argument("--every", type=float, default=5.0, help="seconds between feed polls")
    parser.add_argument("--workers", default="1,2,4", help="worker processes per run ('' none)")
    parser.add_argument(
        "--explain-interval",
        type=float,
        default=0.0,
        help="explain.interval_seconds, the floor between two versions (0..30)",
    )
    parser.add_argument(
        "--settle", type=float, default=5.0, help="explain.settle_seconds (quiet before an update)"
    )
    parser.add_argument(
        "--max-wait", type=float, default=10.0, help="explain.max_wait_seconds (an update's bound)"
    )
    parser.add_argument(
        "--per-host-delay", type=float, default=0.05, help="fetch.per_host_delay, seconds"
    )
    parser.add_argument("--stall", type=float, default=75.0, help="give up after idle seconds")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of 304s to measure")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "SB_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="a PostgreSQL server; each run creates (and drops) its own database there",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    args = parser.parse_args()
    if not 0 <= args.explain_interval <= 30:
        parser.error("--explain-interval is 0..30 seconds")
    workers = [int(w) for w in args.workers.split(",") if w.strip()]

    items = load_items(args.data, args.items, args.feeds)
    if len(items) < args.items:
        console.print(f"[yellow]only {len(items)} NeuS articles qualify[/]")
        args.items = len(items)
    hosts = Hosts(items, args.feeds, args.hosts)
    results: list[RunResult] = []
    skipped: list[str] = []
    no_postgres = postgres_missing(args.database_url)
    no_workers = no_postgres or worker_mode_missing()
    plan: list[tuple[str, str, str, int]] = [("watch, SQLite", "sqlite", "watch", 1)]
    if no_postgres:
        skipped.append(f"watch, PostgreSQL: {no_postgres}")
    else:
        plan.append(("watch, PostgreSQL", "postgresql", "watch", 1))
    for n in workers:
        name = f"{n} worker{'s' * (n > 1)}, PostgreSQL"
        if no_workers:
            skipped.append(f"{name}: {no_workers}")
        else:
            plan.append((name, "postgresql", "worker", n))
    try:
        with tempfile.TemporaryDirectory(prefix="sb-bench-pipeline-") as scratch:
            if args.keep:
                scratch = tempfile.mkdtemp(prefix="sb-bench-pipeline-")
                console.print(f"databases and logs in {scratch}")
            for name, database, mode, processes in plan:
                for item in items:
                    item.published = 0.0  # unpublished until the run sets its time
                results.append(
                    run_setup(
                        name,
                        database,
                        mode,
                        processes,
                        items,
                        hosts,
                        args,
                        Path(scratch),
                        measure_304=not results,  # the first: watch on SQLite
                    )
                )
    finally:
        hosts.stop()

    print_table(results, skipped, args)
    watch = next((r for r in results if r.idle), None)
    cap = capacity(watch) if watch else None
    if cap:
        idle = watch.idle  # type: ignore[union-attr]
        rows = ", ".join(f"{k}: {v:,}" for k, v in cap["feeds_at_one_minute"].items())
        console.print(
            f"Keeping feeds current (watch: one process, so one core at most): "
            f"{idle['polls_304']:.0f} unchanged polls (304) in {idle['seconds']:g} s cost "
            f"{idle['cpu_s']:.2f} CPU s = {cap['cpu_s_per_304'] * 1000:.1f} ms each; a new "
            f"article costs {cap['cpu_s_per_article']:.3f} CPU s (the run's CPU per article). "
            "Feeds one process keeps current at one poll a minute = 60 s / (CPU s per 304 + "
            f"new articles per feed-minute x CPU s per article): {rows}.",
            highlight=False,
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "pipeline",
        "data": "NeuS train+val (research use only, read from --data)",
        "settings": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(args).items()
            if k != "database_url"
        },
        "machine": {
            "cpus": os.cpu_count(),
            "shared": "yes: other jobs were running (numbers are noisy)",
            "python": platform.python_version(),
        },
        "results": [asdict(r) for r in results],
        "not_measured": skipped,
        "capacity": cap,
    }
    (RESULTS / "pipeline.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {RESULTS / 'pipeline.json'}")
    if results:
        plot(results)


if __name__ == "__main__":
    main()
