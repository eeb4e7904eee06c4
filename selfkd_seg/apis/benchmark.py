"""Pieces shared by the benchmark and comparison scripts in tools/analysis."""
import os.path as osp
import statistics
import time
from typing import Callable, Dict


def train_step(model, optimizer, inputs, data_samples) -> None:
    """One plain training step: every ``loss*`` term, backward, SGD step."""
    losses = model.loss(inputs, data_samples)
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


def interleaved_medians(fns: Dict[str, Callable],
                        steps: int,
                        warmup: int = 2) -> Dict[str, float]:
    """Median seconds of each callable over ``steps`` rounds after
    ``warmup`` rounds; one call of each per round, so machine noise hits
    every candidate alike and their ratios stay meaningful."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    for _ in range(steps):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def toy_cls_recipe(cfg, data_root: str, work_dir: str, *, batch: int,
                   lr: float, epochs: int, seed: int):
    """Turn a toy classification config into a short, comparable CPU run:
    CIFAR-style augmentation, cosine lr over ``epochs``, one validation and
    one checkpoint at the end, the given seed. Modifies ``cfg`` in place."""
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.data_root = data_root
        loader.batch_size = batch
    cfg.train_dataloader.dataset.pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='RandomCrop', crop_size=32, padding=4),
        dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        dict(type='PackInputs'),
    ]
    cfg.optim_wrapper.optimizer.lr = lr
    cfg.param_scheduler = dict(
        type='CosineAnnealingLR', by_epoch=True, T_max=epochs)
    cfg.train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=epochs)
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=50)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=epochs, max_keep_ckpts=1)
    cfg.work_dir = work_dir
    cfg.log_level = 'WARNING'
    return cfg
