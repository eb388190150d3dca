"""Bad input, generated (Hypothesis): random YAML documents, ``--set`` keys and values, and path options end in a
valid recipe or one line naming the key (exit status 2), never a traceback. Derandomized and few examples, so that CI
runs the same cases every time, in seconds."""
import copy

import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from resizer_plugin.zoo.config.recipe import RecipeError, load_recipe
from resizer_plugin.zoo.contract import shown

from .builders import ROOT, small_recipe, write_recipe, zoo, zoo_run

CI = settings(max_examples=60, deadline=None, derandomize=True, database=None, print_blob=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
GOOD = small_recipe()
#: the keys a user writes, so that generated documents reach the validators and not only "unknown key"
WORDS = ["name", "seed", "data", "source", "image_size", "batch_size", "shuffle_buffer", "crop_seed", "split_seed",
         "train_examples", "data_dir", "model", "stages", "0", "1", "2", "type", "filters", "num_res_blocks",
         "target_size", "backbone", "blocks", "head", "dropout", "train", "epochs", "optimizer", "learning_rate",
         "schedule", "loss", "metrics", "runtime", "device", "precision", "logical_devices", "output", "dir",
         "rescale", "learnable_resizer", "small_cnn", "photo_crops", "cpu", "auto"]
#: a placeholder replaced by text no Python structure dumps to: nesting deep enough to exhaust a recursive parser
DEEP = "deep-nesting-placeholder"

numbers = st.one_of(st.integers(), st.integers(-2 ** 70, 2 ** 70), st.floats(), st.sampled_from([0, 1, -1, 2 ** 32]))
texts = st.one_of(st.text(max_size=20), st.sampled_from(WORDS), st.just(DEEP), st.text(min_size=4097, max_size=4100))
leaves = st.one_of(st.none(), st.booleans(), numbers, texts)
values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.sampled_from(WORDS), st.text(max_size=6), st.integers()),
                                                 inner, max_size=4)), max_leaves=10)
key_paths = st.lists(st.one_of(st.sampled_from(WORDS), st.text(min_size=1, max_size=6)), min_size=1, max_size=4)


def _alias_bomb(width):
    """A list holding ``width`` references to one list, nine levels down: YAML writes each level once, with aliases."""
    value = ["x"] * width
    for _ in range(9):
        value = [value] * width
    return value


def _put(document, path, value, merge):
    """``value`` set at ``path`` in ``document`` (mappings made where the path leads through something else), or,
    with ``merge``, its keys added to the mapping there."""
    node = document
    for key in path[:-1]:
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            key = int(key)
        elif isinstance(node, list):
            return
        if not isinstance(node.get(key) if isinstance(node, dict) else node[key], (dict, list)):
            node[key] = {}
        node = node[key]
    if isinstance(node, dict) and merge and isinstance(node.get(path[-1]), dict) and isinstance(value, dict):
        node[path[-1]].update(value)
    elif isinstance(node, dict):
        node[path[-1]] = value


@st.composite
def documents(draw):
    """The small recipe's YAML text, changed at a few key paths (a value set, or a mapping's keys added); one value
    may stand at two paths (YAML writes an anchor and an alias), one may be an alias bomb or nesting too deep for a
    parser."""
    document = copy.deepcopy(GOOD)
    shared = draw(st.one_of(values, st.builds(_alias_bomb, st.integers(2, 9))))
    for path in draw(st.lists(key_paths, min_size=1, max_size=4)):
        _put(document, path, shared if draw(st.booleans()) else draw(values), merge=draw(st.booleans()))
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=draw(st.booleans()))
    depth = draw(st.sampled_from([1, 50, 5000]))
    return text.replace(DEEP, "[" * depth + "]" * depth)


#: what read_yaml says of a file that is no YAML mapping at all: the only errors that name no key
FILE_LEVEL = ("not a recipe: its YAML is nested too deeply", "not valid YAML")


def _one_line_naming_a_key(error, source):
    """The error's message: one line, the file first, then the key at fault (quoted where it is empty or holds a
    line break), unless the file is no YAML mapping at all."""
    message = str(error)
    assert isinstance(error, RecipeError), repr(error)
    assert "\n" not in message and message.startswith(source + ": "), message
    if error.key is not None:
        key = error.key if error.key and error.key.isprintable() else shown(error.key)
        assert message.startswith("{}: {}: ".format(source, key)), message
    return message


def _yaml(recipe):
    return yaml.safe_dump(recipe, sort_keys=False)


