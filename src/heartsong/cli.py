"""The ``heartsong`` command: thin verbs over the Python API.

Bad input prints one line (``heartsong: <file>: <reason>``) and exits 1; progress goes
to stderr so ``--json`` output on stdout stays machine-readable.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from heartsong.errors import HeartsongError, LibraryError, ParameterError
from heartsong.library import Episode, Library, ScanReport

try:  # newer Typer vendors Click; older Typer depends on it.
    from typer._click.exceptions import ClickException, UsageError
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click.exceptions import ClickException, UsageError  # type: ignore[no-redef]

app = typer.Typer(
    name="heartsong",
    help="Understand film, TV and game soundtracks: songs, themes, scenes and discovery.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_INTERRUPTED = 130
T = TypeVar("T")


class _State:
    library: Path | None = None


@app.callback()
def _main(
    library: Annotated[
        Path | None,
        typer.Option(
            "--library",
            "-l",
            help="Library file (default: $HEARTSONG_LIBRARY or the user data dir).",
            envvar="HEARTSONG_LIBRARY",
        ),
    ] = None,
) -> None:
    _State.library = library


def _open(default: Path | None = None) -> Library:
    return Library(_State.library or default)


def _episode(lib: Library, ref: str) -> Episode:
    """``lib.episode(ref)``; a file on disk that the library does not hold says how to add it
    (a user often names the video itself)."""
    try:
        return lib.episode(ref)
    except LibraryError:
        if Path(ref).is_file():
            raise LibraryError(f"{ref}: not an episode in {lib.path}; add it with "
                               f"`heartsong scan {ref} --episodes --work NAME`") from None
        raise


class _RateColumn(ProgressColumn):
    """Items per second, so a user can judge a long job."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        rate = f"{speed:5.1f}" if speed else "   --"
        return Text(f"{rate} {self.unit}/s", style="cyan")


@contextmanager
def progress_bar(label: str, unit: str = "files") -> Iterator[Callable[[int, int, str], None]]:
    """Progress (done/total, rate, ETA) fed by the API's ``progress`` callbacks.

    A live Rich bar on a terminal; elsewhere (logs, CI) a plain line every few seconds.
    """
    if not err.is_terminal:
        yield _plain_progress(label, unit)
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=err,
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int, _item: str) -> None:
        bar.update(task, completed=done, total=total)

    with bar:
        yield update


def _plain_progress(label: str, unit: str, every: float = 5.0) -> Callable[[int, int, str], None]:
    start = time.monotonic()
    last = -every

    def update(done: int, total: int, _item: str) -> None:
        nonlocal last
        now = time.monotonic() - start
        if now - last < every and done < total:
            return
        last = now
        rate = done / now if now > 0 else 0.0
        eta = (total - done) / rate if rate > 0 else 0.0
        err.print(
            f"{label}: {done}/{total} {unit}, {rate:.1f} {unit}/s, "
            f"elapsed {_clock(now)}, ETA {_clock(eta)}",
            markup=False,
        )

    return update


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


def long_job(label: str, unit: str, job: Callable[[Callable[[int, int, str], None]], T]) -> T:
    """Run ``job(progress)`` under a progress bar; Ctrl-C says what is kept and exits 130."""
    done = 0
    try:
        with progress_bar(label, unit) as bar:

            def count(d: int, total: int, item: str) -> None:
                nonlocal done
                done = d
                bar(d, total, item)

            return job(count)
    except KeyboardInterrupt:
        err.print(
            f"interrupted after {done} {unit}; everything finished is saved "
            "- run the same command again to resume"
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _print_json(data: Any) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False))


def _report_scan(report: ScanReport, as_json: bool) -> None:
    for path, reason in report.failed:
        err.print(f"skipped {path}: {reason}", markup=False)
    if as_json:
        _print_json(report.to_dict())
        return
    out.print(
        f"added {report.added}, updated {report.updated}, moved {report.moved}, "
        f"unchanged {report.unchanged}, removed {report.removed}, unreadable {len(report.failed)}"
    )


