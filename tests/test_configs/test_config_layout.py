"""How configs/ is laid out: every config loads; folders by algorithm as
mmseg's (configs/<algorithm>/<method>_<model>_<schedule>_<data>.py, a README
table in each); SFD lives in configs/sfd_cls/ and configs/sfd_seg/ (no
configs/sfd/); the FRSKD cls configs take their FRSKD block from
configs/_base_/models/frskd_cls_bifpnc.py.

Config loading only (no model builds): fast."""
import functools
import glob
import os
import os.path as osp
import re

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs')
FRAGMENT = osp.join(CONFIGS, '_base_', 'models', 'frskd_cls_bifpnc.py')
# variables of the shared fragments a config pops out of `_base_`
FRAGMENT_VARIABLES = ('frskd_cls_model', 'efficientdet_d1_seg_teacher')


def _rel(path):
    return osp.relpath(path, CONFIGS)


ALL = sorted(
    p for p in glob.glob(osp.join(CONFIGS, '**', '*.py'), recursive=True)
    if not _rel(p).startswith('_base_' + osp.sep))
FRSKD_CLS = sorted(
    p for p in ALL
    if 'frskd_cls_bifpnc.py' in open(p, encoding='utf-8').read())


@pytest.fixture(autouse=True, scope='module')
def cached_external_config_lookup():
    """mmengine reads all of mmpretrain's metafiles for every
    ``mmpretrain::`` base (most of a second a load): once per file here."""
    import mmengine.config.config as config_module
    original = config_module._get_external_cfg_path
    found = {}

    def lookup(package_path, cfg_file):
        key = (package_path, cfg_file)
        if key not in found:
            try:
                found[key] = (original(package_path, cfg_file), None)
            except ValueError as e:  # a base config: mmengine falls back
                found[key] = (None, e)
        path, error = found[key]
        if error is not None:
            raise error
        return path

    config_module._get_external_cfg_path = lookup
    yield
    config_module._get_external_cfg_path = original


@functools.lru_cache(maxsize=None)
def load(path):
    """The merged config as a plain dict (cached: several tests read the
    same file; nothing here changes it)."""
    return Config.fromfile(path, import_custom_modules=False).to_dict()


@pytest.mark.parametrize('path', ALL, ids=_rel)
def test_config_loads(path):
    cfg = load(path)
    assert cfg
    assert not set(FRAGMENT_VARIABLES) & set(cfg), (
        'pop the fragment variable out of _base_, as the fragment says')


def test_sfd_is_split_into_cls_and_seg_as_frskd():
    names = {
        d: {osp.basename(p)
            for p in glob.glob(osp.join(CONFIGS, d, '*.py'))}
        for d in ('sfd', 'sfd_cls', 'sfd_seg')
    }
    assert 'sfd_efficientdet-d1_efficientdet-d0_60e_voc0712.py' in names[
        'sfd_seg']
    assert 'sfd_resnet32x4_resnet8x4_240e_cifar100.py' in names['sfd_cls']
    # the shared CIFAR-100 recipe is a fragment of _base_
    assert osp.isfile(osp.join(CONFIGS, '_base_', 'sfd_cifar100.py'))
    for d in ('sfd_cls', 'sfd_seg'):
        for n in names[d]:
            model = load(osp.join(CONFIGS, d, n))['model']
            # SFD, or a baseline or teacher a table puts beside it (the
            # digits teacher-student table trains a plain EncoderDecoder
            # teacher first)
            assert model['type'] in ('SFDClassifier', 'SFDSegmentor',
                                     'ImageClassifier', 'EncoderDecoder'), n
    # one home per config: the old configs/sfd/ redirects are gone
    assert not names['sfd']
    assert not names['sfd_cls'] & names['sfd_seg']
    # mim's view of the configs (selfkd_seg/.mim/configs -> ../../configs)
    mim = osp.join(REPO, 'selfkd_seg', '.mim', 'configs')
    for d in ('sfd_cls', 'sfd_seg', 'sfd'):
        assert {osp.basename(p)
                for p in glob.glob(osp.join(mim, d, '*.py'))} == names[d]


def _plain_baseline(path):
    """The plain classifier config a FRSKD cls config lists first."""
    first = re.search(r"_base_ = \[\s*'(\./[^']+)'",
                      open(path, encoding='utf-8').read())
    return osp.normpath(osp.join(osp.dirname(path), first.group(1)))


