"""Fixtures shared by the end-to-end tests: tiny toy data and configs."""
import pytest
import torch
from mmengine.config import Config
# tests/tiny_configs.py (pytest.ini puts tests/ on the path): config_path
# and shrink_seg_cfg are importable by every test; re-exported here for the
# fixtures below
from tiny_configs import config_path, shrink_seg_cfg  # noqa: F401

import selfkd_seg  # noqa: F401  (compat + registrations before mmseg)
from selfkd_research.synthetic_data.toy_voc import make_toy_voc

# keep the suite predictable on 2 shared cores
torch.set_num_threads(1)


@pytest.fixture(autouse=True, scope='session')
def fast_config_text():
    """Skip yapf when a Runner prints and dumps its config: ~1 s per call,
    several calls per Runner.  The unformatted text is the same config."""
    import mmengine.config.config as config_module
    original = config_module.FormatCode
    config_module.FormatCode = lambda text, **kwargs: (text, False)
    yield
    config_module.FormatCode = original


@pytest.fixture(autouse=True)
def isolated_default_scope():
    """A test's ``init_default_scope('mmseg')`` (or a Runner's) must not
    change which registry the next test builds from: mmengine keeps the
    latest DefaultScope as a process-wide current instance."""
    from mmengine.registry import DefaultScope
    before = dict(DefaultScope._instance_dict)
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(before)


@pytest.fixture(scope='session')
def toy_voc_64(tmp_path_factory):
    """4 train / 2 val toy images of 64x64 (session-wide, read-only)."""
    root = str(tmp_path_factory.mktemp('toy_voc_64'))
    make_toy_voc(root, num_train=4, num_val=2, img_size=(64, 64), seed=0)
    return root


@pytest.fixture
def tiny_seg_cfg(toy_voc_64, tmp_path):
    """Factory: tiny_seg_cfg('frskd_seg/frskd_efficientdet-d0_240it_toy.py',
    max_iters=2) -> Config."""

    def factory(name: str, max_iters: int = 2, work_dir: str = None):
        cfg = Config.fromfile(config_path(name))
        return shrink_seg_cfg(cfg, toy_voc_64, work_dir or str(tmp_path),
                              max_iters)

    return factory
