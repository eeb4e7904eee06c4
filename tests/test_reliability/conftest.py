import importlib.util
import os.path as osp

import pytest

from reliability_cfgs import make_data

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='session')
def toy_data(tmp_path_factory):
    """Toy seg + cls data shared by the reliability tests (read-only)."""
    return make_data(str(tmp_path_factory.mktemp('reliability_data')))


@pytest.fixture(scope='session')
def train_script():
    """``tools/train.py`` as a module, to run its ``main(argv)`` in-process."""
    spec = importlib.util.spec_from_file_location(
        'selfkd_train_script', osp.join(REPO, 'tools', 'train.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
