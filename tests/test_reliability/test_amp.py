"""``--amp`` on CPU: bfloat16 autocast for every method, losses in float32."""
import math

import pytest
import torch
from mmengine.model import is_model_wrapper
from tiny_configs import METHODS, tiny_cfg

from selfkd_seg.apis.config import prepare_train_cfg


def _loss_modules(model):
    return [(name, m) for name, m in model.named_modules()
            if type(m).__name__.endswith('Loss')]


@pytest.mark.parametrize('method', list(METHODS))
def test_amp_trains_each_method_with_float32_losses(method, toy_data,
                                                    tmp_path):
    from mmengine.runner import Runner
    cfg = tiny_cfg(method, toy_data, str(tmp_path), max_iters=1)
    prepare_train_cfg(cfg, f'{method}.py', work_dir=str(tmp_path), amp=True)
    assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    runner = Runner.from_cfg(cfg)
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    seen = {}

    def record(name):

        def hook(module, inputs, output):
            in_dtypes = {t.dtype for t in inputs if torch.is_tensor(t)}
            seen[name] = (in_dtypes, output.dtype)

        return hook

    for name, module in _loss_modules(model):
        module.register_forward_hook(record(name))
    runner.train()

    # autocast was on: some loss received bfloat16 activations ...
    assert any(torch.bfloat16 in ins for ins, _ in seen.values()), seen
    # ... and every loss (CE and the distillation terms) came out float32
    assert seen and all(out == torch.float32 for _, out in seen.values()), \
        {n: out for n, (_, out) in seen.items()}
    scalars = runner.message_hub.log_scalars
    losses = {
        k: v.current()
        for k, v in scalars.items() if k.startswith('train/') and 'loss' in k
    }
    assert losses and all(math.isfinite(v) for v in losses.values()), losses
