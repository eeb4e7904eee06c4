"""A training checkpoint loads into the plain student config through
mmengine's own loading: the student's weights, and one warning listing the
training-only keys (selfkd_seg does not patch mmengine to hide it)."""
import logging

import pytest
import torch
from mmengine.registry import init_default_scope


@pytest.fixture
def frskd_ckpt_and_plain_cfg(tmp_path, tiny_seg_cfg):
    from mmseg.registry import MODELS
    cfgs = {}
    for name in ('frskd_seg/frskd_efficientdet-d0_240it_toy',
                 'efficientdet_seg/efficientdet-d0_240it_toy'):
        cfg = tiny_seg_cfg(f'{name}.py')
        cfg.model.backbone.pop('init_cfg', None)
        cfgs[name] = cfg
    init_default_scope('mmseg')
    frskd = MODELS.build(
        cfgs['frskd_seg/frskd_efficientdet-d0_240it_toy'].model)
    path = str(tmp_path / 'frskd_iter_2.pth')
    torch.save(dict(meta=dict(iter=2), state_dict=frskd.state_dict()), path)
    return frskd, path, cfgs['efficientdet_seg/efficientdet-d0_240it_toy']


def _logged(monkeypatch):
    import mmengine.runner.checkpoint as checkpoint_module
    lines = []

    def record(msg, logger=None, level=logging.INFO):
        lines.append((level, msg))

    monkeypatch.setattr(checkpoint_module, 'print_log', record)
    return lines


def test_init_model_loads_the_student_and_warns_once_with_mmengines_list(
        frskd_ckpt_and_plain_cfg, monkeypatch):
    """What a user sees loading a FRSKD training checkpoint into the plain
    student config (mmengine's loading, not patched by selfkd_seg): the
    student loads, and one warning lists the self-teacher's keys."""
    from mmseg.apis import init_model
    frskd, path, plain_cfg = frskd_ckpt_and_plain_cfg
    lines = _logged(monkeypatch)
    model = init_model(plain_cfg, path, device='cpu')
    warnings = [msg for level, msg in lines if level == logging.WARNING]
    assert len(warnings) == 1, warnings
    expected_extra = sorted(k for k in frskd.state_dict()
                            if k.startswith('self_teacher.'))
    listed = warnings[0].split('unexpected key in source state_dict: ')[1]
    assert sorted(listed.split('\n')[0].split(', ')) == expected_extra
    assert 'missing keys' not in warnings[0]
    # the student's weights did load
    expected = frskd.state_dict()
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_selfkd_seg_leaves_mmengines_loading_unpatched():
    import mmengine.runner.checkpoint as checkpoint_module
    import mmengine.runner.runner as runner_module

    import selfkd_seg.engine  # noqa: F401
    original = checkpoint_module._load_checkpoint_to_model
    assert original.__module__ == 'mmengine.runner.checkpoint'
    assert runner_module._load_checkpoint_to_model is original


def test_strict_loading_rejects_training_only_keys(frskd_ckpt_and_plain_cfg):
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    _, path, plain_cfg = frskd_ckpt_and_plain_cfg
    init_default_scope('mmseg')
    plain = MODELS.build(plain_cfg.model)
    with pytest.raises(RuntimeError, match='unexpected key.*self_teacher'):
        load_checkpoint(plain, path, strict=True)
