"""The paths the commands write to: missing folders above them are made (as mkdir -p); a file in the way is one
line naming it, exit status 2, no traceback; and two inputs that were tracebacks (a recipe that is not UTF-8, a
checkpoint number in other digits than ASCII's)."""
import pytest

from .builders import RECIPES, small_recipe, write_recipe, zoo, zoo_run


def _one_line_error(result, *phrases):
    """Exit status 2, and the one error line, the last, holding every phrase; no traceback, no --resume advice."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "--resume" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if ": error: " in line] == lines[-1:], result.stderr
    assert all(phrase in lines[-1] for phrase in phrases), result.stderr


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "afile"
    path.write_text("mine\n")
    return path


@pytest.mark.parametrize("under", ["", "sub"])
def test_an_output_dir_that_is_or_lies_under_a_file_is_one_line(tmp_path, a_file, under):
    result = zoo_run(write_recipe(tmp_path, small_recipe()), "--output-dir", a_file / under if under else a_file)
    _one_line_error(result, "output directory {}".format(a_file), "{} is a file, not a folder".format(a_file))
    assert a_file.read_text() == "mine\n"


def _photo():
    return RECIPES.parent / "docs" / "resizer_comparison.jpg"


@pytest.mark.parametrize("verb, option", [("eval", "--json"), ("predict", "--json"), ("predict", "--picture")])
def test_an_output_files_missing_folders_are_made(small_run, tmp_path, verb, option):
    path = tmp_path / "no" / "such" / "folder" / ("x.png" if option == "--picture" else "x.json")
    result = zoo(verb, small_run, option, path, *([_photo()] if verb == "predict" else []))
    assert result.exit_code == 0 and path.stat().st_size > 0, result.output


@pytest.mark.parametrize("args", [("eval", "{run}", "--json", "{file}/x.json"),
                                  ("predict", "{run}", "--json", "{file}/x.json", "{photo}"),
                                  ("predict", "{run}", "--picture", "{file}/sub/x.png", "{photo}"),
                                  ("export", "{run}", "--output", "{file}/sub"),
                                  ("recipe", "copy", "quickstart", "{file}/x.yaml")],
                         ids=["eval-json", "predict-json", "predict-picture", "export-output", "recipe-copy"])
def test_an_output_path_under_a_file_is_one_line(small_run, a_file, args):
    words = [word.format(run=small_run, file=a_file, photo=_photo()) for word in args]
    named = next(word for word in words if str(a_file) in word)
    _one_line_error(zoo(*words), "{}: {} is a file, not a folder".format(named, a_file))
    assert a_file.read_text() == "mine\n"


def test_a_recipe_copys_missing_folders_are_made(tmp_path):
    result = zoo("recipe", "copy", "quickstart", tmp_path / "no" / "such" / "mine.yaml")
    assert result.exit_code == 0 and "name: mine" in (tmp_path / "no" / "such" / "mine.yaml").read_text()
    result = zoo("recipe", "copy", "quickstart", str(tmp_path / "new") + "/")  # a folder, by its ending /
    assert result.exit_code == 0 and (tmp_path / "new" / "quickstart.yaml").is_file(), result.output


@pytest.mark.parametrize("verb", [("recipe", "show"), ("recipe", "copy")])
def test_a_recipe_that_is_not_utf8_is_one_line(tmp_path, monkeypatch, verb):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    _one_line_error(zoo(*verb, "latin1.yaml", *(["copy.yaml"] if verb[1] == "copy" else [])), "latin1.yaml: not UTF-8")
    assert not (tmp_path / "copy.yaml").exists()


@pytest.mark.parametrize("verb", ["eval", "export"])
def test_a_checkpoint_number_in_other_digits_is_one_line(small_run, verb):
    _one_line_error(zoo(verb, small_run, "--checkpoint", "\u00b2"), "no checkpoint '\u00b2' (kept: best, last")
