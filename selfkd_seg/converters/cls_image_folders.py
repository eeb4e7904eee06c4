"""Arrange the FRSKD classification datasets as class folders.

The library behind ``tools/dataset_converters/cls_image_folders.py``::

    python tools/dataset_converters/cls_image_folders.py DATASET SRC DST
        [--copy]

DATASET is one of ``tiny-imagenet``, ``cub200``, ``mit67``, ``stanford40``,
``dogs``; SRC the extracted official archive; DST the folder the configs
read (``data/tiny_imagenet``, ``data/cub200``, ``data/mit67``,
``data/stanford40``, ``data/stanford_dogs``).  The result is
``DST/<split>/<class>/<image>`` with splits ``train``/``val``
(Tiny-ImageNet) or ``train``/``test`` (the others), which mmpretrain's
``CustomDataset`` reads without annotation files.  Images are symlinked
(``--copy`` copies them).  Nothing is downloaded.

Official splits used (SRC layout):

- tiny-imagenet: ``tiny-imagenet-200/``: ``train/<wnid>/images/*.JPEG``,
  ``val/images/*.JPEG`` + ``val/val_annotations.txt`` (the labelled val set
  is the test set, as in the FRSKD code).
- cub200: ``CUB_200_2011/``: ``images.txt``, ``train_test_split.txt``,
  ``images/<class>/*.jpg``.
- mit67: ``TrainImages.txt``, ``TestImages.txt``, ``Images/<class>/*.jpg``.
- stanford40: ``ImageSplits/<action>_{train,test}.txt``, ``JPEGImages/``.
- dogs: ``train_list.mat``, ``test_list.mat`` (``file_list``),
  ``Images/<class>/*.jpg`` (needs scipy to read the .mat lists).
"""
import glob
import os
import os.path as osp
import shutil
from typing import Dict, Iterator, Tuple


def _need(path: str) -> str:
    if not osp.exists(path):
        raise FileNotFoundError(f'expected {path!r}: is SRC the extracted '
                                'official dataset folder?')
    return path


def _lines(path: str) -> Iterator[str]:
    with open(_need(path)) as f:
        for line in f:
            if line.strip():
                yield line.strip()


# Each reader yields (split, class, source image path).
def tiny_imagenet(src: str) -> Iterator[Tuple[str, str, str]]:
    for path in sorted(
            glob.glob(
                osp.join(
                    _need(osp.join(src, 'train')), '*', 'images', '*.JPEG'))):
        yield 'train', path.split(os.sep)[-3], path
    val = osp.join(src, 'val')
    for line in _lines(osp.join(val, 'val_annotations.txt')):
        name, wnid = line.split('\t')[:2]
        yield 'val', wnid, osp.join(val, 'images', name)


def cub200(src: str) -> Iterator[Tuple[str, str, str]]:
    images = dict(
        line.split(' ', 1) for line in _lines(osp.join(src, 'images.txt')))
    for line in _lines(osp.join(src, 'train_test_split.txt')):
        image_id, is_train = line.split()
        rel = images[image_id]
        yield ('train' if is_train == '1' else 'test', rel.split('/')[0],
               osp.join(src, 'images', rel))


def mit67(src: str) -> Iterator[Tuple[str, str, str]]:
    for split, listing in (('train', 'TrainImages.txt'), ('test',
                                                          'TestImages.txt')):
        for rel in _lines(osp.join(src, listing)):
            yield split, rel.split('/')[0], osp.join(src, 'Images', rel)


def stanford40(src: str) -> Iterator[Tuple[str, str, str]]:
    splits = _need(osp.join(src, 'ImageSplits'))
    for split in ('train', 'test'):
        lists = sorted(glob.glob(osp.join(splits, f'*_{split}.txt')))
        lists = [p for p in lists if osp.basename(p) != f'actions_{split}.txt']
        if not lists:
            raise FileNotFoundError(f'no <action>_{split}.txt in {splits}')
        for listing in lists:
            action = osp.basename(listing)[:-len(f'_{split}.txt')]
            for name in _lines(listing):
                yield split, action, osp.join(src, 'JPEGImages', name)


def dogs(src: str) -> Iterator[Tuple[str, str, str]]:
    from scipy.io import loadmat
    for split in ('train', 'test'):
        mat = loadmat(_need(osp.join(src, f'{split}_list.mat')))
        for entry in mat['file_list']:
            rel = str(entry[0][0])
            yield split, rel.split('/')[0], osp.join(src, 'Images', rel)


READERS = {
    'tiny-imagenet': tiny_imagenet,
    'cub200': cub200,
    'mit67': mit67,
    'stanford40': stanford40,
    'dogs': dogs,
}


def convert(dataset: str,
            src: str,
            dst: str,
            copy: bool = False) -> Dict[str, int]:
    """Write ``dst/<split>/<class>/<image>``; return images per split."""
    if dataset not in READERS:
        raise ValueError(f'unknown dataset {dataset!r}, choose from '
                         f'{sorted(READERS)}')
    counts: Dict[str, int] = {}
    for split, cls, path in READERS[dataset](_need(src)):
        _need(path)
        folder = osp.join(dst, split, cls)
        os.makedirs(folder, exist_ok=True)
        target = osp.join(folder, osp.basename(path))
        if not osp.lexists(target):
            if copy:
                shutil.copy2(path, target)
            else:
                os.symlink(osp.abspath(path), target)
        counts[split] = counts.get(split, 0) + 1
    return counts
