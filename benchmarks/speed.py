#!/usr/bin/env python
"""Speed of evalguard beside its peers, measured in one run on the same files.

    python benchmarks/speed.py [--rw-corpus DIR] [--sample 0.03] [--out docs/performance.md]

Corpus: the Python sources of the installed torch package, plus the real-world corpus of
`../shared/tools/fetch_corpus.sh` when present (`--rw-corpus`, default: $EVALGUARD_RW_CORPUS
or /work/rw/corpus). Two sets are timed:

* the *sample* (every n-th file, `--sample` of them, copied to a scratch folder) for every
  tool: libcst's bare parse (the floor of any libcst linter), evalguard cold with
  `--jobs 1` and `--jobs 2`, evalguard with a warm cache, TorchFix, torch-preflight and
  `ruff check` (TorchFix and torch-preflight run at a few hundred lines per second, so
  the whole corpus would take hours);
* the *full* corpus for evalguard (cold `--jobs 2`, then warm) and ruff.

Peers run from their own virtual environments under `--peers` (created with pip on first
use; never dependencies of evalguard). Each command runs under `/usr/bin/time` for its
wall time and the peak memory of its largest process. The script prints a table and
the ratios the project's speed goals are stated in, and with `--out` writes them to a
markdown page.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
PEERS = {"torchfix": "torchfix", "torch-preflight": "torch-preflight", "ruff": "ruff"}
GOALS = {
    "evalguard -j2 cold / TorchFix (lines/s)": 20.0,
    "evalguard -j2 cold / torch-preflight (lines/s)": 5.0,
    "evalguard warm / ruff uncached (lines/s)": 0.25,
}


@dataclass
class Timing:
    name: str
    files: int
    lines: int
    wall: float
    peak_mb: float
    note: str = ""

    @property
    def lines_per_s(self) -> float:
        return self.lines / self.wall if self.wall else 0.0

    @property
    def files_per_s(self) -> float:
        return self.files / self.wall if self.wall else 0.0


# ------------------------------------------------------------------------------ corpus


def torch_sources() -> Optional[Path]:
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if p.is_file())


def count_lines(paths: list[Path]) -> int:
    return sum(p.read_bytes().count(b"\n") for p in paths)


def copy_corpus(files: list[tuple[str, Path]], dest: Path) -> list[Path]:
    out = []
    for rel, src in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        out.append(target)
    return out


def build_corpus(rw: Optional[Path], scratch: Path, sample: float) -> tuple[Path, list[Path], Path, list[Path], list[str]]:
    sources: list[tuple[str, Path]] = []
    origin = []
    torch_dir = torch_sources()
    if torch_dir is not None:
        sources += [(f"torch/{p.relative_to(torch_dir)}", p) for p in python_files(torch_dir)]
        origin.append(f"torch package ({torch_dir})")
    if rw is not None and rw.is_dir():
        sources += [(f"realworld/{p.relative_to(rw)}", p) for p in python_files(rw)]
        origin.append(f"real-world corpus ({rw})")
    if not sources:
        raise SystemExit("no corpus: install torch (pip install -e '.[dev]') or pass --rw-corpus")
    step = max(1, round(1 / sample))
    full_dir, sample_dir = scratch / "full", scratch / "sample"
    full = copy_corpus(sources, full_dir)
    sampled = copy_corpus(sources[::step], sample_dir)
    return full_dir, full, sample_dir, sampled, origin


# ------------------------------------------------------------------------------ tools


def peer_bin(peers: Path, name: str) -> Optional[Path]:
    """The executable of a peer in its own venv, installed on first use (None if that fails)."""
    venv = peers / f"venv-{name}"
    exe = venv / "bin" / name
    if exe.exists():
        return exe
    print(f"installing {name} into {venv} ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", PEERS[name]], check=True, capture_output=True,
                       timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"  could not install {name}: {exc}", file=sys.stderr)
        return None
    return exe if exe.exists() else None


def timed(cmd: list[str], cwd: Path, env: Optional[dict] = None) -> tuple[float, float, int]:
    """(wall seconds, peak RSS of the largest process in MB, exit code)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as fh:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-o", fh.name, "-f", "%e %M", *cmd], cwd=cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        try:
            peak_kb = float(fh.read().split()[-1])
        except (ValueError, IndexError):
            peak_kb = 0.0
    return wall, peak_kb / 1024, proc.returncode


def median_run(name: str, cmd: list[str], cwd: Path, files: int, lines: int, reps: int,
               env: Optional[dict] = None, prepare=None) -> Timing:
    walls, peaks = [], []
    for _ in range(reps):
        if prepare is not None:
            prepare()
        wall, peak, code = timed(cmd, cwd, env)
        if code not in (0, 1):
            return Timing(name, files, lines, 0.0, 0.0, f"failed (exit {code})")
        walls.append(wall)
        peaks.append(peak)
    return Timing(name, files, lines, statistics.median(walls), max(peaks))


