"""selfkd_seg's configs found the OpenMMLab way (``selfkd_seg::<path>``
through ``selfkd_seg/.mim/configs``), not by walking up from a file."""
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from selfkd_seg.apis.config import load_config
from selfkd_seg.utils import get_config, get_config_path

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
NAME = 'efficientdet_seg/efficientdet-d0_240it_toy.py'


def test_package_names_resolve_to_the_mim_configs():
    path = get_config_path(f'selfkd_seg::{NAME}')
    assert osp.join('.mim', 'configs') in path
    assert osp.samefile(path, osp.join(CONFIGS, NAME))
    assert osp.samefile(get_config_path(NAME), path)  # package-relative
    existing = osp.join(CONFIGS, NAME)
    assert get_config_path(existing) == existing  # a file stays a file
    mmseg = get_config_path('mmseg::_base_/default_runtime.py')
    assert mmseg.endswith(
        osp.join('mmseg', '.mim', 'configs', '_base_', 'default_runtime.py'))


def test_a_missing_config_names_where_it_was_looked_for():
    with pytest.raises(FileNotFoundError, match=r'\.mim.configs.toy.nope'):
        get_config_path('selfkd_seg::toy/nope.py')


def test_get_config_load_config_and_mmengine_hub():
    from mmengine.hub import get_config as hub_get_config
    cfg = get_config(
        f'selfkd_seg::{NAME}', cfg_options={'train_cfg.max_iters': 3})
    assert cfg.default_scope == 'mmseg' and cfg.train_cfg.max_iters == 3
    assert load_config(f'selfkd_seg::{NAME}').model.type == cfg.model.type
    assert hub_get_config(f'selfkd_seg::{NAME}').model == cfg.model


def test_base_configs_of_the_package(tmp_path):
    own = tmp_path / 'my_frskd.py'
    own.write_text(
        "_base_ = "
        "['selfkd_seg::frskd_seg/frskd_efficientdet-d0_240it_toy.py']\n"
        "train_cfg = dict(max_iters=7)\n")
    cfg = Config.fromfile(str(own))
    assert cfg.model.type == 'FRSKDSegmentor'
    assert cfg.train_cfg.max_iters == 7


def test_base_configs_without_importing_selfkd_seg(tmp_path):
    """mmengine alone (the installed import hook registers the package with
    mmengine, as for mmseg's own tools/train.py); run outside the checkout."""
    own = tmp_path / 'my_baseline.py'
    own.write_text(f"_base_ = ['selfkd_seg::{NAME}']\n")
    code = ('import sys\n'
            'from mmengine.config import Config\n'
            f'cfg = Config.fromfile({str(own)!r}, '
            'import_custom_modules=False)\n'
            'print(cfg.model.type, "selfkd_seg" in sys.modules)\n')
    env = dict(os.environ, PYTHONWARNINGS='ignore')
    env.pop('PYTHONPATH', None)
    env.pop('SELFKD_SEG_NO_IMPORT_HOOK', None)
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=str(tmp_path),
                         env=env,
                         capture_output=True,
                         text=True,
                         check=True)
    assert out.stdout.split() == ['EncoderDecoder', 'False'], out.stderr