@app.command()
def scan(
    paths: Annotated[list[Path], typer.Argument(help="Folders or files to scan.")],
    work: Annotated[str | None, typer.Option(help="The drama, film or game.")] = None,
    episodes: Annotated[bool, typer.Option("--episodes", help="These are episodes.")] = False,
    force: Annotated[bool, typer.Option(help="Re-read unchanged files.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Add, update and remove library entries for the media files under PATHS.

    Unreadable files are reported and recorded; the scan goes on past them.
    Interrupt at any time: what is done stays done, and a re-run resumes.
    """
    with _open() as lib:
        report = long_job(
            "scanning",
            "files",
            lambda bar: lib.scan(paths, work=work, episodes=episodes, force=force, progress=bar),
        )
    _report_scan(report, as_json)


class ListWhat(StrEnum):
    works = "works"
    tracks = "tracks"
    episodes = "episodes"
    files = "files"


def _fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(float(seconds), 60.0)
    return f"{int(m)}:{s:04.1f}"


@app.command("list")
def list_(
    what: Annotated[ListWhat, typer.Argument(help="works, tracks, episodes or files.")],
    work: Annotated[str | None, typer.Option(help="Only this work.")] = None,
    failed: Annotated[bool, typer.Option(help="files: only unreadable ones.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List what the library holds."""
    with _open() as lib:
        rows: list[Any]
        if what is ListWhat.works:
            rows = lib.works()
            cols = ["id", "name", "tracks", "episodes"]
        elif what is ListWhat.tracks:
            rows = lib.tracks(work=work)
            cols = ["id", "work", "track_number", "title", "artist", "duration", "instrumental"]
        elif what is ListWhat.episodes:
            rows = lib.episodes(work=work)
            cols = ["id", "work", "season", "number", "title", "duration", "has_video"]
        else:
            rows = lib.statuses(failed_only=failed)
            cols = ["kind", "status", "reason", "path"]
    if as_json:
        _print_json([r.to_dict() for r in rows])
        return
    table = Table(show_edge=False, pad_edge=False)
    for c in cols:
        table.add_column(c.replace("_", " "), overflow="fold")
    for r in rows:
        d = r.to_dict()
        table.add_row(
            *[
                _fmt_time(d[c]) if c == "duration" else ("" if d[c] is None else str(d[c]))
                for c in cols
            ]
        )
    out.print(table)
    out.print(f"{len(rows)} {what.value}")


@app.command()
def remove(
    refs: Annotated[
        list[str] | None, typer.Argument(help="Track/episode ids, or file or folder paths.")
    ] = None,
    work: Annotated[str | None, typer.Option(help="Remove a whole work.")] = None,
    episodes: Annotated[bool, typer.Option("--episodes", help="Ids are episode ids.")] = False,
) -> None:
    """Forget entries (the files on disk are never touched)."""
    with _open() as lib:
        n = lib.remove(refs or [], work=work, kind="episode" if episodes else "track")
    out.print(f"removed {n} file(s) from the library")


class CueFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    vtt = "vtt"
    edl = "edl"
    md = "md"
    html = "html"


def _export(fmt: CueFormat, cues: list[Any], tracks: dict[int, Any], title: str) -> str:
    from heartsong.cues import export

    if fmt is CueFormat.csv:
        return export.to_csv(cues, tracks=tracks, query=title)
    if fmt is CueFormat.json:
        return export.to_json(cues, tracks=tracks)
    if fmt is CueFormat.vtt:
        return export.to_webvtt(cues, tracks=tracks)
    if fmt is CueFormat.edl:
        return export.to_edl(cues, tracks=tracks, title=title.upper()[:60])
    if fmt is CueFormat.md:
        return export.to_cue_sheet_markdown(cues, tracks=tracks, title=f"Music cue sheet: {title}")
    return export.to_cue_sheet_html(cues, tracks=tracks, title=f"Music cue sheet: {title}")


def _tc(seconds: float) -> str:
    from heartsong.cues.export import timecode

    return timecode(seconds)


@app.command()
def index(
    force: Annotated[bool, typer.Option(help="Fingerprint every track again.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fingerprint new and changed tracks; drop removed ones from the index."""
    from heartsong.cues.library import build_index, index_directory

    with _open() as lib:
        report = long_job(
            "fingerprinting", "tracks", lambda bar: build_index(lib, force=force, progress=bar)
        )
        where = index_directory(lib)
    for path, reason in report.failed:
        err.print(f"skipped {path}: {reason}", markup=False)
    if as_json:
        _print_json({**report.to_dict(), "directory": str(where)})
        return
    out.print(
        f"index {where}: {report.tracks} tracks, {report.index_bytes / 1e6:.2f} MB "
        f"(added {report.added}, removed {report.removed}, unchanged {report.unchanged}, "
        f"failed {len(report.failed)})"
    )


@app.command()
def cues(
    episodes: Annotated[
        list[str] | None, typer.Argument(help="Episode ids, paths or titles (default: all).")
    ] = None,
    work: Annotated[str | None, typer.Option(help="Every episode of this work.")] = None,
    fmt: Annotated[CueFormat, typer.Option("--format", "-f", help="Output format.")] = (
        CueFormat.table
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File (one episode) or folder (one file each)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Recompute stored cue sheets.")] = False,
    workers: Annotated[int, typer.Option(help="Episodes matched side by side.")] = 1,
) -> None:
    """Find every music cue in episodes: track, in/out, position in the track, gain."""
    from heartsong.cues import FingerprintIndex
    from heartsong.cues.fingerprint import FingerprintConfig
    from heartsong.cues.library import index_directory, library_cues, track_infos

    with _open() as lib:
        chosen = [_episode(lib, ref) for ref in episodes] if episodes else lib.episodes(work=work)
        if not chosen:
            raise HeartsongError(f"{lib.path}: no episodes to search; scan some with --episodes")
        stored = FingerprintIndex.stored_config(index_directory(lib))
        if stored is not None and stored != FingerprintConfig():
            # It still matches consistently, with the older settings' weaker recall.
            err.print(f"note: {index_directory(lib)} was built by an older heartsong; "
                      "`heartsong index` rebuilds it with today's fingerprints", markup=False)
        found, report = long_job(
            "matching",
            "episodes",
            lambda bar: library_cues(lib, chosen, force=force, workers=workers, progress=bar),
        )
        tracks = track_infos(lib)
    for path, reason in report.failed:
        err.print(f"skipped {path}: {reason}", markup=False)
    ext = {
        "table": "txt",
        "md": "md",
        "html": "html",
        "csv": "csv",
        "json": "json",
        "vtt": "vtt",
        "edl": "edl",
    }[fmt.value]
    for e in chosen:
        if e.id not in found:
            continue
        title = Path(e.path).stem
        if fmt is CueFormat.table and output is None:
            table = Table(title=f"{e.title} ({_fmt_time(e.duration)})", show_edge=False)
            for c in ("in", "out", "duration", "track", "from", "gain", "conf", "x-fade"):
                table.add_column(c)
            for c in found[e.id]:
                info = tracks.get(c.track_id)
                table.add_row(
                    _tc(c.start),
                    _tc(c.end),
                    f"{c.duration:.1f} s",
                    info.title if info else f"#{c.track_id}",
                    _fmt_time(c.track_start),
                    f"{c.gain_db:+.1f} dB",
                    f"{c.confidence:.2f}",
                    "yes" if c.overlap else "",
                )
            out.print(table)
            continue
        text = _export(CueFormat.md if fmt is CueFormat.table else fmt, found[e.id], tracks, title)
        if output is None:
            out.print(text, markup=False, end="")
        else:
            dest = output if len(chosen) == 1 and output.suffix else output / f"{title}.{ext}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, encoding="utf-8")
            err.print(f"wrote {dest}", markup=False)


@app.command()
def scenes(
    track: Annotated[str, typer.Argument(help="Track id, path or title.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every episode and timecode where a track plays (from stored cue sheets)."""
    from heartsong.cues.library import scenes as find_scenes

    with _open() as lib:
        t = lib.track(track)
        found = find_scenes(lib, t)
    if as_json:
        _print_json({"track": t.to_dict(), "scenes": [s.to_dict() for s in found]})
        return
    out.print(f"[bold]{t.title}[/] plays in {len(found)} scene(s)")
    for s in found:
        num = f"E{s.number:02d} " if s.number is not None else ""
        out.print(
            f"  {num}{s.episode}: {_tc(s.start)} - {_tc(s.end)} "
            f"(track {_fmt_time(s.track_start)} - {_fmt_time(s.track_end)})"
            + (", cross-fade" if s.overlap else "")
        )


@app.command()
def identify(
    clip: Annotated[Path, typer.Argument(help="A recorded or cut clip (3 s or more).")],
    top: Annotated[int, typer.Option(help="How many candidates.")] = 3,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Name the track in a clip, the position in it, and the scenes where it plays."""
    from heartsong.cues.library import identify_clip

    with _open() as lib:
        hits = identify_clip(lib, clip, top=top)
    if as_json:
        _print_json(
            [
                {
                    "track": t.to_dict(),
                    "position": h.position,
                    "confidence": h.confidence,
                    "tempo": h.tempo,
                    "pitch_cents": h.pitch_cents,
                    "scenes": [s.to_dict() for s in sc],
                }
                for h, t, sc in hits
            ]
        )
        return
    if not hits:
        out.print(f"{clip}: no track of the library found in this clip")
        return
    for h, t, sc in hits:
        out.print(
            f"[bold]{t.title}[/] at {_fmt_time(h.position)} (confidence {h.confidence:.2f}"
            + (f", tempo x{h.tempo:.3f}" if abs(h.tempo - 1) > 0.005 else "")
            + (f", {h.pitch_cents:+.0f} cents" if abs(h.pitch_cents) > 15 else "")
            + ")"
        )
        for s in sc:
            num = f"E{s.number:02d} " if s.number is not None else ""
            out.print(f"  plays in {num}{s.episode} at {_tc(s.start)}")


@app.command()
def arc(
    episode: Annotated[str, typer.Argument(help="Episode id, path or title.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write a .png or .svg plot here.")
    ] = None,
    hop: Annotated[float, typer.Option(help="Seconds between points.")] = 1.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The emotional arc of an episode: valence and energy of its music over time."""
    from heartsong.cues.arc import arc_png, arc_svg, episode_arc
    from heartsong.cues.library import library_cues

    with _open() as lib:
        e = _episode(lib, episode)
        found, report = library_cues(lib, [e])
        if e.id not in found:
            reason = report.failed[0][1] if report.failed else "no cue sheet"
            raise HeartsongError(f"{e.path}: {reason}")
        result = episode_arc(lib, e, found[e.id], hop=hop)
    if output is not None:
        if output.suffix.lower() == ".svg":
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(arc_svg(result), encoding="utf-8")
        elif output.suffix.lower() == ".png":
            arc_png(result, output)
        else:
            raise ParameterError("output", f"must end in .png or .svg, got {output.name!r}")
        err.print(f"wrote {output}", markup=False)
    if as_json:
        _print_json(result.to_dict())
        return
    for title in result.missing:
        err.print(f"not analysed (left out): {title}", markup=False)
    out.print(f"[bold]{result.title}[/] ({_fmt_time(result.duration)})")
    out.print(f"  valence {sparkline(result.valence, width=72)}")
    out.print(f"  energy  {sparkline(result.energy, width=72)}")
    for sp in result.spans:
        out.print(
            f"  {_tc(sp.start)}-{_tc(sp.end)}  {sp.title}: valence {sp.valence:.2f}, "
            f"energy {sp.energy:.2f}",
            markup=False,
        )


_SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: Any, width: int = 60) -> str:
    """A curve as one line of block characters, scaled to its own range; ``None`` is a gap."""
    vals = [float("nan") if v is None else float(v) for v in values]
    if not vals:
        return ""
    if len(vals) > width:
        edges = [round(i * len(vals) / width) for i in range(width + 1)]
        buckets = [[x for x in vals[a:b] if x == x] for a, b in itertools.pairwise(edges)]
        vals = [sum(b) / len(b) if b else float("nan") for b in buckets]
    known = [x for x in vals if x == x]
    lo, hi = (min(known), max(known)) if known else (0.0, 0.0)
    steps = len(_SPARK) - 1
    return "".join(
        " " if x != x else _SPARK[round((x - lo) / (hi - lo) * steps) if hi > lo else 0]
        for x in vals
    )


@app.command()
def analyze(
    work: Annotated[str | None, typer.Option(help="Only this work's tracks.")] = None,
    force: Annotated[bool, typer.Option(help="Analyse again what is already done.")] = False,
    workers: Annotated[int, typer.Option(help="Tracks analysed side by side.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Analyse every track once: tempo, key, loudness, intensity, hook, emotion, moods, role."""
    from heartsong.analysis.library import analyze_library

    with _open() as lib:
        report, skipped = long_job(
            "analysing",
            "tracks",
            lambda bar: analyze_library(lib, work=work, force=force, workers=workers, progress=bar),
        )
    for path, reason in report.failed:
        err.print(f"skipped {path}: {reason}", markup=False)
    if as_json:
        _print_json({**report.to_dict(), "already_done": skipped})
        return
    out.print(f"analysed {report.done}, already done {skipped}, refused {len(report.failed)}")


@app.command()
def show(
    track: Annotated[str, typer.Argument(help="Track id, path or title.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Everything heartsong knows about one track."""
    from heartsong.analysis.library import ANALYSIS_KIND, stored_analysis

    with _open() as lib:
        t = lib.track(track)
        a = stored_analysis(lib, t)
        res = lib.result(t, ANALYSIS_KIND)
    if a is None:
        if res is not None and not res.ok:
            raise HeartsongError(f"{t.path}: analysis refused: {res.reason}")
        raise HeartsongError(f"{t.title!r} has no analysis yet; run `heartsong analyze`")
    if as_json:
        _print_json({"track": t.to_dict(), "analysis": a.to_dict()})
        return
    out.print(f"[bold]{t.title}[/]" + (f" - {t.artist}" if t.artist else "") + f"  ({t.work})")
    out.print(f"  file      {t.path}")
    out.print(
        f"  tempo     {a.tempo.bpm:.1f} BPM (confidence {a.tempo.confidence:.2f}, "
        f"or {a.tempo.alternative_bpm:.1f})"
    )
    out.print(f"  key       {a.key.tonic} {a.key.mode} (confidence {a.key.confidence:.2f})")
    out.print(
        f"  loudness  {a.loudness.integrated_lufs:.1f} LUFS, range {a.loudness.range_lu:.1f} LU,"
        f" peak {a.loudness.peak_dbfs:.1f} dBFS"
    )
    out.print(f"  duration  {_fmt_time(a.duration)}")
    st = a.structure
    out.print(f"  intensity {sparkline(st.intensity.values)}")
    if st.builds:
        builds = ", ".join(
            f"{_fmt_time(b.start)}-{_fmt_time(b.end)} (+{b.rise:.2f})" for b in st.builds
        )
        out.print(f"  builds    {builds}")
    secs = " ".join(f"{s.label}@{_fmt_time(s.start)}" for s in st.sections)
    out.print(f"  sections  {secs}")
    if st.hook is not None:
        out.print(
            f"  hook      {_fmt_time(st.hook.start)}-{_fmt_time(st.hook.end)}: {st.hook.reason}"
        )
    e = a.emotion
    out.print(f"  valence   {e.valence:.2f}  {sparkline(e.valence_curve.values)}")
    out.print(f"  energy    {e.energy:.2f}  {sparkline(e.energy_curve.values)}")
    if e.model is not None:
        m = e.model
        out.print(
            f"  model     danceability {m.danceability:.2f}, acousticness {m.acousticness:.2f},"
            f" instrumentalness {m.instrumentalness:.2f}  ({e.method})"
        )
    out.print("  moods")
    for mood in sorted(a.moods, key=lambda x: -x.score):
        if mood.score >= 0.2:
            out.print(f"    {mood.name:<20} {mood.score:.2f}  {mood.reason}", markup=False)
    role = a.role
    of = f" of {role.of_song!r}" if role.of_song else ""
    out.print(f"  role      {role.name}{of} ({role.confidence:.2f}): {role.reason}", markup=False)
    for w in a.warnings:
        out.print(f"  note      {w}", markup=False)


@app.command()
def tag(
    tracks: Annotated[
        list[str] | None, typer.Argument(help="Track ids, paths or titles (default: all).")
    ] = None,
    work: Annotated[str | None, typer.Option(help="Only this work's tracks.")] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the tags (default: only show the plan).")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """Write BPM, key, mood and valence/energy into the files' own tags (dry run by default).

    Uses each format's conventions (ID3 TBPM/TKEY/TXXX, Vorbis BPM/INITIALKEY/MOOD, MP4
    tmpo and freeform atoms). Audio data is never touched.
    """
    from heartsong.analysis.library import stored_analysis
    from heartsong.analysis.tags import write_tags

    plans = []
    with _open() as lib:
        chosen = [lib.track(r) for r in tracks] if tracks else lib.tracks(work=work)
        for t in chosen:
            a = stored_analysis(lib, t)
            if a is None:
                err.print(f"skipped {t.path}: not analysed (run `heartsong analyze`)", markup=False)
                continue
            try:
                plan = write_tags(t.path, a, dry_run=not write)
            except HeartsongError as exc:
                err.print(f"skipped {t.path}: {getattr(exc, 'reason', exc)}", markup=False)
                continue
            if plan.written:
                lib.adopt_rewrite(t)
            plans.append(plan)
    if as_json:
        _print_json([p.to_dict() for p in plans])
        return
    changing = [p for p in plans if p.pending]
    for p in changing:
        out.print(f"{p.path} ({p.format})", markup=False)
        for c in p.pending:
            out.print(f"  {c.field}: {c.old!r} -> {c.new!r}", markup=False)
    verb = "written" if write else "would change (dry run; add --write to write)"
    out.print(f"{len(changing)} of {len(plans)} file(s) {verb}")


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Where to write the demo soundtrack.")] = Path(
        "demo-soundtrack"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the composition.")] = 0,
    force: Annotated[bool, typer.Option(help="Regenerate even if present.")] = False,
    workers: Annotated[int, typer.Option(help="Processes for analysis and matching.")] = 2,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Generate the demo soundtrack (or reuse it), run everything on it, score it.

    Scan, analyze, index and cues run as they would on a user's folder; the results are
    then compared with the demo's ground truth. The library is DIRECTORY/library.db unless
    --library is given. Finished steps are skipped when run again.
    """
    from heartsong.demo.run import run_demo

    report = run_demo(directory, seed=seed, force=force, workers=workers,
                      library=_State.library, step=long_job)
    for path, reason in report.failed:
        err.print(f"skipped {path}: {reason}", markup=False)
    if as_json:
        _print_json(report.to_dict())
        return
    track_rows, cue_rows, work, library_path = (report.tracks, report.episodes, report.work,
                                                report.library)
    out.print(f"[bold]{work}[/] - demo soundtrack in {report.root} (seed {seed})")
    out.print(f"library {library_path}: {len(track_rows)} tracks, {len(cue_rows)} episodes")

    def mark(ok: bool) -> str:
        return "[green]✓[/]" if ok else "[red]✗[/]"

    table = Table(title="every song, against the ground truth", show_edge=False)
    for c in ("track", "role: truth / heard", "tempo", "key", "moods: truth / heard"):
        table.add_column(c, overflow="fold")
    for r in track_rows:
        octave = " (octave)" if r.tempo_octave and not r.tempo_ok else ""
        table.add_row(
            r.title,
            f"{mark(r.role_ok)} {r.role_truth} / {r.role or '-'}",
            f"{mark(r.tempo_ok)} {r.tempo_truth:.0f} / {r.tempo or 0:.1f}{octave}",
            f"{mark(r.key_ok)} {r.key_truth} / {r.key or '-'}",
            f"{mark(r.mood_ok)} {', '.join(r.moods_truth)} / {', '.join(r.moods)}",
        )
    out.print(table)
    n = max(1, len(track_rows))
    out.print(
        f"tempo {sum(r.tempo_ok for r in track_rows)}/{n} "
        f"(+{sum(r.tempo_octave and not r.tempo_ok for r in track_rows)} octave), "
        f"key {sum(r.key_ok for r in track_rows)}/{n}, role {sum(r.role_ok for r in track_rows)}"
        f"/{n}, mood {sum(r.mood_ok for r in track_rows)}/{n}"
    )
    table = Table(title="cues in every episode, against the ground truth", show_edge=False)
    for c in ("episode", "true cues", "found", "matched", "P", "R", "F1", "start err", "end err"):
        table.add_column(c)
    for c in cue_rows:
        table.add_row(
            c.episode,
            str(c.truth),
            str(c.found),
            str(c.matched),
            f"{c.precision:.2f}",
            f"{c.recall:.2f}",
            f"{c.f1:.2f}",
            f"{c.start_error_median:.2f} s",
            f"{c.end_error_median:.2f} s",
        )
    out.print(table)
    out.print(
        "next: heartsong --library "
        f"{library_path} show 'Where the Light Falls' | cues | arc 1 -o arc.png"
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: bad input of any kind is one line on stderr and exit 1.

    Click's standalone mode would print a boxed usage panel and exit 2 for a bad option;
    running without it lets usage errors share the one-line shape of every other error.
    """
    try:
        rv = app(args=argv, prog_name="heartsong", standalone_mode=False)
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `heartsong`: its message is the help
            err.print(exc.format_message(), markup=False, highlight=False)
            sys.exit(0)
        where = exc.ctx.command_path if exc.ctx is not None else "heartsong"
        message = " ".join(exc.format_message().split())
        err.print(f"{where}: {message} (see {where} --help)", markup=False, highlight=False)
        sys.exit(1)
    except ClickException as exc:  # e.g. a file option that cannot be opened
        err.print(f"heartsong: {exc.format_message()}", markup=False, highlight=False)
        sys.exit(1)
    except HeartsongError as exc:
        err.print(f"heartsong: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except (KeyboardInterrupt, typer.Abort):
        err.print("heartsong: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    # Without standalone mode, typer.Exit(code) comes back as the return value.
    if isinstance(rv, int) and rv:
        sys.exit(rv)


if __name__ == "__main__":
    main()