def libcst_parse_script() -> str:
    return (
        "import sys, libcst\n"
        "for p in sys.argv[1:] or open(0).read().split():\n"
        "    try:\n"
        "        libcst.parse_module(open(p, 'rb').read())\n"
        "    except Exception:\n"
        "        pass\n"
    )


# ------------------------------------------------------------------------------ run


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rw-corpus", type=Path, default=Path(os.environ.get("EVALGUARD_RW_CORPUS", "/work/rw/corpus")))
    ap.add_argument("--sample", type=float, default=0.03, help="share of files in the sample every tool runs on")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of each timing (median)")
    ap.add_argument("--peers", type=Path, default=Path(os.environ.get("EVALGUARD_PEERS", Path.home() / ".cache" / "evalguard-bench")))
    ap.add_argument("--no-full", action="store_true", help="time only the sample")
    ap.add_argument("--out", type=Path, help="write the results to this markdown file")
    args = ap.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="evalguard-speed-"))
    try:
        full_dir, full, sample_dir, sample, origin = build_corpus(args.rw_corpus, scratch, args.sample)
        n_full, l_full = len(full), count_lines(full)
        n_sample, l_sample = len(sample), count_lines(sample)
        print(f"corpus: {n_full} files / {l_full:,} lines; sample: {n_sample} files / {l_sample:,} lines", file=sys.stderr)
        py = sys.executable
        eg = [py, "-m", "evalguard", "check", "--output-format", "json", "--exit-zero", "--isolated"]
        cache = scratch / "cache"
        rows: list[Timing] = []

        def run(name, cmd, cwd, files, lines, reps=args.reps, prepare=None):
            print(f"  timing {name} ...", file=sys.stderr)
            t = median_run(name, cmd, cwd, files, lines, reps, prepare=prepare)
            rows.append(t)
            return t

        listing = scratch / "sample-files.txt"
        listing.write_text("\n".join(str(p) for p in sample))
        script = scratch / "parse.py"
        script.write_text(libcst_parse_script())
        parse = run("libcst parse_module (1 process)", [py, str(script), *map(str, sample)], sample_dir, n_sample, l_sample)
        cold1 = run("evalguard cold --jobs 1", [*eg, "--no-cache", "-j", "1", "."], sample_dir, n_sample, l_sample)
        cold2 = run("evalguard cold --jobs 2", [*eg, "--no-cache", "-j", "2", "."], sample_dir, n_sample, l_sample)
        subprocess.run([*eg, "--cache-dir", str(cache), "-j", "2", "."], cwd=sample_dir, capture_output=True)
        warm = run("evalguard warm cache --jobs 2", [*eg, "--cache-dir", str(cache), "-j", "2", "."], sample_dir,
                   n_sample, l_sample)
        peers: dict[str, Timing] = {}
        exe = peer_bin(args.peers, "torchfix")
        if exe:
            peers["torchfix"] = run("TorchFix 0.7 (-j 2)", [str(exe), "-j", "2", "."], sample_dir, n_sample, l_sample, reps=1)
        exe = peer_bin(args.peers, "torch-preflight")
        if exe:
            peers["torch-preflight"] = run("torch-preflight (-j 2)", [str(exe), "check", "-q", "-j", "2", "."],
                                           sample_dir, n_sample, l_sample, reps=1)
        ruff = peer_bin(args.peers, "ruff")
        if ruff:
            peers["ruff"] = run("ruff check --no-cache", [str(ruff), "check", "--no-cache", "--exit-zero", "--isolated", "."],
                                sample_dir, n_sample, l_sample)
        full_rows = []
        if not args.no_full:
            full_cache = scratch / "full-cache"
            full_rows.append(run("evalguard cold --jobs 2 (full)", [*eg, "--cache-dir", str(full_cache), "-j", "2", "."],
                                 full_dir, n_full, l_full, reps=1))
            full_rows.append(run("evalguard warm cache --jobs 2 (full)", [*eg, "--cache-dir", str(full_cache), "-j", "2", "."],
                                 full_dir, n_full, l_full))
            if ruff:
                full_rows.append(run("ruff check --no-cache (full)", [str(ruff), "check", "--no-cache", "--exit-zero",
                                                                      "--isolated", "."], full_dir, n_full, l_full))
        startup = startup_times(py, sample[0])
        ratios = compute_ratios(cold2, warm, peers, full_rows)
        ceiling = parse_ceiling(parse, peers)
        text = render(rows, ratios, startup, origin, n_full, l_full, n_sample, l_sample, args, ceiling)
        print(text)
        if args.out:
            args.out.write_text(text)
            print(f"wrote {args.out}", file=sys.stderr)
        failed = [name for name, (value, goal) in ratios.items() if value is not None and value < goal]
        return 1 if failed else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 33rd..."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def startup_times(py: str, small: Path) -> dict[str, float]:
    """Median wall time of `evalguard --version` and of checking one small file, and the
    modules `import evalguard.cli` pulls in."""
    tmp = Path(tempfile.mkdtemp())
    try:
        one = tmp / "one.py"
        one.write_text("import torch\nmodel = torch.nn.Linear(2, 2)\nmodel.eval()\n")
        out = {}
        script = Path(py).with_name("evalguard")  # the command users type, when installed
        exe = [str(script)] if script.exists() else [py, "-m", "evalguard"]
        for name, cmd in (("evalguard --version", [*exe, "--version"]),
                          ("evalguard check one small file, cold (--no-cache)", [*exe, "check", "--no-cache", "-j", "1", str(one)]),
                          ("evalguard check one small file, warm cache", [*exe, "check", "-j", "1", str(one)])):
            walls = [timed(cmd, tmp)[0] for _ in range(5)]
            out[name] = statistics.median(walls)
        out["python -c 'import libcst' (the parser alone)"] = statistics.median(
            timed([py, "-c", "import libcst"], tmp)[0] for _ in range(5))
        probe = subprocess.run([py, "-c", "import sys, evalguard.cli; print(len(sys.modules), 'torch' in sys.modules)"],
                               capture_output=True, text=True)
        count, has_torch = (probe.stdout.split() + ["?", "?"])[:2]
        out["modules after `import evalguard.cli`"] = (
            f"{count} modules, torch {'imported (bug)' if has_torch == 'True' else 'not imported'}")
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def parse_ceiling(parse: Optional[Timing], peers: dict[str, Timing], jobs: int = 2) -> Optional[float]:
    """The best ratio to TorchFix that any libcst-based checker could reach on this corpus:
    libcst's bare parse of every file, spread perfectly over `jobs` processes, with no
    analysis at all."""
    torchfix = peers.get("torchfix")
    if parse is None or torchfix is None or not parse.wall or not torchfix.wall:
        return None
    return parse.lines_per_s * jobs / torchfix.lines_per_s


