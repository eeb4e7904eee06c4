"""Run under torchrun: train several configs through what tools/train.py
calls (``selfkd_seg.apis.train.train``, launcher ``pytorch``) in ONE
process group (one start-up for all methods) and dump what each rank saw.

    python -m torch.distributed.run --nproc_per_node 2 ddp_driver.py \\
        OUT_DIR CFG [CFG ...]

Each config must list ``dict(type='DDPRecordHook', out_dir=OUT_DIR)`` in
its custom_hooks; the hook writes ``OUT_DIR/<config>_rank<r>.json``.
"""
import hashlib
import json
import os.path as osp
import sys
import time

import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.registry import HOOKS


def _digest(tensors) -> str:
    sha = hashlib.sha256()
    for name, value in tensors:
        sha.update(name.encode())
        sha.update(value.detach().cpu().contiguous().numpy().tobytes())
    return sha.hexdigest()


@HOOKS.register_module(force=True)
class DDPRecordHook(Hook):
    """Record, per iteration, the decisions of the stateful hooks; at the end
    the parameter digest, the norm layer types and the train wall time."""

    priority = 'LOWEST'

    def __init__(self, out_dir: str):
        self.out_dir = out_dir
        self.steps = []

    def _model(self, runner):
        return runner.model.module if is_model_wrapper(
            runner.model) else runner.model

    def before_train(self, runner):
        self.start = time.perf_counter()

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None):
        step = dict(iter=runner.iter + 1)
        weights = getattr(self._model(runner), 'distill_weights', None)
        if isinstance(weights, dict):
            step['distill_weights'] = {k: float(v) for k, v in weights.items()}
        for hook in runner.hooks:
            if type(hook).__name__ == 'SelfDistillHook':
                step['self_distill'] = dict(
                    updates=hook.num_updates,
                    flip=hook.last_flip,
                    tau=hook.last_tau)
        self.steps.append(step)

    def after_train(self, runner):
        model = self._model(runner)
        record = dict(
            rank=dist.get_rank(),
            world_size=dist.get_world_size(),
            wrapper=type(runner.model).__name__,
            train_seconds=time.perf_counter() - self.start,
            params=_digest(sorted(model.named_parameters())),
            norm_types=sorted({
                type(m).__name__
                for m in model.modules() if 'Norm' in type(m).__name__
            }),
            steps=self.steps)
        name = osp.splitext(osp.basename(runner.cfg.filename))[0]
        with open(
                osp.join(self.out_dir, f'{name}_rank{record["rank"]}.json'),
                'w') as f:
            json.dump(record, f)


def main():
    torch.set_num_threads(1)
    from selfkd_seg.apis.train import train
    out_dir, configs = sys.argv[1], sys.argv[2:]
    # one process group for all configs: train() leaves a group it did not
    # create alone (it destroys only its own)
    torch.distributed.init_process_group('gloo', init_method='env://')
    for cfg in configs:
        name = osp.splitext(osp.basename(cfg))[0]
        train(cfg, work_dir=osp.join(out_dir, name), launcher='pytorch')
        assert torch.distributed.is_initialized()
    torch.distributed.destroy_process_group()


if __name__ == '__main__':
    main()
