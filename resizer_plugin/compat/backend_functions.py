"""What Keras leaves to each backend: taking gradients, and compiling a function."""
import numpy as np

from . import BACKEND, XLA_IN_COMPILE, to_numpy

__all__ = ["compiled_forms", "sync_model_variables", "trainable_gradients"]


def trainable_gradients(layer, inputs, cotangent):
    """The gradient of ``sum(layer(inputs, training=True) * cotangent)`` with respect to each of the layer's trainable
    weights, as NumPy arrays (None where TensorFlow finds no path to a weight); the layer is built on ``inputs`` first
    where it is not yet."""
    cotangent = np.asarray(cotangent, dtype=np.float32)
    if not layer.built:
        layer(inputs, training=False)
    if BACKEND == "jax":
        return _jax_gradients(layer, inputs, cotangent)
    if BACKEND == "torch":
        return _torch_gradients(layer, inputs, cotangent)
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(tf.cast(layer(inputs, training=True), tf.float32) * cotangent)
    return [None if g is None else to_numpy(tf.convert_to_tensor(g))
            for g in tape.gradient(loss, layer.trainable_weights)]


def _jax_gradients(layer, inputs, cotangent):
    import jax
    import jax.numpy as jnp

    non_trainable = [v.value for v in layer.non_trainable_variables]

    def loss(trainable):
        outputs, _ = layer.stateless_call(trainable, non_trainable, inputs, training=True)
        return jnp.sum(outputs.astype(jnp.float32) * cotangent)

    return [np.asarray(g) for g in jax.grad(loss)([v.value for v in layer.trainable_variables])]


def _torch_gradients(layer, inputs, cotangent):
    import torch

    weights = [v.value for v in layer.trainable_variables]
    loss = torch.sum(layer(inputs, training=True).float() * torch.as_tensor(cotangent, device=weights[0].device))
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    return [None if g is None else g.detach().cpu().numpy() for g in grads]


def compiled_forms(fn):
    """``fn`` compiled the ways the backend compiles, as (label, compiled function) pairs: ``tf.function`` and, where
    ``Model.compile`` offers it (:data:`XLA_IN_COMPILE`), ``tf.function(jit_compile=True)`` on TensorFlow;
    ``jax.jit`` on JAX; none on PyTorch (``torch.compile`` is not tried)."""
    if BACKEND == "jax":
        import jax

        return [("jax.jit", jax.jit(fn))]
    if BACKEND == "torch":
        return []
    import tensorflow as tf

    return [("tf.function(jit_compile={})".format(jit), tf.function(fn, jit_compile=jit))
            for jit in ((False, True) if XLA_IN_COMPILE else (False,))]


def sync_model_variables(model):
    """Make ``model``'s variables hold what training computed: inside ``fit`` on JAX they are stale between the
    epoch's end and ``fit``'s own write-back (``jax_state_sync``); elsewhere they always are current."""
    sync = getattr(model, "jax_state_sync", None)
    if sync is not None:
        sync()
