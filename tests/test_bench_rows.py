"""Benchmark scripts report rows through one helper; bench/run.py turns them into one table."""

import importlib.util
from pathlib import Path

import pytest
from payalert_testing.benchmarks import ROWS_ENV, read_rows, report_row

RUNNER = Path(__file__).resolve().parents[1] / "bench" / "run.py"


def _runner():
    spec = importlib.util.spec_from_file_location("bench_run", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_are_appended_when_the_runner_asks(tmp_path, monkeypatch, capsys):
    rows_file = tmp_path / "rows.jsonl"
    monkeypatch.setenv(ROWS_ENV, str(rows_file))
    report_row("ingest", "2,000 req/s", "bare: 4,000 req/s", "0.50", "≥ 0.5", True)
    report_row("start-up", "0.8 s", target="≤ 1 s", met=False)
    rows = read_rows(str(rows_file))
    assert [(r.benchmark, r.ratio, r.met) for r in rows] == [
        ("ingest", "0.50", True),
        ("start-up", "–", False),
    ]
    assert "MISSED" in capsys.readouterr().out


def test_without_the_runner_rows_are_only_printed(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(ROWS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    report_row("parsing", "200/s")
    assert "parsing: 200/s" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_the_runner_prints_one_table_in_either_form(tmp_path, monkeypatch):
    rows_file = tmp_path / "rows.jsonl"
    monkeypatch.setenv(ROWS_ENV, str(rows_file))
    report_row("ingest", "2,000 req/s", "bare: 4,000 req/s", "0.50", "≥ 0.5", True)
    report_row("parsing", "200/s")
    runner = _runner()
    rows = read_rows(str(rows_file))
    markdown = runner.table(rows, markdown=True).splitlines()
    assert markdown[0].startswith("| benchmark | payalert |")
    assert markdown[2] == "| ingest | 2,000 req/s | bare: 4,000 req/s | 0.50 | ≥ 0.5 — met |"
    assert markdown[3].endswith("| reported |")  # no target: just the verdict
    plain = runner.table(rows, markdown=False).splitlines()
    assert plain[1].split()[:3] == ["ingest", "2,000", "req/s"]
    assert {script.name for script in runner.benchmark_scripts()} >= {
        "ingest.py",
        "bench_latency.py",
        "bench_telegram.py",
        "bench_imap.py",
        "bench_binance_poll.py",
        "bench_banktext.py",
    }


def test_help_prints_usage_and_starts_nothing(monkeypatch, capsys):
    runner = _runner()
    started = []
    monkeypatch.setattr(runner.subprocess, "run", lambda *args, **kwargs: started.append(args))
    with pytest.raises(SystemExit) as done:
        runner.main(["--help"])
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        runner.main(["--markdwon"])
    assert done.value.code == 2 and "unrecognized arguments: --markdwon" in capsys.readouterr().err
    assert started == []
