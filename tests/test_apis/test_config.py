"""What tools/train.py and tools/test.py do to a config
(:mod:`selfkd_seg.apis.config`)."""
import os.path as osp

import pytest
import torch

import selfkd_seg  # noqa: F401
from selfkd_seg.apis.config import (load_config, prepare_test_cfg,
                                    prepare_train_cfg, replace_sync_bn)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CIFAR_CFG = osp.join(REPO, 'configs', 'frskd_cls',
                     'frskd_wrn-16-2_200e_cifar100.py')
SEG_CFG = osp.join(REPO, 'configs', 'frskd_seg',
                   'frskd_efficientdet-d0_60e_voc0712.py')


def test_a_config_that_would_download_cifar_is_refused():
    cfg = load_config(CIFAR_CFG)  # the shipped configs never download
    assert cfg.train_dataloader.dataset.download is False
    with pytest.raises(
            ValueError, match=r'train_dataloader.dataset would download'):
        load_config(CIFAR_CFG, {'train_dataloader.dataset.download': True})


def test_unknown_scope_and_missing_files_fail_clearly(tmp_path):
    bad = tmp_path / 'bad.py'
    bad.write_text("default_scope = 'mmdet'\n")
    with pytest.raises(ValueError, match="default_scope must be one of"):
        load_config(str(bad))
    with pytest.raises(FileNotFoundError, match='nope.py'):
        load_config(str(tmp_path / 'nope.py'))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        prepare_test_cfg(
            load_config(SEG_CFG), SEG_CFG, str(tmp_path / 'missing.pth'))


def test_single_process_runs_replace_sync_bn():
    cfg = load_config(SEG_CFG)
    assert cfg.model.neck.norm_cfg.type == 'SyncBN'
    prepare_train_cfg(cfg, SEG_CFG, work_dir='/tmp/x')
    assert cfg.model.neck.norm_cfg.type == 'BN'
    # the self-teacher's BiFPN inherits the student neck's (now BN) norm
    assert 'SyncBN' not in str(cfg.model.self_teacher)
    assert replace_sync_bn(cfg.model) == 0


def test_resume_switches(tmp_path):
    # nothing to resume from in an empty work dir: train from scratch
    cfg = prepare_train_cfg(
        load_config(SEG_CFG), SEG_CFG, work_dir=str(tmp_path), resume='auto')
    assert cfg.resume is False and cfg.load_from is None
    with pytest.raises(FileNotFoundError, match='no_such.pth'):
        prepare_train_cfg(
            load_config(SEG_CFG),
            SEG_CFG,
            work_dir=str(tmp_path),
            resume='no_such.pth')
    # a training checkpoint in the work dir: --resume finds and takes it
    ckpt = str(tmp_path / 'iter_4.pth')
    torch.save(dict(state_dict={}, meta=dict(iter=4), message_hub={}), ckpt)
    (tmp_path / 'last_checkpoint').write_text(ckpt)
    cfg = prepare_train_cfg(
        load_config(SEG_CFG), SEG_CFG, work_dir=str(tmp_path), resume='auto')
    assert (cfg.resume, cfg.load_from) == (True, ckpt)
    # an explicit file is taken as it is; no --resume: no resume
    cfg = prepare_train_cfg(
        load_config(SEG_CFG), SEG_CFG, work_dir=str(tmp_path), resume=ckpt)
    assert (cfg.resume, cfg.load_from) == (True, ckpt)
    cfg = prepare_train_cfg(
        load_config(SEG_CFG), SEG_CFG, work_dir=str(tmp_path))
    assert cfg.resume is False and cfg.load_from is None
