"""Learning-rate schedules: the rates against hand-worked values, the rate per epoch in history.csv, a resumed run
continuing its schedule, and bad schedules named."""
import math
import os

import numpy as np
import pytest
import yaml

from resizer_plugin.zoo.training.metrics import read_history
from resizer_plugin.zoo.training.optimization import Warmup, learning_rate
from resizer_plugin.zoo.config.schema import Optimizer, Schedule

from .builders import RECIPES, zoo



def _optimizer(rate=0.1, **schedule):
    fields = dict(type="constant", warmup_epochs=0.0, decay_epochs=None, decay_rate=0.1, min_learning_rate=0.0)
    fields.update(schedule)
    return Optimizer("sgd", rate, 0.0, False, None, Schedule(**fields))


def _rates(schedule, steps):
    return [float(schedule(step)) for step in steps]


def test_a_constant_rate_stays_a_plain_number():
    assert learning_rate(_optimizer(), 10, 5) == 0.1


def test_cosine_after_a_warmup_against_hand_worked_rates():
    # 10 steps per epoch, 5 epochs: 1 epoch (10 steps) of warmup, then cosine over the 40 steps left, down to 0.01
    schedule = learning_rate(_optimizer(type="cosine", warmup_epochs=1, min_learning_rate=0.01), 10, 5)
    assert isinstance(schedule, Warmup)
    expected = [0.1 * 1 / 10, 0.1 * 5 / 10, 0.1, 0.01 + 0.09 * (1 + math.cos(math.pi * 0.5)) / 2, 0.01, 0.01]
    assert _rates(schedule, [0, 4, 10, 30, 50, 60]) == pytest.approx(expected, rel=1e-5)


def test_step_and_exponential_decay_by_their_rate_per_decay_epochs():
    step = learning_rate(_optimizer(type="step", decay_epochs=2, decay_rate=0.5), 10, 6)
    assert _rates(step, [0, 19, 20, 39, 40]) == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025], rel=1e-5)
    smooth = learning_rate(_optimizer(type="exponential", decay_epochs=2, decay_rate=0.5), 10, 6)
    assert _rates(smooth, [10, 20, 30]) == pytest.approx([0.1 * 0.5 ** 0.5, 0.05, 0.1 * 0.5 ** 1.5], rel=1e-5)
    warm_constant = learning_rate(_optimizer(warmup_epochs=0.5), 10, 6)
    assert _rates(warm_constant, [0, 4, 5, 100]) == pytest.approx([0.02, 0.1, 0.1, 0.1], rel=1e-5)


def _recipe(tmp_path, **schedule):
    recipe = yaml.safe_load(open(os.path.join(RECIPES, "quickstart.yaml")))
    recipe["data"].update(train_examples=8, val_examples=2, batch_size=8)  # 4 steps per epoch
    recipe["train"].update(epochs=3, log_steps=2)
    recipe["train"]["optimizer"]["schedule"] = schedule
    path = tmp_path / "scheduled.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return str(path)


@pytest.mark.slow
@pytest.mark.keras2
def test_history_holds_the_rate_and_a_resumed_run_continues_its_schedule(tmp_path, monkeypatch):
    from resizer_plugin.zoo.training import run as train

    recipe = _recipe(tmp_path, type="cosine", warmup_epochs=1)
    whole = zoo("train", recipe, "--output-dir", str(tmp_path / "whole"))
    assert whole.exit_code == 0, whole.output
    rates = [row["learning_rate"] for row in read_history(str(tmp_path / "whole" / "history.csv"))]
    # the rate at each epoch's end: warmup done (0.001), half-way down the cosine, at its end
    assert rates == pytest.approx([0.001, 0.0005, 0.0], abs=1e-7)

    class StopAfterEpoch2(train.SaveCheckpoints):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            if epoch == 1:
                raise KeyboardInterrupt

    monkeypatch.setattr(train, "SaveCheckpoints", StopAfterEpoch2)
    stopped = zoo("train", recipe, "--output-dir", str(tmp_path / "split"))
    assert stopped.exit_code == 130
    monkeypatch.undo()
    resumed = zoo("train", recipe, "--output-dir", str(tmp_path / "split"), "--resume")
    assert resumed.exit_code == 0, resumed.output
    history = read_history(str(tmp_path / "split" / "history.csv"))
    assert [row["learning_rate"] for row in history] == pytest.approx(rates, abs=1e-7)
    assert np.isfinite([row["loss"] for row in history]).all()


