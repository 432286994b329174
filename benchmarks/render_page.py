"""Write docs/benchmarks.md from benchmarks/results/*.json and benchmarks/anchors.json.

Run: `python benchmarks/render_page.py` (after the benchmarks; `benchmarks/run_all.sh` does
both). Every figure on the page comes from those files; nothing is typed by hand here
except the published anchors, which live with their sources in anchors.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from _common import REPO, RESULTS

PAGE = REPO / "docs" / "benchmarks.md"
ANCHORS = json.loads((REPO / "benchmarks" / "anchors.json").read_text(encoding="utf-8"))
T = ANCHORS["targets"]


def load(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def n(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    if isinstance(value, int | float):
        return f"{value:,.{digits}f}"
    return str(value)


def table(head: list[str], rows: list[list[Any]]) -> str:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out) + "\n"


class Targets:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def check(self, what: str, target: str, value: Any, ok: Callable[[Any], bool] | None,
              shown: str, partial: bool = False) -> None:
        if value is None or ok is None:
            verdict = "not measured (benchmark not run)"
        elif partial:
            verdict = "not measured at full size (a smaller run)"
        else:
            verdict = "**met**" if ok(value) else "**MISSED**"
        self.rows.append([what, target, shown if value is not None else "–", verdict])


def section_machine(parts: list[str], results: dict[str, Any]) -> None:
    machine = next((r["machine"] for r in results.values() if r and "machine" in r), None)
    parts.append("## The machine\n")
    if machine:
        parts.append(table(["Python", "architecture", "CPUs", "processor"],
                           [[machine["python"], machine["machine"], machine["cpus"],
                             machine["processor"]]]))
    runs = [[f"`{name}.json`", datetime.fromtimestamp((RESULTS / f"{name}.json").stat().st_mtime,
                                                      UTC).strftime("%Y-%m-%d %H:%M UTC")]
            for name, r in results.items() if r]
    parts.append("\n" + table(["result file", "written"], runs))


def section_speed(parts: list[str], results: dict[str, Any], targets: Targets) -> None:
    pipe, leak, harm = results["bench_pipeline"], results["bench_leak"], results["bench_harmful"]
    parts.append("## Classification speed (one core)\n")
    whole = None
    if pipe:
        parts.append(f"`python benchmarks/bench_pipeline.py`: {pipe['texts']:,} texts "
                     "(tweeteval offensive test+val and the Presidio synthetic PII sentences).\n")
        rows = [[r["stage"], n(r["posts_per_second"])] for r in pipe["stages"]]
        parts.append(table(["stage", "posts/s"], rows))
        whole = next(r["posts_per_second"] for r in pipe["stages"]
                     if r["stage"] == "whole pipeline")
        lat = pipe["latency_ms"]
        parts.append(f"\nSingle post through the whole pipeline: median {lat['median']:.2f} ms, "
                     f"p99 {lat['p99']:.2f} ms; peak RSS {pipe['peak_rss_mb']} MB. The wording "
                     f"model's arithmetic: {pipe.get('wording_kernel', 'not recorded')}.\n")
    mem = results["bench_memory"]
    if mem:
        steps = ", ".join(f"{s['rss_mb']} MB after {s['posts']:,}" for s in mem["steps"][1:])
        parts.append(f"\n`python benchmarks/bench_memory.py`: the pipeline's RSS as it classifies "
                     f"{mem['texts']:,} real tweets once each: {mem['after_load_mb']} MB loaded, "
                     f"{steps} (caches bounded at {mem['cache_entries']:,} entries).\n")
    presidio = leak["presidio_pattern_only_posts_per_s"] if leak else None
    if leak:
        parts.append(f"\n`python benchmarks/bench_leak.py`: the leak stage and Presidio's "
                     f"pattern-only analyzer on the same {leak['texts']:,} texts, same run.\n")
        parts.append(table(["", "posts/s", "ratio"], [
            ["ours: leak stage (5 detectors)", n(leak["leak_stage_posts_per_s"]),
             f"{leak['ratio_ours_over_presidio']}x"],
            ["Presidio pattern-only", n(presidio), "1x"]]))
    if harm:
        parts.append("\n`python benchmarks/bench_harmful.py`: harmful wording, ours beside the "
                     "packages one would use instead, same texts, same run.\n")
        rows = []
        for name in ("ours", "alt-profanity-check", "better-profanity"):
            r = harm.get(name)
            if r:
                rows.append([name, n(r.get("posts_per_s")), n(r.get("latency_ms_median"), 2),
                             n(r.get("latency_ms_p99"), 2)])
        parts.append(table(["model", "posts/s", "latency median ms", "latency p99 ms"], rows))
    # bench_pipeline times Presidio on the same texts in the same run: prefer its ratio.
    same_run = pipe.get("ratio_whole_over_presidio") if pipe else None
    ratio = same_run or (whole / presidio if whole and presidio else None)
    how = "same texts, same run" if same_run else "pipeline and Presidio figures from two runs"
    targets.check("whole pipeline throughput", f">= {T['pipeline_posts_per_s']:,} posts/s/core",
                  whole, lambda v: v >= T["pipeline_posts_per_s"], f"{n(whole)} posts/s")
    targets.check("whole pipeline vs Presidio pattern-only",
                  f">= {T['pipeline_over_presidio']}x", ratio,
                  lambda v: v >= T["pipeline_over_presidio"],
                  f"{ratio:.2f}x ({how})" if ratio else "")
    leak_ps = leak["leak_stage_posts_per_s"] if leak else None
    targets.check("leak stage throughput", f">= {T['leak_stage_posts_per_s']:,} posts/s/core",
                  leak_ps, lambda v: v >= T["leak_stage_posts_per_s"],
                  f"{n(leak_ps)} posts/s ({leak['ratio_ours_over_presidio']}x Presidio)"
                  if leak else "")


def section_quality(parts: list[str], results: dict[str, Any], targets: Targets) -> None:
    harm, lq = results["bench_harmful"], results["leak_quality"]
    parts.append("## Quality\n")
    if harm:
        parts.append("Harmful wording, macro-F1 on tweeteval offensive test (hate test beside "
                     "it; every model over-flags there):\n")
        rows = []
        for name in ("ours", "alt-profanity-check", "better-profanity"):
            r = harm.get(name)
            if r:
                rows.append([name + " (this run)",
                             n(r["offensive"]["macro_f1"], 1), n(r["offensive"]["recall"], 3),
                             n(r["hate"]["macro_f1"], 1)])
        for name, f1 in ANCHORS["offensive_macro_f1_measured_earlier"].items():
            if not name.startswith("_"):
                rows.append([f"{name} (measured earlier, issue 5)", n(f1, 1), "–", "–"])
        for name, f1 in ANCHORS["offensive_macro_f1_published"].items():
            if not name.startswith("_"):
                rows.append([f"{name} (published)", n(f1, 1), "–", "–"])
        parts.append(table(["model", "offensive macro-F1", "offensive recall", "hate macro-F1"],
                           rows))
        ours = harm["ours"]
        targets.check("offensive macro-F1", f">= {T['offensive_macro_f1']}",
                      ours["offensive"]["macro_f1"], lambda v: v >= T["offensive_macro_f1"],
                      n(ours["offensive"]["macro_f1"], 1))
        targets.check("offensive recall", f">= {T['offensive_recall']}",
                      ours["offensive"]["recall"], lambda v: v >= T["offensive_recall"],
                      n(ours["offensive"]["recall"], 3))
        # The whole detector (lexicon, findings, highlights), not the model score alone.
        det = ours.get("detector") or ours
        targets.check("harmful wording throughput (batch, whole detector)",
                      f">= {T['harmful_posts_per_s']:,} posts/s",
                      det.get("posts_per_s"), lambda v: v >= T["harmful_posts_per_s"],
                      f"{n(det.get('posts_per_s'))} "
                      f"(model score alone {n(ours.get('posts_per_s'))})")
        targets.check("harmful single-post latency", f"< {T['harmful_latency_ms']} ms",
                      det.get("latency_ms_p99"), lambda v: v < T["harmful_latency_ms"],
                      f"{n(det.get('latency_ms_p99'), 2)} ms p99")
    if lq:
        parts.append("\nPersonal data, span-level F1 per kind on the Presidio synthetic PII set "
                     "(`python benchmarks/leak_quality.py`):\n")
        earlier = ANCHORS["pii_f1_presidio_pattern_only_earlier"]
        rows = []
        for kind, r in lq["pii_spans"].items():
            p = lq.get("presidio_pattern_only_pii_spans", {}).get(kind, {})
            rows.append([kind, n(r["f1"], 2), n(p.get("f1"), 2), n(earlier.get(kind), 2),
                         n(T["pii_f1"].get(kind), 2)])
            if kind in T["pii_f1"]:
                goal = T["pii_f1"][kind]
                targets.check(f"PII F1: {kind}", f">= {goal}", r["f1"],
                              lambda v, goal=goal: v >= goal, n(r["f1"], 2))
        parts.append(table(["kind", "ours", "Presidio pattern-only (this run)",
                            "Presidio (issue 4)", "target"], rows))
        cred, legal = lq["credentials"], lq["legal"]
        parts.append("\n" + table(["detector", "precision", "recall", "F1",
                                   "false alarms on ordinary posts"], [
            ["credentials", n(cred["precision"], 3), n(cred["recall"], 3), n(cred["f1"], 3),
             f"{cred['false_alarm_rate']:.2%}"],
            ["legal talk", n(legal["precision"], 3), n(legal["recall"], 3), n(legal["f1"], 3),
             f"{legal['false_alarm_rate']:.2%}"]]))
        targets.check("credentials F1", f">= {T['credentials_f1']}", cred["f1"],
                      lambda v: v >= T["credentials_f1"], n(cred["f1"], 3))
        targets.check("credentials false alarms", f"<= {T['credentials_false_alarm_rate']:.1%}",
                      cred["false_alarm_rate"],
                      lambda v: v <= T["credentials_false_alarm_rate"],
                      f"{cred['false_alarm_rate']:.2%}")


def section_polling(parts: list[str], results: dict[str, Any], targets: Targets) -> None:
    poll = results["bench_polling"]
    parts.append("## Polling at scale\n")
    steady = rss = None
    if poll:
        emb = poll["embedded"]
        parts.append(f"`{poll['command']}`: {poll['accounts']:,} accounts on the local fake "
                     f"API server ({', '.join(f'{k} {v:,}' for k, v in poll['networks'].items())}"
                     f"), the embedded daemon's tick with its worker pool "
                     f"(polling.workers {poll['settings']['workers']}, batch_size "
                     f"{poll['settings']['batch_size']}) run back to back, SQLite. Post texts: "
                     f"{poll['texts']}. The fake server runs in its own process.\n")
        rows = []
        for c in emb["cycles"]:
            t = c["totals"]
            rows.append([c["cycle"], n(c["seconds"], 1), n(t.get("accounts", 0)),
                         n(c["accounts_per_second"], 1), n(c["requests"]),
                         n(c["posts_stored"]), n(c["posts_per_second"], 1), n(c["findings"]),
                         ", ".join(f"{k} {v}" for k, v in t.items() if k in (
                             "rate_limited", "source_unavailable", "unavailable", "error")) or "–"])
        parts.append(table(["cycle", "seconds", "polls", "polls/s", "requests", "posts stored",
                            "posts/s stored+classified", "findings", "errors"], rows))
        mix = next((c.get("mix") for c in emb["cycles"] if c.get("mix")), None)
        if mix:
            parts.append(f"\nThe realistic mix: {mix['accounts_with_new_posts']:,} accounts with "
                         f"1-3 new posts, {mix['accounts_with_backlog_120']:,} with a backlog of "
                         f"120 (several pages), {mix['rate_limited']} answering 429 once (the "
                         f"network rests until the reset, then resumes) and "
                         f"{mix['server_errors']} answering 503 once (backed off to a later "
                         "cycle).\n")
        left = sorted({n for c in emb["cycles"] for n in c.get("left_resting", [])})
        if left:
            parts.append(
                f"\nLeft for later: the due accounts of {', '.join(left)}, whose network was "
                "still resting on a rate limit when everything else was done. The rest is per "
                "network: one Mastodon server's 429 rests every Mastodon account, a known "
                "limitation (per-server rests would be better).\n")
        parts.append(f"\nDatabase after the three cycles: {emb['db_size_mb']} MB "
                     f"({emb['posts_in_db']:,} posts). Daemon peak RSS: {emb['peak_rss_mb']} MB.\n")
        steady = next(c["seconds"] for c in emb["cycles"] if c["cycle"] == "no new posts")
        rss = emb["peak_rss_mb"]
        parts.append(
            f"\nThe tick picks at most `polling.batch_size` accounts, every "
            f"`daemon.tick_seconds`. With the shipped {poll['settings']['batch_size']} per "
            f"{poll['shipped_tick_seconds']} s, a {poll['accounts']:,}-account cycle takes at "
            f"least **{n(poll['scheduled_cycle_seconds_shipped_tick'])} s** by schedule alone, "
            "whatever the machine can do; a deployment of this size should raise "
            "`polling.batch_size` (or lower `tick_seconds`) so that "
            "accounts / batch_size x tick_seconds stays under `polling.interval_minutes`.\n")
        pg = poll["scaleout"]
        if "skipped" in pg:
            parts.append(f"\nScale-out on PostgreSQL: skipped ({pg['skipped']}).\n")
        else:
            parts.append(f"\nScale-out: {pg['workers']} `social-monitor worker` processes "
                         f"(procrastinate, concurrency {pg['concurrency_per_worker']} each, "
                         f"dispatch batch {pg['batch_size']} every {pg['tick_seconds']} s) on "
                         f"PostgreSQL, same accounts and server. The first cycle includes the "
                         f"workers' start-up (loading the models).\n")
            parts.append(table(["cycle", "seconds", "accounts handled", "accounts/s"], [
                [c["cycle"], n(c["seconds"], 1), n(c["polled"]), n(c["accounts_per_second"], 1)]
                for c in pg["cycles"]]))
            parts.append(f"\nDatabase: {pg['db_size_mb']} MB; worker peak RSS: "
                         f"{', '.join(f'{m} MB' for m in pg['worker_peak_rss_mb'])}.\n")
        small = poll["accounts"] < 10_000
        note = f" (measured at {poll['accounts']:,} accounts only)" if small else ""
        targets.check("10,000-account cycle, no new posts", f"< {T['cycle_no_new_posts_s']} s",
                      steady, lambda v: v < T["cycle_no_new_posts_s"],
                      f"{n(steady, 1)} s back to back{note}; "
                      f"{n(poll['scheduled_cycle_seconds_shipped_tick'])} s with the shipped "
                      "tick and batch size", partial=small)
        targets.check("daemon RSS at 10,000 accounts", f"< {T['daemon_rss_mb']} MB", rss,
                      lambda v: v < T["daemon_rss_mb"], f"{rss} MB{note}",
                      partial=small)
    else:
        targets.check("10,000-account cycle, no new posts", "< 60 s", None, None, "")


def section_growth(parts: list[str], results: dict[str, Any], targets: Targets) -> None:
    g = results["bench_growth"]
    parts.append("## Growth\n")
    if not g:
        targets.check("review page p99 at 10^6 posts", "< 100 ms", None, None, "")
        return
    parts.append(f"`{g['command']}` (SQLite). Accounts: the tick's due-account pick, one "
                 "tick of one batch (`polling.batch_size` accounts, or all of them if fewer) "
                 "with a connector that answers at once (our own work only), and the peak "
                 "Python allocation during a tick.\n")
    parts.append(table(["accounts", "pick p50 ms", "pick p99 ms", "tick ms (one batch)",
                        "tick peak alloc MB", "process RSS MB", "db MB"], [
        [n(r["accounts"]), n(r["pick"]["p50_ms"], 2), n(r["pick"]["p99_ms"], 2),
         n(r["tick_ms_median"], 1), n(r["tick_peak_alloc_mb"], 2), n(r["rss_mb"]),
         n(r["db_size_mb"], 1)] for r in g["accounts"]]))
    parts.append("\nStored posts (10,000 employees, 5% of posts flagged, a fifth of those "
                 "open): the review page's queries for one employee (`flags.list_open` + "
                 "`flags.snoozed_count`, what `GET /` runs), composing one digest, the hourly "
                 "digest run over every employee (measured at the smallest size only, to bound "
                 "the run: one indexed existence query per employee whose hour has come), and "
                 "the store step's lookup of a new post.\n")
    parts.append(table(["posts", "open flags of the employee", "review p50 ms", "review p99 ms",
                        "digest compose p50 ms", "digest run s (all employees)",
                        "new-post lookup p50 ms", "db MB"], [
        [n(r["posts"]), n(r["open_flags_of_employee"]), n(r["review_page"]["p50_ms"], 2),
         n(r["review_page"]["p99_ms"], 2), n(r["digest_compose"]["p50_ms"], 2),
         n(r["digest_run_seconds"], 2), n(r["new_post_lookup"]["p50_ms"], 2),
         n(r["db_size_mb"], 1)] for r in g["posts"]]))
    last = g["posts"][-1]
    if "review_query_plan" in last:
        parts.append("\nSQLite's plans at the largest size: review query "
                     + "; ".join(f"`{p}`" for p in last["review_query_plan"])
                     + "; new-post lookup "
                     + "; ".join(f"`{p}`" for p in last["lookup_query_plan"]) + ".\n")
    big = last["posts"] >= 1_000_000
    p99 = last["review_page"]["p99_ms"]
    note = "" if big else f" (measured at {last['posts']:,} posts only)"
    targets.check("review page p99 at 10^6 posts", f"< {T['review_page_p99_ms']} ms", p99,
                  lambda v: v < T["review_page_p99_ms"], f"{n(p99, 1)} ms{note}",
                  partial=not big)


def section_e2e(parts: list[str], results: dict[str, Any], targets: Targets) -> None:
    e = results["bench_e2e"]
    parts.append("## End to end\n")
    if not e:
        targets.check("alert after the poll that sees the post", "< 5 s", None, None, "")
        return
    parts.append(f"`{e['command']}`: a real `social-monitor run` process (tick "
                 f"{e['settings']['tick_seconds']} s, {e['settings']['workers']} workers, SQLite), "
                 "X accounts on the local fake API server, alerts to the local SMTP sink; "
                 f"{len(e['trials'])} trials. The post is published when its account is due, "
                 "so appear-to-mail excludes the wait for the next scheduled poll (up to "
                 "`polling.interval_minutes`, 15 by default).\n")
    parts.append(table(["", "median s", "max s"], [
        ["poll-to-mail", n(e["poll_to_mail_s"]["median"], 2), n(e["poll_to_mail_s"]["max"], 2)],
        ["appear-to-mail", n(e["appear_to_mail_s"]["median"], 2),
         n(e["appear_to_mail_s"]["max"], 2)]]))
    worst = e["poll_to_mail_s"]["max"]
    targets.check("alert after the poll that sees the post", f"< {T['poll_to_mail_s']} s",
                  worst, lambda v: v < T["poll_to_mail_s"], f"{n(worst, 2)} s (worst trial)")


def main() -> None:
    names = ["bench_pipeline", "bench_leak", "leak_quality", "bench_harmful", "bench_polling",
             "bench_growth", "bench_e2e", "bench_memory"]
    results = {name: load(name) for name in names}
    targets = Targets()
    body: list[str] = []
    section_speed(body, results, targets)
    section_quality(body, results, targets)
    section_polling(body, results, targets)
    section_growth(body, results, targets)
    section_e2e(body, results, targets)
    parts = [
        "# Benchmarks\n",
        "Speed, scale and quality of social-monitor beside what one would use instead, "
        "measured on the same data on one machine. Generated by `benchmarks/render_page.py` "
        "from `benchmarks/results/*.json` (figures measured by the benchmark scripts) and "
        "`benchmarks/anchors.json` (published figures and earlier measurements, with their "
        "sources); do not edit by hand. Benchmarks are not tests: they never fail on timing.\n",
        "## Targets\n",
        table(["what", "target", "measured", "verdict"], targets.rows),
    ]
    section_machine(parts, results)
    parts += body
    parts += ["## Commands\n",
              "From the repository root, with `../shared/data` beside it and the virtual "
              "environment active:\n",
              "```sh\nbenchmarks/run_all.sh          # everything, then this page\n"
              "python benchmarks/bench_pipeline.py\npython benchmarks/bench_leak.py\n"
              "python benchmarks/leak_quality.py\npython benchmarks/bench_polling.py   "
              "# --accounts 500 for a quick run; --no-postgres\n"
              "python benchmarks/bench_growth.py    # --max-accounts 10000 --max-posts 100000\n"
              "python benchmarks/bench_e2e.py\npython benchmarks/bench_harmful.py\n"
              "python benchmarks/render_page.py\n```\n",
              "A speed change must not change what is found, and wall-clock figures here move "
              "10-15 % between runs of the same code. So compare two versions with:\n",
              "```sh\npython benchmarks/findings_digest.py      # a digest of every finding on "
              "~45,000 texts: must not change\n"
              "benchmarks/count_instructions.sh whole 300 [OTHER_CHECKOUT]   # instructions a "
              "post (callgrind)\n```\n"]
    PAGE.parent.mkdir(parents=True, exist_ok=True)
    PAGE.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {PAGE}")


if __name__ == "__main__":
    main()
