"""Atomic checkpoint writes and picking the newest complete checkpoint."""
import os
import os.path as osp
import time

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import get_file_backend
from mmengine.runner.checkpoint import save_checkpoint

from selfkd_seg.apis.config import prepare_train_cfg
from selfkd_seg.engine.checkpoint_io import (AtomicLocalBackend,
                                             atomic_write_text,
                                             find_resumable_checkpoint,
                                             is_complete_checkpoint)


def _save(path, value, age=0.0):
    """A training checkpoint (with the state ``Runner.resume`` reads)."""
    save_checkpoint(
        {
            'state_dict': {
                'w': torch.full((256, ), value)
            },
            'meta': dict(iter=int(value)),
            'message_hub': dict(log_scalars={})
        }, path)
    stamp = time.time() - age
    os.utime(path, (stamp, stamp))
    return path


def test_mmengine_saves_local_checkpoints_through_the_atomic_backend(
        tmp_path, monkeypatch):
    assert isinstance(
        get_file_backend(str(tmp_path / 'x.pth')), AtomicLocalBackend)
    path = _save(str(tmp_path / 'iter_1.pth'), 1.0)

    # a crash between writing and renaming leaves the old file untouched
    def crash(src, dst):
        raise KeyboardInterrupt('killed before the rename')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        _save(path, 2.0)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True)['state_dict']['w'][0] == 1.0
    assert osp.isfile(path + '.tmp')  # the partial write is only a .tmp


def test_truncated_or_empty_files_are_not_complete(tmp_path):
    path = _save(str(tmp_path / 'good.pth'), 1.0)
    assert is_complete_checkpoint(path)
    data = open(path, 'rb').read()
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(data[:len(data) // 2])
    flipped = tmp_path / 'flipped.pth'  # same length, damaged in the middle
    flipped.write_bytes(data[:len(data) // 2] + bytes(
        b ^ 0xFF for b in data[len(data) // 2:len(data) // 2 + 64]) +
                        data[len(data) // 2 + 64:])
    (tmp_path / 'empty.pth').write_bytes(b'')
    for bad in (cut, flipped, tmp_path / 'empty.pth', tmp_path / 'no.pth'):
        assert not is_complete_checkpoint(str(bad)), bad


def test_resume_skips_a_truncated_newest_checkpoint_and_bad_pointer(tmp_path):
    work_dir = str(tmp_path)
    older = _save(osp.join(work_dir, 'iter_2.pth'), 2.0, age=30)
    _save(osp.join(work_dir, 'iter_1.pth'), 1.0, age=60)
    newest = _save(osp.join(work_dir, 'iter_3.pth'), 3.0, age=0)
    data = open(newest, 'rb').read()
    with open(newest, 'wb') as f:  # e.g. disk full while copying
        f.write(data[:100])
    atomic_write_text(newest, osp.join(work_dir, 'last_checkpoint'))
    assert find_resumable_checkpoint(work_dir) == (older, [
        (newest, 'missing, truncated or unreadable')
    ])

    # an empty pointer (killed while mmengine rewrote it) is no problem
    open(osp.join(work_dir, 'last_checkpoint'), 'w').close()
    assert find_resumable_checkpoint(work_dir)[0] == older

    cfg = Config(dict(work_dir=work_dir, model=dict()))
    prepare_train_cfg(cfg, 'x.py', resume=True)
    assert cfg.resume is True and cfg.load_from == older


def test_resume_without_any_complete_checkpoint_starts_from_scratch(tmp_path):
    (tmp_path / 'iter_1.pth').write_bytes(b'PK\x03\x04 truncated')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'iter_1.pth'))
    cfg = Config(dict(work_dir=str(tmp_path), model=dict()))
    prepare_train_cfg(cfg, 'x.py', resume=True)
    assert cfg.resume is False and cfg.load_from is None


def test_train_cfg_gets_reliability_hooks_once(tmp_path):
    cfg = Config(
        dict(
            model=dict(),
            custom_hooks=[dict(type='RNGStateHook', isolate_val=False)]))
    prepare_train_cfg(cfg, 'x.py', work_dir=str(tmp_path))
    types = [h['type'] for h in cfg.custom_hooks]
    assert types == [
        'RNGStateHook', 'NonFiniteLossHook', 'InterruptCheckpointHook',
        'DatasetModelCheckHook'
    ]
    assert cfg.custom_hooks[0]['isolate_val'] is False  # user's args kept
    listed = Config(
        dict(
            model=dict(),
            default_hooks=dict(check=dict(type='DatasetModelCheckHook'))))
    prepare_train_cfg(listed, 'x.py', work_dir=str(tmp_path))
    assert 'DatasetModelCheckHook' not in [
        h['type'] for h in listed.custom_hooks
    ]  # a default hook counts as listed: it does not run twice
    off = Config(dict(model=dict(), reliability_hooks=False))
    prepare_train_cfg(off, 'x.py', work_dir=str(tmp_path))
    assert not off.get('custom_hooks')


def test_resume_skips_an_exported_student_even_if_newest(tmp_path, caplog):
    """An exported student has weights only; mmengine's resume would fail
    with ``KeyError: 'message_hub'``."""
    from selfkd_seg.apis import export_student_checkpoint
    work_dir = str(tmp_path)
    ckpt = osp.join(work_dir, 'iter_4.pth')
    save_checkpoint(
        {
            'state_dict': {
                'backbone.w': torch.ones(2),
                'self_teacher.w': torch.ones(2)
            },
            'meta': dict(iter=4),
            'message_hub': dict(log_scalars={})
        }, ckpt)
    stamp = time.time() - 60
    os.utime(ckpt, (stamp, stamp))
    student = osp.join(work_dir, 'student.pth')
    export_student_checkpoint(ckpt, student)
    (tmp_path / 'weights.pth').write_bytes(b'')  # and an empty file
    path, skipped = find_resumable_checkpoint(work_dir)
    assert path == ckpt
    reasons = dict(skipped)
    assert 'not a training checkpoint (no message_hub' in \
        reasons[student]
    cfg = Config(dict(work_dir=work_dir, model=dict()))
    prepare_train_cfg(cfg, 'x.py', resume=True)
    assert cfg.load_from == ckpt


def test_last_checkpoint_of_a_moved_work_dir_resolves_into_it(tmp_path):
    """mmengine writes an absolute pointer; a copied work dir must resume
    from its own files, not from the original folder."""
    import shutil
    original = str(tmp_path / 'original')
    os.makedirs(original)
    _save(osp.join(original, 'iter_2.pth'), 2.0)
    with open(osp.join(original, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(original, 'iter_2.pth'))  # as mmengine does
    copy = str(tmp_path / 'copy')
    shutil.copytree(original, copy)
    assert find_resumable_checkpoint(copy)[0] == osp.join(copy, 'iter_2.pth')
    # the original keeps resuming from itself
    assert find_resumable_checkpoint(original)[0] == osp.join(
        original, 'iter_2.pth')
    # a relative pointer is relative to the work dir
    with open(osp.join(copy, 'last_checkpoint'), 'w') as f:
        f.write('iter_2.pth')
    assert find_resumable_checkpoint(copy)[0] == osp.join(copy, 'iter_2.pth')
