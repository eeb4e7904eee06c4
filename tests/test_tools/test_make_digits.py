"""selfkd_research.synthetic_data.digits (the library of
tools/dataset_converters/make_digits.py): segmentation scenes and digit
images from scikit-learn's handwritten digits, split by source digit."""
import glob
import json
import os
import os.path as osp
import sys

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from PIL import Image

from selfkd_research.synthetic_data import digits as tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

SEG_CFG = osp.join(REPO, 'configs', '_base_', 'datasets', 'digits_seg.py')
CLS_CFG = osp.join(REPO, 'configs', '_base_', 'datasets', 'digits_cls.py')
# 3 source digits per class and split: 30 train / 30 val digit images.
TINY = [
    '--seg-train', '6', '--seg-val', '4', '--cls-train-per-digit', '1',
    '--cls-val-per-digit', '1', '--max-sources-per-class', '3'
]


def make(out_dir, *extra):
    return tool.main([str(out_dir), *TINY, *extra])


@pytest.fixture(scope='module')
def sklearn_targets():
    """Skips the tests that need the data when scikit-learn is missing (it
    is the optional extra ``.[digits]``)."""
    pytest.importorskip('sklearn')
    return tool.load_source()[1]


@pytest.fixture(scope='module')
def digits(tmp_path_factory, sklearn_targets):
    out = tmp_path_factory.mktemp('digits') / 'set'
    result = make(out)
    assert result['written'] == ['seg', 'cls']
    return str(out)


def _read(path):
    with open(path, 'rb') as f:
        return f.read()


def _json(path):
    with open(path) as f:
        return json.load(f)


SAMPLES = ('seg/JPEGImages/train_0001.jpg',
           'seg/SegmentationClass/val_0002.png', 'cls/train/3/*.png',
           'cls/val/7/*.png')


def _sample_bytes(root):
    out = []
    for pattern in SAMPLES:
        path = sorted(glob.glob(osp.join(root, pattern)))[0]
        out.append(_read(path))
    return out


def test_same_seed_same_bytes_other_seed_differs(digits, tmp_path):
    again = tmp_path / 'again'
    other = tmp_path / 'other'
    make(again)
    make(other, '--seed', '1')
    assert _sample_bytes(digits) == _sample_bytes(str(again))
    assert all(
        a != b
        for a, b in zip(_sample_bytes(digits), _sample_bytes(str(other))))
    # the source split does not depend on the rendering seed
    assert _json(osp.join(digits,
                          'split.json')) == _json(str(other / 'split.json'))


def test_split_is_by_source_digit(digits, sklearn_targets):
    split = _json(osp.join(digits, 'split.json'))
    train, val = set(split['train']), set(split['val'])
    assert not train & val
    assert train | val == set(range(1797))
    for name in ('train', 'val'):
        assert set(sklearn_targets[split[name]]) == set(range(10))
        assert 0.2 < len(split['val']) / 1797 < 0.3
    # every rendered image uses sources of its own split only
    scenes = _json(osp.join(digits, 'seg', 'scenes.json'))
    assert len(scenes) == 10
    for stem, placed in scenes.items():
        sources = split[stem.split('_')[0]]
        for digit in placed:
            assert digit['source'] in sources
            assert digit['label'] == sklearn_targets[digit['source']] + 1
    for name in ('train', 'val'):
        files = glob.glob(osp.join(digits, 'cls', name, '*', '*.png'))
        assert len(files) == 30
        for path in files:
            src = int(osp.basename(path).split('_')[0])
            assert src in split[name]
            assert osp.basename(osp.dirname(path)) == str(sklearn_targets[src])
    assert 'CC BY 4.0' in _read(osp.join(digits, 'README.txt')).decode()