@CI
@given(text=documents())
@example(text=_yaml(small_recipe({"runtime": {"device": "cpu", 0: None, "zz": None}})))  # keys of two types
@example(text=_yaml(small_recipe({"model.stages": [{"type": ["rescale"]}]})))  # a stage type that is a list
@example(text=_yaml(small_recipe({"data": dict(GOOD["data"], **{"\n": 1})})))  # a key of a line break
@example(text=_yaml(GOOD) + "when: 2020-13-45\n")  # a date, to PyYAML's resolver, that is none
def test_a_generated_recipe_file_is_a_recipe_or_one_line_naming_the_key(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("generated") / "recipe.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_recipe(str(path))
    except Exception as error:  # any: the assertion says what it was
        message = _one_line_naming_a_key(error, str(path))
        assert error.key is not None or error.reason.startswith(FILE_LEVEL), message  # a mapping, where it parses


set_values = st.one_of(values.map(lambda v: yaml.safe_dump(v, default_flow_style=True).strip()), st.text(max_size=30),
                       st.integers(1, 3000).map(lambda depth: "[" * depth + "]" * depth),
                       st.sampled_from(["1e-3", "-1", "1e999", ".nan", "&a [1, *a]", "*b", "!!python/object:os.system",
                                        "{a: 1", "²", "0x10", "0x_", "2021-02-29", "~", "'", "[1, 2"]))


@CI
@given(keys=key_paths, value=set_values)
@example(keys=["seed"], value="[" * 3000 + "]" * 3000)  # deeper than the parser's recursion
@example(keys=["seed"], value="0x_")  # a number, to PyYAML's resolver, that is none
@example(keys=["\r", "name"], value="[]")  # an empty key, once the line is stripped
@example(keys=["model", "stages", "²", "type"], value="rescale")  # a digit to str.isdigit, not to int
def test_a_generated_set_is_a_recipe_or_one_line_naming_the_key(tmp_path_factory, keys, value):
    source = write_recipe(tmp_path_factory.mktemp("set"), GOOD)
    item = "{}={}".format(".".join(keys), value)
    try:
        load_recipe(source, [item])
    except Exception as error:  # any: the assertion says what it was
        message = _one_line_naming_a_key(error, source)
        assert error.key is not None, message


#: paths users give: missing folders, files where folders go, the root, home, odd characters (no NUL: no command
#: line holds one)
PREFIXES = ["", "/", "~/", "nodir/", "../", str(ROOT / "setup.py") + "/", "/dev/null/", "/proc/1/"]
paths = st.one_of(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30),
                  st.tuples(st.sampled_from(PREFIXES), st.text("abc./-_ é²\n\r\t\x1b", max_size=12)).map("".join))
TFDS = small_recipe({"data": {"source": "tfds", "image_size": [48, 48], "batch_size": 8}})


def _exit_2_in_one_line_or_success(result):
    """Success, or exit status 2 and one error line: zoo's (``zoo: error: ...``, last), or click's own for a value
    its parameter type refuses (``Error: ...`` under click's usage line)."""
    assert "Traceback" not in result.output and result.exit_code in (0, 2), (result.exit_code, result.output)
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if ": error: " in line or line.startswith("Error: ")]
        assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.stderr


@settings(CI, max_examples=25)
@given(data_dir=paths, output_dir=paths)
@example(data_dir="0\r", output_dir="out")  # a carriage return would overwrite the line that names it
def test_generated_paths_for_zoo_run_end_in_success_or_one_line(tmp_path_factory, data_dir, output_dir):
    recipe = write_recipe(tmp_path_factory.mktemp("paths"), TFDS)
    _exit_2_in_one_line_or_success(zoo_run(recipe, "--data-dir", data_dir, "--output-dir", output_dir, "--dry-run"))


@settings(CI, max_examples=40)
@given(verb=st.sampled_from(["eval", "predict", "export"]), run_dir=paths.filter(lambda p: "\n" not in p),
       output=paths)
@example(verb="eval", run_dir="\r\x1b[2J", output="x.json")  # a carriage return, an escape sequence
def test_generated_run_folders_and_outputs_end_in_one_line(verb, run_dir, output):
    """A RUN_DIR holding a line break is left out: the messages naming it print it as it is, on two lines."""
    flag = {"eval": ["--json", output], "predict": ["--json", output], "export": ["--output", output]}[verb]
    _exit_2_in_one_line_or_success(zoo(verb, *flag, "--", run_dir, *(["x.jpg"] if verb == "predict" else [])))
