"""2-process DDP on CPU (gloo) through ``tools/train.py --launcher pytorch``.

One torchrun launch trains every method (tiny configs, 2 iterations), so the
start-up cost is paid once; the tests below read what each rank recorded.
"""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch.distributed as torch_dist
from tiny_configs import METHODS, tiny_cfg

HERE = osp.dirname(osp.abspath(__file__))
SYNC_BN = dict(type='SyncBN', requires_grad=True, momentum=0.01, eps=1e-3)

pytestmark = pytest.mark.skipif(
    not torch_dist.is_available() or not torch_dist.is_gloo_available(),
    reason='needs torch.distributed with gloo')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def ddp_records(toy_data, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('ddp'))
    configs = []
    for method in METHODS:
        cfg = tiny_cfg(method, toy_data, osp.join(out, method), max_iters=2)
        if METHODS[method][1] == 'seg':
            # a GPU config: SyncBN must fall back to BN on CPU
            cfg.model.neck.norm_cfg = SYNC_BN
            cfg.model.decode_head.norm_cfg = SYNC_BN
        for hook in cfg.get('custom_hooks', []):
            if hook['type'] == 'DistillWeightScheduleHook':
                hook.update(warmup=1, ramp=2)  # weights change every step
        cfg.custom_hooks = list(cfg.get(
            'custom_hooks', [])) + [dict(type='DDPRecordHook', out_dir=out)]
        path = osp.join(out, f'{method}.py')
        cfg.dump(path)
        configs.append(path)
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2',
        '--master_port',
        str(_free_port()),
        osp.join(HERE, 'ddp_driver.py'), out, *configs
    ],
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    records = {}
    for method in METHODS:
        records[method] = []
        for rank in range(2):
            with open(osp.join(out, f'{method}_rank{rank}.json')) as f:
                records[method].append(json.load(f))
    return records


@pytest.mark.parametrize('method', list(METHODS))
def test_ranks_end_with_identical_parameters(ddp_records, method):
    rank0, rank1 = ddp_records[method]
    assert rank0['world_size'] == rank1['world_size'] == 2
    assert rank0['wrapper'] == 'MMDistributedDataParallel'
    assert rank0['params'] == rank1['params']


@pytest.mark.parametrize('method', list(METHODS))
def test_stateful_hooks_decide_alike_on_every_rank(ddp_records, method):
    rank0, rank1 = ddp_records[method]
    assert len(rank0['steps']) == 2
    assert rank0['steps'] == rank1['steps']


def test_schedule_and_self_distillation_hooks_were_active(ddp_records):
    weights = [
        s['distill_weights'] for s in ddp_records['frskd_seg'][0]['steps']
    ]
    assert weights[0] != weights[1]  # the ramp moved between the steps
    blends = [
        s['self_distill']['updates']
        for s in ddp_records['sfd_seg'][0]['steps']
    ]
    assert blends == [0, 1]  # first step: snapshot, second: blend


@pytest.mark.parametrize(
    'method', [m for m, (_, kind) in METHODS.items() if kind == 'seg'])
def test_sync_bn_config_falls_back_to_bn_on_cpu(ddp_records, method):
    for record in ddp_records[method]:
        assert 'SyncBatchNorm' not in record['norm_types']
        assert 'BatchNorm2d' in record['norm_types']