def test_masks_labels_and_ignore_band(digits):
    root = osp.join(digits, 'seg')
    scenes = _json(osp.join(root, 'scenes.json'))
    for stem, placed in scenes.items():
        with Image.open(osp.join(root, 'SegmentationClass',
                                 stem + '.png')) as mask:
            assert mask.mode == 'P'
            labels = np.asarray(mask)
        with Image.open(osp.join(root, 'JPEGImages', stem + '.jpg')) as img:
            assert img.size == (128, 128) and img.mode == 'RGB'
        assert labels.shape == (128, 128)
        values = set(np.unique(labels).tolist())
        assert values <= set(range(11)) | {255}
        assert 2 <= len(placed) <= 4
        present = values - {0, 255}
        assert present <= {d['label'] for d in placed}
        # a digit placed apart from the others is always visible
        assert {d['label'] for d in placed if not d['overlaps']} <= present
        assert 255 in values  # the blurred rim is ignored
        assert 0 in values


def test_configs_read_the_set(digits, monkeypatch):
    import mmpretrain.datasets  # noqa: F401
    from mmpretrain.registry import DATASETS as CLS_DATASETS
    from mmseg.registry import DATASETS

    import selfkd_seg  # noqa: F401
    from selfkd_research.synthetic_data.toy_voc import voc_palette

    meta = _json(osp.join(digits, 'seg', 'meta.json'))
    assert meta['palette'] == voc_palette()[:11]
    monkeypatch.setenv('SELFKD_DIGITS_DATA', digits)
    cfg = Config.fromfile(SEG_CFG)
    assert cfg.data_root == osp.join(digits, 'seg')
    assert list(cfg.digits_metainfo.classes) == meta['classes']
    assert cfg.digits_metainfo.palette == meta['palette']
    assert all(t['type'] != 'RandomFlip' for t in cfg.train_pipeline)
    init_default_scope('mmseg')
    train = DATASETS.build(cfg.train_dataloader.dataset)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert train.check_labels and (len(train), len(val)) == (6, 4)
    assert train.metainfo['classes'] == tuple(meta['classes'])
    sample = train[0]
    assert sample['inputs'].shape == (3, 128, 128)
    assert val[0]['data_samples'].gt_sem_seg.data.shape == (1, 128, 128)

    cfg = Config.fromfile(CLS_CFG)
    assert cfg.data_root == osp.join(digits, 'cls')
    init_default_scope('mmpretrain')
    train = CLS_DATASETS.build(cfg.train_dataloader.dataset)
    val = CLS_DATASETS.build(cfg.val_dataloader.dataset)
    assert train.CLASSES == tuple(str(d) for d in range(10))
    assert (len(train), len(val)) == (30, 30)
    sample = train[0]
    assert sample['inputs'].shape == (3, 32, 32)
    label = int(sample['data_samples'].gt_label)
    assert osp.basename(osp.dirname(train.get_data_info(0)['img_path'])) \
        == str(label)


def test_rerun_with_same_arguments_is_skipped(digits, capsys):
    before = {
        p: os.stat(p).st_mtime_ns
        for p in glob.glob(osp.join(digits, '**', '*'), recursive=True)
    }
    result = make(digits)
    assert result['written'] == [] and result['skipped'] == ['seg', 'cls']
    assert 'already up to date' in capsys.readouterr().out
    after = {
        p: os.stat(p).st_mtime_ns
        for p in glob.glob(osp.join(digits, '**', '*'), recursive=True)
    }
    assert before == after


def test_refuses_foreign_folder(tmp_path, capsys):
    (tmp_path / 'notes.txt').write_text('mine')
    with pytest.raises(SystemExit) as exc:
        make(tmp_path)
    assert exc.value.code == 1
    assert 'refusing' in capsys.readouterr().err
    assert os.listdir(tmp_path) == ['notes.txt']


def test_missing_sklearn_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, 'sklearn', None)
    monkeypatch.setitem(sys.modules, 'sklearn.datasets', None)
    with pytest.raises(ImportError, match='pip install scikit-learn'):
        tool.load_source()
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as exc:
        make(out)
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert '.[digits]' in err and 'pip install scikit-learn' in err
    assert not out.exists()
