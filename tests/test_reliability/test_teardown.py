"""A finished run releases what it started, in order, so the process exits
with 0: loader workers stopped, signal handlers restored, the process group
it created destroyed (left to interpreter shutdown, gloo's threads can abort
the process with "terminate called without an active exception")."""
import json
import os
import socket
import subprocess
import sys

import pytest
import torch.distributed as torch_dist
from tiny_configs import dump_tiny_cfg

REPO = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(
    not torch_dist.is_available() or not torch_dist.is_gloo_available(),
    reason='needs torch.distributed with gloo')

# runs what tools/train.py calls (selfkd_seg.apis.train.train) in a fresh
# process as torchrun would start rank 0 of 1, then reports the state the
# process is left in
PROBE = r'''
import json, multiprocessing, signal, sys
import torch.distributed as dist
from selfkd_seg.apis.train import train
before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
cfg, work_dir = sys.argv[1], sys.argv[2]
extra = sys.argv[3:]
if 'own-group' in extra:
    dist.init_process_group('gloo', init_method='env://')
train(cfg, work_dir=work_dir, launcher='pytorch',
      cfg_options={'train_dataloader.num_workers': 1,
                   'train_dataloader.persistent_workers': True})
print(json.dumps(dict(
    initialized=dist.is_initialized(),
    workers=len(multiprocessing.active_children()),
    handlers_restored=all(signal.getsignal(s) is h
                          for s, h in before.items()))))
'''


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _probe(cfg, work_dir, *extra):
    env = dict(
        os.environ,
        RANK='0',
        LOCAL_RANK='0',
        WORLD_SIZE='1',
        MASTER_ADDR='127.0.0.1',
        MASTER_PORT=str(_free_port()),
        OMP_NUM_THREADS='1',
        PYTHONPATH=REPO)
    proc = subprocess.run([sys.executable, '-c', PROBE, cfg, work_dir, *extra],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_train_main_tears_down_workers_handlers_and_its_group(
        toy_data, tmp_path):
    cfg = dump_tiny_cfg('baseline', toy_data, str(tmp_path), max_iters=2)
    state = _probe(cfg, str(tmp_path / 'run'))
    assert state == dict(initialized=False, workers=0, handlers_restored=True)
    # a group the caller created stays (tests/test_reliability/ddp_driver.py
    # trains several configs in one group and checks this after each)
