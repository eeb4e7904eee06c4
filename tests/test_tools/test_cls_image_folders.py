"""Dataset converter: official split files -> class folders."""
import os
import os.path as osp

import numpy as np
import pytest
from tool_scripts import load_tool

from selfkd_seg.converters import cls_image_folders as tool


def _touch(*parts):
    path = osp.join(*parts)
    os.makedirs(osp.dirname(path), exist_ok=True)
    open(path, 'w').close()
    return path


def _write(path, text):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


def _tree(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root)
        for f in files)


def test_tiny_imagenet_val_annotations_become_folders(tmp_path):
    src = str(tmp_path / 'tiny-imagenet-200')
    _touch(src, 'train', 'n01', 'images', 'n01_0.JPEG')
    _touch(src, 'val', 'images', 'val_0.JPEG')
    _write(
        osp.join(src, 'val', 'val_annotations.txt'),
        'val_0.JPEG\tn02\t0\t1\t2\t3\n')
    cli = load_tool('dataset_converters/cls_image_folders.py')
    counts = cli.main(['tiny-imagenet', src, str(tmp_path / 'out')])
    assert counts == dict(train=1, val=1)
    assert _tree(str(tmp_path /
                     'out')) == ['train/n01/n01_0.JPEG', 'val/n02/val_0.JPEG']
    assert osp.islink(str(tmp_path / 'out' / 'val' / 'n02' / 'val_0.JPEG'))


def test_cub_mit67_stanford40_dogs(tmp_path):
    cub = str(tmp_path / 'CUB_200_2011')
    _touch(cub, 'images', '001.Albatross', 'a.jpg')
    _touch(cub, 'images', '002.Auklet', 'b.jpg')
    _write(
        osp.join(cub, 'images.txt'),
        '1 001.Albatross/a.jpg\n2 002.Auklet/b.jpg\n')
    _write(osp.join(cub, 'train_test_split.txt'), '1 1\n2 0\n')
    tool.convert('cub200', cub, str(tmp_path / 'cub'), copy=True)
    assert _tree(str(tmp_path / 'cub')) == [
        'test/002.Auklet/b.jpg', 'train/001.Albatross/a.jpg'
    ]

    mit = str(tmp_path / 'mit')
    _touch(mit, 'Images', 'bakery', 'x.jpg')
    _touch(mit, 'Images', 'bar', 'y.jpg')
    _write(osp.join(mit, 'TrainImages.txt'), 'bakery/x.jpg\n')
    _write(osp.join(mit, 'TestImages.txt'), 'bar/y.jpg\n')
    assert tool.convert('mit67', mit, str(tmp_path / 'm')) == dict(
        train=1, test=1)

    s40 = str(tmp_path / 's40')
    _touch(s40, 'JPEGImages', 'applauding_001.jpg')
    _touch(s40, 'JPEGImages', 'applauding_002.jpg')
    _write(
        osp.join(s40, 'ImageSplits', 'applauding_train.txt'),
        'applauding_001.jpg\n')
    _write(
        osp.join(s40, 'ImageSplits', 'applauding_test.txt'),
        'applauding_002.jpg\n')
    _write(osp.join(s40, 'ImageSplits', 'train.txt'), 'applauding_001.jpg\n')
    tool.convert('stanford40', s40, str(tmp_path / 's'))
    assert _tree(str(tmp_path / 's')) == [
        'test/applauding/applauding_002.jpg',
        'train/applauding/applauding_001.jpg'
    ]

    scipy_io = pytest.importorskip('scipy.io')
    dogs = str(tmp_path / 'dogs')
    _touch(dogs, 'Images', 'n1-Chihuahua', 'c.jpg')
    for split in ('train', 'test'):
        files = np.empty((1, 1), dtype=object)
        files[0, 0] = np.array(['n1-Chihuahua/c.jpg'])
        scipy_io.savemat(
            osp.join(dogs, f'{split}_list.mat'), dict(file_list=files))
    assert tool.convert('dogs', dogs, str(tmp_path / 'd')) == dict(
        train=1, test=1)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='images.txt'):
        tool.convert('cub200', str(tmp_path), str(tmp_path / 'o'))
    mit = str(tmp_path / 'mit')
    _write(osp.join(mit, 'TrainImages.txt'), 'bakery/missing.jpg\n')
    _write(osp.join(mit, 'TestImages.txt'), '')
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        tool.convert('mit67', mit, str(tmp_path / 'o'))
