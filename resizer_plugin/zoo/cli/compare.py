"""``zoo compare RECIPE_A RECIPE_B [RECIPE ...] --seeds N``: recipes trained once per seed, then a report that says
whether each beat the first."""
import os

import click

from .common import fail, recipe_file_or_fail

__all__ = ["compare_command"]


def _report(runs, output_dir, command, time_to):
    from ..compare.report import comparison_report, write_report
    from ..compare.time_to_accuracy import time_to_accuracy_sentence

    report = comparison_report(runs, time_to)
    paths = write_report(report, output_dir, command)
    for recipe in report["recipes"][1:]:
        click.echo(recipe["verdict"])
    for table in report["time_to_accuracy"]:
        click.echo(time_to_accuracy_sentence(table))
    click.echo("wrote {}, {} and {}".format(paths[1], paths[0], paths[2]))


@click.command("compare")
@click.argument("recipes", nargs=-1, required=True)
@click.option("--seeds", default=3, show_default=True, type=click.IntRange(min=1), help="runs per recipe (seeds 1..N)")
@click.option("--output-dir", default=os.path.join("runs", "compare"), show_default=True,
              help="DIR/<recipe name>/seed-<s>/ per run; report.md, report.json, report.png in DIR")
@click.option("--set", "overrides", multiple=True, metavar="KEY.PATH=VALUE", help="override every recipe's value")
@click.option("--data-dir", help="sets data.data_dir of every recipe")
@click.option("--time-to", "time_to", multiple=True, metavar="RECIPE_NAME",
              help="also report each recipe's time to this recipe's final accuracy (the baseline's always)")
def compare_command(recipes, seeds, output_dir, overrides, data_dir, time_to):
    """Train every RECIPE (a file, or an installed recipe's name) once per seed (the first recipe is the baseline),
    each run as zoo-run would, then report the final validation accuracy over seeds, each recipe's paired
    difference to the baseline with a 95% interval, and each recipe's time to the baseline's final accuracy. Run the
    same command again to resume an interrupted compare (or to report other --time-to targets)."""
    from ..compare.runner import CompareError, RunFailed, check_time_to, command_line, plan_runs, run_all
    from ..config.recipe import RecipeError

    try:
        runs = plan_runs([recipe_file_or_fail(r) for r in recipes], seeds, output_dir, overrides, data_dir)
        check_time_to(runs, time_to)
        run_all(runs, overrides, data_dir, progress=lambda line: click.echo("[zoo] compare {}".format(line),
                                                                            err=True))
    except (RecipeError, CompareError) as error:
        fail(str(error))
    except RunFailed as error:
        fail(str(error), 1)
    _report(runs, output_dir, command_line(recipes, seeds, output_dir, overrides, data_dir, time_to), time_to)
