"""Time COCO-format rasterization and per-epoch data loading.

The logic of ``tools/analysis/coco_loading_benchmark.py`` (its docstring has
the usage). Writes the toy shapes as COCO-format JSON (make_toy_coco), then
reports: the cold rasterization throughput (images/s; building the PNG
cache), the warm start (cache hit: hashing the JSON only), and the
data-loading time of each epoch through the toy training pipeline with
num_workers=0, the first epoch counting the dataset construction (i.e. the
rasterization).
"""
import argparse
import tempfile
import time
import warnings

from mmengine.registry import init_default_scope

from selfkd_research.synthetic_data import make_toy_coco
from selfkd_seg.datasets import COCOSemanticDataset


def pipeline():
    return [
        dict(type='LoadImageFromFileChecked'),
        dict(type='LoadAnnotationsChecked'),
        dict(type='RandomFlip', prob=0.5),
        dict(type='PackSegInputs')
    ]


def build(root):
    return COCOSemanticDataset(
        ann_file='annotations/train.json',
        data_root=root,
        data_prefix=dict(img_path='images'),
        pipeline=pipeline())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--num', type=int, default=200)
    parser.add_argument('--size', type=int, default=512)
    parser.add_argument('--epochs', type=int, default=3)
    parser.add_argument('--work-dir')
    args = parser.parse_args(argv)
    warnings.simplefilter('ignore')
    init_default_scope('mmseg')
    root = args.work_dir or tempfile.mkdtemp(prefix='coco_bench_')
    info = make_toy_coco(
        root,
        num_train=args.num,
        num_val=0,
        img_size=(args.size, args.size),
        seed=0)
    print(f'{args.num} images of {args.size}x{args.size}, '
          f"{info['num_annotations']['train']} annotations in {root}")

    t0 = time.perf_counter()
    dataset = build(root)
    cold = time.perf_counter() - t0
    assert dataset.semantic['reused'] is False, 'cache existed already'
    print(f'cold build (rasterize + write PNG cache): {cold:.2f} s = '
          f'{args.num / cold:.1f} images/s')
    t0 = time.perf_counter()
    warm_ds = build(root)
    warm = time.perf_counter() - t0
    assert warm_ds.semantic['reused'] is True
    print(f'warm build (cache hit): {warm:.3f} s')

    results = {'cold_build_s': cold, 'warm_build_s': warm, 'epochs': []}
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        for idx in range(len(dataset)):
            dataset[idx]
        took = time.perf_counter() - t0 + (cold if epoch == 0 else 0)
        results['epochs'].append(took)
        note = ' (incl. cold build)' if epoch == 0 else ''
        print(f'epoch {epoch + 1} data loading: {took:.2f} s{note} = '
              f'{len(dataset) / took:.1f} images/s')
    return results