@pytest.mark.parametrize("schedule, phrase", [
    ({"warmup_epochs": -1}, "train.optimizer.schedule.warmup_epochs"),
    ({"type": "step"}, "train.optimizer.schedule.decay_epochs: is required when the schedule's type is step"),
    ({"type": "exponential"}, "decay_epochs: is required when the schedule's type is exponential"),
    ({"type": "cosine", "min_learning_rate": 0.5}, "min_learning_rate: 0.5 is above train.optimizer.learning_rate"),
    ({"type": "linear"}, "train.optimizer.schedule.type"),
    ({"decay_rate": 0}, "train.optimizer.schedule.decay_rate"),
])
def test_bad_schedules_are_one_line_naming_the_key(tmp_path, schedule, phrase):
    result = zoo("train", _recipe(tmp_path, **schedule), "--dry-run")
    assert result.exit_code == 2 and phrase in result.output and "Traceback" not in result.output, result.output


def test_a_floor_equal_to_the_learning_rate_is_allowed(tmp_path):
    rate = yaml.safe_load(open(os.path.join(RECIPES, "quickstart.yaml")))["train"]["optimizer"]["learning_rate"]
    result = zoo("train", _recipe(tmp_path, type="cosine", min_learning_rate=rate), "--dry-run")
    assert result.exit_code == 0, result.output


def test_a_warmup_schedule_serializes_and_comes_back_with_the_same_rates():
    # TensorBoard serializes the compiled model, its optimizer's schedule included (a warning and no graph, if not)
    from resizer_plugin.compat import keras

    schedule = learning_rate(_optimizer(type="cosine", warmup_epochs=1), steps_per_epoch=4, epochs=3)
    config = schedule.get_config()
    assert yaml.safe_load(yaml.safe_dump(config)) == config  # plain values only
    again = Warmup.from_config(config)
    np.testing.assert_allclose(_rates(again, range(12)), _rates(schedule, range(12)), rtol=1e-6)
    optimizer = keras.optimizers.Adam(schedule)
    assert optimizer.get_config()["learning_rate"]


class _Stub:
    """An optimizer as far as current_learning_rate reads it."""

    def __init__(self, iterations, **attributes):
        self.iterations = iterations
        self.__dict__.update(attributes)


def test_the_current_rate_is_the_schedule_at_the_optimizers_step_whichever_keras_keeps_it_where():
    from resizer_plugin.compat import keras
    from resizer_plugin.zoo.training.optimization import current_learning_rate

    schedule = keras.optimizers.schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    at_step_4 = float(schedule(4))
    assert at_step_4 == pytest.approx(0.06)
    assert current_learning_rate(_Stub(4, learning_rate=schedule)) == pytest.approx(at_step_4)  # TensorFlow 2.6's
    # Keras 3 and tf.keras: the schedule kept apart, learning_rate the rate of the step before (tf.keras)
    assert current_learning_rate(_Stub(4, _learning_rate=schedule, learning_rate=float(schedule(3)))) == \
        pytest.approx(at_step_4)
    assert current_learning_rate(_Stub(4, learning_rate=0.25)) == pytest.approx(0.25)  # a constant rate
    wrapped = _Stub(0, inner_optimizer=_Stub(4, learning_rate=schedule))  # a loss-scale optimizer's inner one
    assert current_learning_rate(wrapped) == pytest.approx(at_step_4)