def test_there_are_frskd_cls_configs_on_the_fragment():
    names = {_rel(p) for p in FRSKD_CLS}
    assert len(names) == 11
    assert {
        'frskd_cls/frskd_resnet18_200e_cub200.py',
        'frskd_cls/frskd_wrn-10-1_14e_digits.py',
        'frskd_cls/frskd_wrn-10-1_4e_toy.py'
    } <= names


@pytest.mark.parametrize('path', FRSKD_CLS, ids=_rel)
def test_frskd_cls_config_is_its_baseline_plus_the_fragment(path):
    block = load(FRAGMENT)['frskd_cls_model']
    cfg, plain = load(path), load(_plain_baseline(path))
    model = dict(cfg['model'])
    distill = model.pop('distill')
    assert model.pop('type') == block['type'] == 'FRSKDClassifier'
    assert model.pop('self_teacher') == block['self_teacher']
    assert distill == dict(
        block['distill'], alpha=distill['alpha'], beta=distill['beta'])
    plain_model = dict(plain['model'])
    assert plain_model.pop('type') == 'ImageClassifier'
    assert model == plain_model
    assert ({
        k: v
        for k, v in cfg.items() if k != 'model'
    } == {
        k: v
        for k, v in plain.items() if k != 'model'
    })


def test_frskd_cls_block_written_out():
    """One FRSKD cls config in full: catches a broken shared fragment."""
    cfg = load(osp.join(CONFIGS, 'frskd_cls', 'frskd_resnet18_200e_cub200.py'))
    assert cfg['model'] == dict(
        type='FRSKDClassifier',
        backbone=dict(
            type='ResNet',
            depth=18,
            num_stages=4,
            out_indices=(0, 1, 2, 3),
            style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=200,
            in_channels=512,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5)),
        self_teacher=dict(type='FRSKDBiFPNc', width=2, num_layers=1, depth=2),
        distill=dict(
            alpha=1.0,
            beta=200.0,
            temperature=4.0,
            feature_loss=dict(type='ATLoss')))


# -- mmseg's layout: configs/<algorithm>/<method>_<model>_<schedule>_<data>.py
FOLDERS = sorted(
    d for d in os.listdir(CONFIGS)
    if d != '_base_' and osp.isdir(osp.join(CONFIGS, d)))


def test_configs_are_by_algorithm_not_by_data_set():
    assert FOLDERS
    assert not {'toy', 'digits', 'voc', 'cifar', 'cityscapes'} & set(FOLDERS)
    # every config in a folder of its algorithm, fragments in _base_ only
    assert {osp.dirname(_rel(p)) for p in ALL} == set(FOLDERS)


@pytest.mark.parametrize('folder', FOLDERS)
def test_each_folder_has_a_readme_listing_exactly_its_configs(folder):
    """tools/misc/config_readmes.py writes the table: one row per config."""
    readme = osp.join(CONFIGS, folder, 'README.md')
    assert osp.isfile(readme), 'run python tools/misc/config_readmes.py'
    rows = re.findall(r'^\| \[([^]]+\.py)\]\(\1\) \|',
                      open(readme, encoding='utf-8').read(), re.M)
    assert len(rows) == len(set(rows))
    assert set(rows) == {
        osp.basename(p)
        for p in glob.glob(osp.join(CONFIGS, folder, '*.py'))
    }, 'run python tools/misc/config_readmes.py'


def _schedule_parts(stem):
    """The `360it`, `20k` (also inside mmseg's `4xb4-20k`) and `60e` parts
    of a config's name."""
    return {
        tok
        for part in stem.split('_')
        for tok in part.split('-') if re.fullmatch(r'\d+(it|k|e)', tok)
    }


@pytest.mark.parametrize('path', ALL, ids=_rel)
def test_name_carries_the_schedule(path):
    """<method>[-variant]_<model>_<schedule>_<data>.py: the schedule part is
    train_cfg's (iterations: `<N>it`, or `<N/1000>k` as mmseg; epochs:
    `<N>e`)."""
    train_cfg = load(path).get('train_cfg') or {}
    if train_cfg.get('max_iters'):
        n = train_cfg['max_iters']
        expected = {f'{n}it'} | ({f'{n // 1000}k'} if n % 1000 == 0 else set())
    else:
        expected = {f"{train_cfg['max_epochs']}e"}
    assert expected & _schedule_parts(osp.basename(path)[:-3]), expected