def compute_ratios(cold2: Timing, warm: Timing, peers: dict[str, Timing], full_rows: list[Timing]) -> dict:
    def ratio(a: Timing, b: Optional[Timing]) -> Optional[float]:
        if b is None or not a.wall or not b.wall:
            return None
        return a.lines_per_s / b.lines_per_s

    warm_full = next((t for t in full_rows if t.name.startswith("evalguard warm")), None)
    ruff_full = next((t for t in full_rows if t.name.startswith("ruff")), None)
    out = {
        "evalguard -j2 cold / TorchFix (lines/s)": (ratio(cold2, peers.get("torchfix")), 20.0),
        "evalguard -j2 cold / torch-preflight (lines/s)": (ratio(cold2, peers.get("torch-preflight")), 5.0),
    }
    if warm_full and ruff_full:
        out["evalguard warm / ruff uncached (lines/s)"] = (ratio(warm_full, ruff_full), 0.25)
    else:
        out["evalguard warm / ruff uncached (lines/s)"] = (ratio(warm, peers.get("ruff")), 0.25)
    return out


def render(rows, ratios, startup, origin, n_full, l_full, n_sample, l_sample, args, ceiling=None) -> str:
    machine = f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, {platform.system()}"
    lines = [
        "# evalguard performance",
        "",
        f"Measured {dt.date.today().isoformat()} on {machine} with `python benchmarks/speed.py"
        f" --sample {args.sample} --reps {args.reps}` (medians; one run for TorchFix and torch-preflight).",
        f"Corpus: {', '.join(origin)}: {n_full:,} files, {l_full:,} lines; the sample is every "
        f"{ordinal(max(1, round(1 / args.sample)))} file: {n_sample:,} files, {l_sample:,} lines.",
        "",
        "| tool / mode | files | lines | wall s | files/s | lines/s | peak MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for t in rows:
        if t.note:
            lines.append(f"| {t.name} | {t.files:,} | {t.lines:,} | - | - | - | - ({t.note}) |")
        else:
            lines.append(f"| {t.name} | {t.files:,} | {t.lines:,} | {t.wall:.1f} | {t.files_per_s:,.0f} | "
                         f"{t.lines_per_s:,.0f} | {t.peak_mb:,.0f} |")
    lines += ["", "| ratio | measured | goal |", "|---|---:|---:|"]
    for name, (value, goal) in ratios.items():
        shown = "-" if value is None else f"{value:.2f}x"
        verdict = "" if value is None else (" (met)" if value >= goal else " (missed)")
        lines.append(f"| {name} | {shown} | ≥ {goal:g}x{verdict} |")
    if ceiling is not None:
        lines += ["", f"Ceiling: libcst's bare parse of the sample, perfectly split over 2 processes with no "
                      f"analysis at all, would be {ceiling:.1f}x TorchFix. A ratio above that needs a checker "
                      "that does not parse every file it reads with libcst."]
    lines += ["", "| start-up | value |", "|---|---|"]
    for name, value in startup.items():
        lines.append(f"| {name} | {value if isinstance(value, str) else f'{value:.2f} s'} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
