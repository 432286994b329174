"""check and evaluate."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click

from classifiers.base import PostText
from monitor.classify import training
from monitor.classify.evaluate import CATEGORY_CHOICES, evaluate_rows
from monitor.classify.pipeline import check as check_post
from monitor.cli.common import get_app, print_json, progress
from monitor.errors import BadInput


def register(cli: click.Group) -> None:
    @cli.command()
    @click.argument("text", required=False)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def check(ctx: click.Context, text: str | None, as_json: bool) -> None:
        """Classify TEXT (or stdin when TEXT is '-' or absent) and show what would be flagged."""
        if text is None or text == "-":
            if text is None and sys.stdin.isatty():
                raise BadInput("TEXT: give the text to check, or '-' to read it from stdin")
            text = sys.stdin.read()
        app = get_app(ctx)
        result = check_post(app.pipeline, app.config, PostText(text))
        c = result.classification
        if as_json:
            print_json(
                {
                    "verdict": result.verdict,
                    "language": c.language,
                    "wording_assessed": c.wording_assessed,
                    "findings": [
                        {
                            "detector": d.finding.detector,
                            "category": d.finding.category,
                            "rule": d.finding.rule,
                            "start": d.finding.start,
                            "end": d.finding.end,
                            "score": round(d.finding.score, 4),
                            "explanation": d.finding.explanation,
                            "kind": d.finding.kind,
                            "decision": d.decision,
                        }
                        for d in result.findings
                    ],
                }
            )
            return
        click.echo(f"verdict: {result.verdict}")
        if not c.wording_assessed:
            click.echo(f"wording not assessed (language: {c.language})")
        for d in result.findings:
            f = d.finding
            click.echo(
                f"- {f.category} (rule {f.rule}, {d.decision}, score {f.score:.2f}) "
                f"at {f.start}-{f.end} {text[f.start:f.end]!r}: {f.explanation}"
            )
        for failure in c.failures:
            click.echo(f"! detector {failure.detector} failed ({failure.error})")

    @cli.command("train")
    @click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
                  default=None, help="The tweeteval folder (with offensive/train.tsv).")
    @click.option("--rollback", is_flag=True, help="Go back to the previous model.")
    @click.pass_context
    def train_cmd(ctx: click.Context, data_dir: Path | None, rollback: bool) -> None:
        """Retrain the wording model with employees' feedback; install it only if not worse."""
        app = get_app(ctx)
        if rollback:
            click.echo(f"now using: {training.rollback(app.config)}")
            return
        if data_dir is None:
            raise BadInput("--data: give the tweeteval folder (with offensive/train.tsv)")
        with click.progressbar(length=1, label="training (about a minute)") as bar:
            out = training.train(app.engine, app.config, data_dir)
            bar.update(1)
        click.echo(f"{out.n_feedback} feedback example(s) added to the base data")
        click.echo(f"held-out macro-F1 {out.before_macro_f1:.3f} -> {out.after_macro_f1:.3f}, "
                   f"offensive recall {out.before_recall:.3f} -> {out.after_recall:.3f}")
        if out.installed:
            click.echo(f"installed {out.model_dir.name}; `train --rollback` restores the previous")
        else:
            click.echo("not installed: the new model is worse on the held-out split")

    @cli.command("evaluate")
    @click.argument("data", type=click.Path(path_type=Path))
    @click.option("--category", required=True, type=click.Choice(CATEGORY_CHOICES),
                  help="What label 1 means: harmful, leak, a leak sub-category, or any.")
    @click.option("--show-errors", is_flag=True,
                  help="Also list the false positives and false negatives: line, label, what "
                  "was flagged, and the text (DATA is your own file).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def evaluate_cmd(ctx: click.Context, data: Path, category: str, show_errors: bool,
                     as_json: bool) -> None:
        """Measure precision, recall and F1 on labelled DATA (TSV label<TAB>text, or JSONL)."""
        app = get_app(ctx)
        result = evaluate_rows(app.pipeline, app.config, data, category,
                               progress=lambda rows: progress(rows, "classifying"))
        scores = result.scores
        errors = [{"line": r.line, "kind": r.mistake, "label": r.label,
                   "flagged": list(r.flagged), "text": r.text}
                  for r in result.rows if r.mistake]
        if as_json:
            print_json({**dataclasses.asdict(scores), "errors": errors} if show_errors
                       else scores)
            return
        s = scores
        click.echo(f"{category} on {data.name}: n={s.n}")
        click.echo(f"  precision {s.precision:.3f}  recall {s.recall:.3f}  F1 {s.f1:.3f}  "
                   f"macro-F1 {s.macro_f1:.3f}")
        click.echo(f"  tp {s.tp}  fp {s.fp}  fn {s.fn}  tn {s.tn}  "
                   f"{s.texts_per_second:.0f} texts/s")
        if not show_errors:
            return
        for kind, title in (("false_positive", "false positives (label 0, flagged)"),
                            ("false_negative", "false negatives (label 1, not flagged)")):
            wrong = [r for r in result.rows if r.mistake == kind]
            click.echo(f"{title}: {len(wrong)}")
            for r in wrong:
                flagged = ", ".join(r.flagged) or "nothing"
                text = r.text if len(r.text) <= 120 else r.text[:119] + "…"
                click.echo(f"  line {r.line}: label {r.label}, flagged {flagged}: {text!r}")
