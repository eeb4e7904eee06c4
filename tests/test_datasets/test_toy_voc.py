import json
import os
import os.path as osp
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from selfkd_research.synthetic_data.toy_voc import TOY_CLASSES, _ignore_border
from selfkd_research.synthetic_data.toy_voc import main as toy_voc_main
from selfkd_research.synthetic_data.toy_voc import (make_toy_voc,
                                                    toy_voc_is_current,
                                                    voc_palette)

SMALL = dict(num_train=4, num_val=2, img_size=(32, 32))


def _tree_bytes(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = osp.join(dirpath, f)
            out[osp.relpath(p, root)] = Path(p).read_bytes()
    return out


def test_voc_palette_matches_voc():
    palette = voc_palette()
    assert palette[:4] == [[0, 0, 0], [128, 0, 0], [0, 128, 0], [128, 128, 0]]
    assert palette[255] == [224, 224, 192]  # VOC's ignore-border colour


def test_same_seed_same_bytes_other_seed_differs(tmp_path, tiny_toy_root):
    make_toy_voc(str(tmp_path / 'a'), seed=0, **SMALL)
    make_toy_voc(str(tmp_path / 'b'), seed=1, **SMALL)
    same, other = _tree_bytes(tmp_path / 'a'), _tree_bytes(tmp_path / 'b')
    assert same == _tree_bytes(tiny_toy_root)  # fixture also uses seed 0
    jpgs = [k for k in same if k.endswith('.jpg')]
    assert len(jpgs) == 6
    assert all(same[k] != other[k] for k in jpgs)


def test_val_images_do_not_depend_on_num_train(tmp_path, tiny_toy_root):
    make_toy_voc(str(tmp_path), num_train=2, num_val=2, img_size=(32, 32))
    a, b = _tree_bytes(tmp_path), _tree_bytes(tiny_toy_root)
    assert a['JPEGImages/val_0001.jpg'] == b['JPEGImages/val_0001.jpg']


def test_format_masks_splits_and_meta(tiny_toy_root):
    root = tiny_toy_root
    split_dir = osp.join(root, 'ImageSets', 'Segmentation')
    splits = {
        s: Path(split_dir, s + '.txt').read_text().split()
        for s in ('train', 'val', 'trainval')
    }
    assert len(splits['train']) == 4 and len(splits['val']) == 2
    assert splits['trainval'] == splits['train'] + splits['val']
    seen = set()
    for name in splits['trainval']:
        img = Image.open(osp.join(root, 'JPEGImages', name + '.jpg'))
        mask = Image.open(osp.join(root, 'SegmentationClass', name + '.png'))
        assert img.mode == 'RGB' and img.size == (32, 32)
        assert mask.mode == 'P' and mask.size == (32, 32)
        assert mask.getpalette()[:6] == [0, 0, 0, 128, 0, 0]
        values = set(np.unique(np.asarray(mask)).tolist())
        assert values <= set(range(len(TOY_CLASSES))) | {255}
        assert 255 in values  # thin ignore border around the objects
        seen |= values
    assert len(seen - {0, 255}) >= 2  # several shape classes occur
    meta = json.loads(Path(root, 'meta.json').read_text())
    assert meta['classes'] == list(TOY_CLASSES)
    assert meta['palette'] == voc_palette()[:len(TOY_CLASSES)]


def test_ignore_border_is_a_two_pixel_band_on_label_changes():
    labels = np.zeros((10, 10), dtype=np.uint8)
    labels[3:7, 3:7] = 2
    border = _ignore_border(labels)
    expected = np.zeros((10, 10), dtype=bool)
    expected[2:8, 2:8] = True  # one pixel outside ...
    expected[4:6, 4:6] = False  # ... and one inside the square's edge
    assert (border == expected).all()
    assert not _ignore_border(np.ones((5, 5), dtype=np.uint8)).any()


def test_real_masks_keep_most_pixels_labelled(tiny_toy_root):
    for name in ('train_0000', 'train_0001', 'val_0000'):
        mask = np.asarray(
            Image.open(
                osp.join(tiny_toy_root, 'SegmentationClass', name + '.png')))
        assert 0 < (mask == 255).mean() < 0.3


def test_class_subset_and_bad_arguments(tmp_path):
    summary = make_toy_voc(
        str(tmp_path / 'sub'), classes=('triangle', 'circle'), **SMALL)
    assert summary['classes'] == ('background', 'triangle', 'circle')
    assert summary['splits'] == dict(train=4, val=2, trainval=6)
    with pytest.raises(ValueError, match='hexagon'):
        make_toy_voc(str(tmp_path / 'bad'), classes=['hexagon'], **SMALL)
    with pytest.raises(ValueError, match='img_size'):
        make_toy_voc(str(tmp_path / 'bad'), num_train=1, img_size=(8, 8))


def test_refuses_unrelated_non_empty_folder(tmp_path):
    (tmp_path / 'precious.txt').write_text('keep me')
    with pytest.raises(FileExistsError, match='meta.json'):
        make_toy_voc(str(tmp_path), **SMALL)
    assert (tmp_path / 'precious.txt').exists()


def test_cli_is_idempotent_and_regenerates_on_new_args(tmp_path):
    out = str(tmp_path / 'toy')
    argv = [out, '--num-train', '3', '--num-val', '1', '--size', '24', '32']
    assert toy_voc_main(argv)['img_size'] == (24, 32)
    assert toy_voc_is_current(out, num_train=3, num_val=1, img_size=(24, 32))
    stamp = os.stat(osp.join(out, 'meta.json')).st_mtime_ns
    assert toy_voc_main(argv) is None  # up to date: skipped
    assert os.stat(osp.join(out, 'meta.json')).st_mtime_ns == stamp
    os.remove(osp.join(out, 'JPEGImages', 'train_0000.jpg'))  # incomplete
    assert toy_voc_main(argv) is not None
    assert osp.isfile(osp.join(out, 'JPEGImages', 'train_0000.jpg'))
    assert toy_voc_main(argv + ['--seed', '3'])['seed'] == 3
    with open(osp.join(out, 'ImageSets', 'Segmentation', 'train.txt')) as f:
        assert len(f.read().split()) == 3


def test_toy_generators_live_outside_the_runtime_datasets():
    import subprocess
    import sys
    code = ('import sys, selfkd_seg, selfkd_seg.datasets; '
            'print("selfkd_research.synthetic_data" in sys.modules)')
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True,
                         check=True).stdout.split()[-1]
    assert out == 'False'
    # the generators have one home: no alias in selfkd_seg.datasets
    import selfkd_seg.datasets as datasets
    assert not hasattr(datasets, 'make_toy_cls')
    with pytest.raises(ImportError):
        import selfkd_seg.datasets.toy_voc  # noqa: F401
