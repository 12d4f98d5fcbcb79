"""The child process of `--confirm`: install the tracer, cut DataLoaders, run the script
as `__main__`, and always leave a JSON record behind — at the start, every second while
it runs (a SIGKILL still leaves data), on SIGTERM (the parent's time limit) and at the
end, with the script's exit status or the tail of its traceback.

Started only by `evalguard.dynamic.launch`: `python -m evalguard.dynamic.bootstrap CONFIG`
where CONFIG is a JSON file with `script` (absolute), `args`, `max_batches`, `device`,
`impact` (call paths whose forwards get an eval-mode replay) and `record` (where to write).
"""
from __future__ import annotations

import functools
import itertools
import json
import os
import runpy
import signal
import sys
import threading
import traceback
from typing import Any, Optional

RECORD_VERSION = 1
FLUSH_S = 1.0
TRACEBACK_LINES = 40
_INTERNAL = (os.path.dirname(os.path.realpath(__file__)) + os.sep, "<frozen runpy>", f"{os.sep}runpy.py")


class Recorder:
    """Writes the record atomically (a temporary file, then a rename), so that a reader
    never sees half of it: when asked, and every FLUSH_S seconds from a daemon thread, so
    that even a SIGKILL leaves what was recorded until shortly before."""

    def __init__(self, path: str, run: dict[str, Any]):
        self.path = path
        self.run = run
        self.parts: list[Any] = []  # objects with to_json(), merged into the record
        self._serial = itertools.count()
        self._stop = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._periodically, name="evalguard-recorder", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _periodically(self) -> None:
        while not self._stop.wait(FLUSH_S):
            self.write()

    def write(self) -> None:
        data: dict[str, Any] = {"version": RECORD_VERSION, "run": dict(self.run)}
        for part in self.parts:
            data.update(part.to_json())
        write_json(self.path, data, f"{self.path}.{os.getpid()}.{next(self._serial)}.tmp")


def write_json(path: str, data: dict[str, Any], tmp: Optional[str] = None) -> None:
    tmp = tmp or f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def main(config_path: str) -> int:
    with open(config_path, encoding="utf-8") as fh:
        config = json.load(fh)
    record_path = config["record"]
    try:
        import torch
    except Exception as exc:  # torch missing or broken: the parent turns this into TorchMissing
        write_json(record_path, {"version": RECORD_VERSION, "fatal": "torch", "detail": f"{type(exc).__name__}: {exc}"})
        return 3
    if config["device"] == "cuda" and not torch.cuda.is_available():
        write_json(record_path, {"version": RECORD_VERSION, "fatal": "cuda",
                                 "detail": "--device cuda was asked for, but torch.cuda.is_available() is False"})
        return 3

    script = config["script"]
    run: dict[str, Any] = {"finished": False, "exit_code": None, "error": None, "traceback": None, "where": None}
    try:
        tracer, cut, recorder = _setup(config, run)
    except Exception:  # a bug in evalguard, not in the script: the parent says so
        write_json(record_path, {"version": RECORD_VERSION, "fatal": "internal", "detail": traceback.format_exc()})
        return 3
    sys.argv = [script, *config["args"]]
    sys.path[0] = os.path.dirname(script)
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = _exit_status(exc.code)
    except BaseException as exc:  # the script's own failure, reported by the parent
        code = 1
        run["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        run["traceback"] = _traceback_tail(exc)
        traceback.print_exception(type(exc), exc, exc.__traceback__)
    finally:
        recorder.stop()
        tracer.uninstall()
        cut.uninstall()
        run.update(finished=True, exit_code=code)
        recorder.write()
    return code


def _setup(config: dict[str, Any], run: dict[str, Any]) -> tuple[Any, Any, Recorder]:
    from evalguard.dynamic.loaders import LoaderCut
    from evalguard.dynamic.tracer import Tracer

    recorder = Recorder(config["record"], run)
    tracer = Tracer(os.path.dirname(config["script"]), impact_paths=config["impact"])
    cut = LoaderCut(config["max_batches"])
    recorder.parts += [tracer, _Loaders(cut)]
    recorder.write()
    signal.signal(signal.SIGTERM, functools.partial(_on_sigterm, recorder, os.getpid()))
    cut.install()
    tracer.install()
    recorder.start()
    return tracer, cut, recorder


class _Loaders:
    def __init__(self, cut: Any):
        self.cut = cut

    def to_json(self) -> dict[str, Any]:
        return {"loaders": self.cut.to_json()}


def _exit_status(code: Any) -> int:
    """What `sys.exit(code)` makes the process exit with."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _on_sigterm(recorder: Recorder, pid: int, signum: int, frame: Any) -> None:
    """The parent's time limit: note where the script was, write what was recorded, exit.
    (Forked DataLoader workers inherit this handler; they just exit.)"""
    if os.getpid() == pid:
        recorder.run["where"] = _stack_tail(frame)
        recorder.write()
    os._exit(128 + signum)


def _is_internal(filename: str) -> bool:
    return filename.startswith(_INTERNAL[0]) or filename == _INTERNAL[1] or filename.endswith(_INTERNAL[2])


def _traceback_tail(exc: BaseException) -> str:
    """The traceback without evalguard's and runpy's frames, last lines only."""
    te = traceback.TracebackException.from_exception(exc)
    te.stack = traceback.StackSummary.from_list([f for f in te.stack if not _is_internal(f.filename)])
    lines = "".join(te.format()).splitlines()
    return "\n".join(lines[-TRACEBACK_LINES:])


def _stack_tail(frame: Any) -> str:
    stack = [f for f in traceback.extract_stack(frame) if not _is_internal(f.filename)]
    lines = "".join(traceback.format_list(stack)).splitlines()
    lines.insert(0, "Stack when the time limit hit (most recent call last):")
    return "\n".join(lines[-TRACEBACK_LINES:])


if __name__ == "__main__":
    status = main(sys.argv[1])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # the script is done: do not wait for its non-daemon threads
