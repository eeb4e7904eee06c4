"""selfkd_seg.compat: mmseg on mmcv-lite, safe checkpoints, package look-up."""
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch

import selfkd_seg  # noqa: F401
from selfkd_seg import compat

needs_light_ops = pytest.mark.skipif(
    compat.has_compiled_mmcv_ops(), reason='compiled mmcv ops installed')


def test_mmseg_inference_api_imports():
    import mmseg.models  # noqa: F401
    from mmseg.apis import inference_model, init_model  # noqa: F401


@needs_light_ops
def test_light_ops_expose_point_sample_and_refuse_other_ops():
    ops = sys.modules['mmcv.ops']
    assert getattr(ops, compat.LIGHT_OPS_FLAG)
    feats = torch.arange(16.).view(1, 1, 4, 4)
    points = torch.tensor([[[0.5, 0.5]]])  # the centre
    assert ops.point_sample(feats, points, align_corners=False).item() == \
        pytest.approx(feats.mean().item())
    with pytest.raises(ModuleNotFoundError, match='compiled mmcv ops'):
        ops.roi_align  # noqa: B018
    with pytest.raises(AttributeError):
        ops.__wrapped__  # noqa: B018
    with pytest.raises(ImportError):
        from mmcv.ops import nms  # noqa: F401


def test_sigmoid_focal_loss_matches_the_focal_formula():
    logits = torch.tensor([[0.3, -1.2, 2.0], [-0.4, 0.1, 0.0]])
    target = torch.tensor([2, 3])  # 3 == background for 3 classes
    gamma, alpha = 2.0, 0.25
    loss = compat._sigmoid_focal_loss(logits, target, gamma, alpha, None,
                                      'none')
    p = torch.sigmoid(logits)
    expected = torch.empty_like(p)
    for i in range(2):
        for c in range(3):
            if target[i] == c:
                expected[i, c] = -alpha * (1 - p[i, c])**gamma * torch.log(
                    p[i, c])
            else:
                expected[
                    i,
                    c] = -(1 - alpha) * p[i, c]**gamma * torch.log(1 - p[i, c])
    assert torch.allclose(loss, expected, atol=1e-6)
    assert compat._sigmoid_focal_loss(logits, target).item() == \
        pytest.approx(expected.sum().item() / 2, rel=1e-5)


class _Exploit:

    def __reduce__(self):
        return (os.system, ('echo pwned > /dev/null', ))


def test_malicious_checkpoint_is_refused(tmp_path):
    from mmengine.runner import load_checkpoint
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'x': _Exploit()}, path)
    model = torch.nn.Linear(1, 1)
    with pytest.raises(
            compat.UnsafeCheckpointError,
            match=r'Refused to load checkpoint .*evil\.pth'):
        load_checkpoint(model, path)


def test_mmengine_checkpoint_with_history_buffer_loads_weights_only(tmp_path):
    from mmengine.logging import HistoryBuffer, MessageHub
    hub = MessageHub.get_instance('compat_test')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float64(0.5))
    path = str(tmp_path / 'ok.pth')
    torch.save(
        dict(
            meta=dict(seed=np.int64(3), dataset_meta=dict(classes=('a', ))),
            state_dict={'weight': torch.ones(2)},
            message_hub=hub.state_dict()), path)
    ckpt = compat.safe_torch_load(path)
    hist = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(hist, HistoryBuffer) and hist.mean() == 1.0


def test_missing_checkpoint_names_the_file(tmp_path):
    from mmengine.runner import load_checkpoint
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint(torch.nn.Linear(1, 1), str(tmp_path / 'nope.pth'))


def test_package_lookup_fallback_finds_mmseg_configs():
    path = compat._get_installed_path('mmsegmentation')
    assert osp.basename(path) == 'mmseg'
    assert osp.isfile(
        osp.join(path, '.mim', 'configs', '_base_', 'default_runtime.py'))
    assert compat._is_installed('mmsegmentation')
    assert not compat._is_installed('surely_not_a_package_xyz')


class _GetattrEscape:
    """A pickle that uses getattr to walk from an allowed class to its
    function globals (the first step towards os.system)."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return (getattr, (HistoryBuffer.update, '__globals__'))


def test_getattr_is_only_allowed_for_history_buffer_methods(tmp_path):
    path = str(tmp_path / 'escape.pth')
    torch.save({'x': _GetattrEscape()}, path)
    with pytest.raises(compat.UnsafeCheckpointError, match='escape.pth'):
        compat.safe_torch_load(path)
    from mmengine.logging import HistoryBuffer

    # the stand-in for getattr gives exactly the statistics methods that
    # mmengine pickles, on the class and on an instance ...
    buffer = HistoryBuffer([1.0, 3.0], [1, 1])
    assert compat._history_buffer_getattr(HistoryBuffer,
                                          'mean') is HistoryBuffer.mean
    assert compat._history_buffer_getattr(buffer, 'max')() == 3.0
    # ... and refuses anything else: the real getattr is never exposed
    with pytest.raises(Exception, match='refused getattr'):
        compat._history_buffer_getattr(HistoryBuffer, 'update')
    with pytest.raises(Exception, match='refused getattr'):
        compat._history_buffer_getattr(buffer, '__class__')


def test_empty_history_buffer_in_the_message_hub_loads(tmp_path):
    """An empty HistoryBuffer pickles its empty arrays through ``bytes()``."""
    from mmengine.logging import HistoryBuffer
    path = str(tmp_path / 'empty_hub.pth')
    torch.save({'message_hub': {
        'log_scalars': {
            'loss': HistoryBuffer()
        }
    }}, path)
    ckpt = compat.safe_torch_load(path)
    hist = ckpt['message_hub']['log_scalars']['loss']
    assert isinstance(hist, HistoryBuffer) and len(hist.data[0]) == 0
    hist.update(2.0)
    assert hist.current() == 2.0


class _HugeBytes:
    """``bytes(n)`` allocates n bytes: a memory bomb, not a literal."""

    def __reduce__(self):
        return (bytes, (1 << 40, ))


class _BytesThenCode:

    def __reduce__(self):
        return (os.system, (bytes(), ))


@pytest.mark.parametrize('payload', [_HugeBytes, _BytesThenCode])
def test_bytes_allows_literals_only_and_code_stays_refused(tmp_path, payload):
    path = str(tmp_path / 'bytes_evil.pth')
    torch.save({'x': payload()}, path)
    reason = r'(refused bytes|GLOBAL posix\.system)'
    with pytest.raises(
            compat.UnsafeCheckpointError, match=r'bytes_evil\.pth.*' + reason):
        compat.safe_torch_load(path)
    assert compat._pickled_bytes() == b''
    assert compat._pickled_bytes('ab', 'latin1') == b'ab'
    with pytest.raises(Exception, match='refused bytes'):
        compat._pickled_bytes(10)
