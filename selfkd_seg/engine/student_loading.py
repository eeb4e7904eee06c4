"""Load a distillation training checkpoint into the plain student, quietly.

A FRSKD/SFD training checkpoint holds the student under the plain model's
names plus training-only modules (``self_teacher``, ``teacher``,
``integrator``, ...).  Loaded into the plain student config (``tools/test.py
BASELINE_CFG FRSKD_CKPT``, ``mmseg.apis.init_model``) it works, but mmengine
prints every training-only key as "unexpected key in source state_dict" (~150
lines for FRSKD d0).  :func:`install_student_checkpoint_loading` makes
mmengine drop those keys when the model has no such module and say so in one
line.  Any other unexpected or missing key is still reported by mmengine,
and ``strict=True`` loading is unchanged (it still rejects those keys).
"""
from collections import OrderedDict

from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from selfkd_seg.models.utils.distill import (DISTILL_ONLY_PREFIXES,
                                             split_student_state_dict)

_PATCHED = '__selfkd_seg_student_loading__'


def drop_absent_training_modules(model, state_dict):
    """``state_dict`` without training-only keys that ``model`` cannot take.

    Returns ``(state_dict, skipped)`` where ``skipped`` maps each dropped
    top-level module name to its number of tensors.  Keys of training-only
    modules the model does have (a FRSKD model resuming) are kept.
    """
    target = model.module if is_model_wrapper(model) else model
    student, extra = split_student_state_dict(state_dict)
    skipped = OrderedDict()
    kept = OrderedDict(student)
    for key, value in extra.items():
        root = key.split('.', 1)[0]
        if hasattr(target, root):
            kept[key] = value
        else:
            skipped[root] = skipped.get(root, 0) + 1
    if not skipped:
        return state_dict, skipped
    kept = OrderedDict((k, kept[k]) for k in state_dict if k in kept)
    kept._metadata = getattr(state_dict, '_metadata', OrderedDict())
    return kept, skipped


def _wrap(load_to_model):

    def load_checkpoint_to_model(model,
                                 checkpoint,
                                 strict=False,
                                 logger=None,
                                 revise_keys=[(r'^module\.', '')]):
        import re
        if strict:  # strict means "exactly this model": report every key
            return load_to_model(model, checkpoint, strict, logger,
                                 revise_keys)
        state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(
            checkpoint, dict) else checkpoint
        revised = OrderedDict(state_dict)
        for pattern, repl in revise_keys:
            revised = OrderedDict(
                (re.sub(pattern, repl, k), v) for k, v in revised.items())
        revised._metadata = getattr(state_dict, '_metadata', OrderedDict())
        kept, skipped = drop_absent_training_modules(model, revised)
        if not skipped:
            return load_to_model(model, checkpoint, strict, logger,
                                 revise_keys)
        load_to_model(model, kept, strict, logger, revise_keys=[])
        target = model.module if is_model_wrapper(model) else model
        parts = ', '.join(f'{root} ({n} tensors)'
                          for root, n in skipped.items())
        print_log(
            f'loaded the student of a distillation checkpoint into '
            f'{type(target).__name__}; skipped the training-only weights '
            f'{parts}', logger=logger or 'current')
        return checkpoint

    setattr(load_checkpoint_to_model, _PATCHED, True)
    return load_checkpoint_to_model


def install_student_checkpoint_loading() -> None:
    """Route mmengine's checkpoint loading through the wrapper (idempotent).

    ``mmengine.runner.checkpoint.load_checkpoint`` (used by
    ``mmseg.apis.init_model``/``mmpretrain.apis``) and ``Runner.
    load_checkpoint`` (``load_from``, ``tools/test.py``) both call
    ``_load_checkpoint_to_model``; the runner module holds its own reference.
    Resume is unaffected: it loads into the distillation model itself.
    """
    import mmengine.runner.checkpoint as checkpoint_module
    import mmengine.runner.runner as runner_module
    original = checkpoint_module._load_checkpoint_to_model
    if getattr(original, _PATCHED, False):
        return
    wrapped = _wrap(original)
    checkpoint_module._load_checkpoint_to_model = wrapped
    runner_module._load_checkpoint_to_model = wrapped
