"""A training checkpoint loads into the plain student config with one line
about the skipped training-only weights, not a warning per key."""
import logging

import pytest
import torch
from mmengine.registry import init_default_scope


@pytest.fixture
def frskd_ckpt_and_plain_cfg(tmp_path, tiny_seg_cfg):
    from mmseg.registry import MODELS
    cfgs = {}
    for name in ('frskd_d0_toy', 'efficientdet_d0_toy'):
        cfg = tiny_seg_cfg(f'toy/{name}.py')
        cfg.model.backbone.pop('init_cfg', None)
        cfgs[name] = cfg
    init_default_scope('mmseg')
    frskd = MODELS.build(cfgs['frskd_d0_toy'].model)
    path = str(tmp_path / 'frskd_iter_2.pth')
    torch.save(dict(meta=dict(iter=2), state_dict=frskd.state_dict()), path)
    return frskd, path, cfgs['efficientdet_d0_toy']


def _logged(monkeypatch):
    import mmengine.runner.checkpoint as checkpoint_module

    from selfkd_seg.engine import student_loading
    lines = []

    def record(msg, logger=None, level=logging.INFO):
        lines.append(msg)

    monkeypatch.setattr(checkpoint_module, 'print_log', record)
    monkeypatch.setattr(student_loading, 'print_log', record)
    return lines


def test_init_model_says_once_what_it_skipped(frskd_ckpt_and_plain_cfg,
                                              monkeypatch):
    from mmseg.apis import init_model
    frskd, path, plain_cfg = frskd_ckpt_and_plain_cfg
    lines = _logged(monkeypatch)
    model = init_model(plain_cfg, path, device='cpu')
    lines = [line for line in lines if not line.startswith('Loads checkpoint')]
    assert len(lines) == 1, lines
    assert lines[0].startswith('loaded the student of a distillation '
                               'checkpoint into EncoderDecoder; skipped the '
                               'training-only weights self_teacher (')
    assert 'unexpected key' not in lines[0]
    # the student's weights did load
    expected = frskd.state_dict()
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[key]), key


def test_strict_loading_and_other_mismatches_are_still_reported(
        frskd_ckpt_and_plain_cfg, monkeypatch):
    from mmengine.runner import load_checkpoint
    from mmseg.registry import MODELS
    _, path, plain_cfg = frskd_ckpt_and_plain_cfg
    init_default_scope('mmseg')
    plain = MODELS.build(plain_cfg.model)
    with pytest.raises(RuntimeError, match='unexpected key'):
        load_checkpoint(plain, path, strict=True)
    # a key that is not training-only is still named by mmengine
    ckpt = torch.load(path, weights_only=True)
    ckpt['state_dict']['decode_head.extra'] = torch.zeros(1)
    torch.save(ckpt, path)
    lines = _logged(monkeypatch)
    load_checkpoint(plain, path)
    assert any('decode_head.extra' in line for line in lines)
    assert not any('self_teacher.' in line for line in lines)
