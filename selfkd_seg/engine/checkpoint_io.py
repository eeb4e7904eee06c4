"""Crash-safe checkpoint files: atomic writes and a resume that skips wrecks.

Two guarantees that ``--resume`` relies on:

1. **A checkpoint file is complete or absent.**  mmengine writes a
   checkpoint with ``get_file_backend(path).put(bytes, path)``; for local
   paths that is ``LocalBackend``, which opens the final name and writes into
   it, so a kill during the write leaves a truncated ``iter_N.pth``.
   :class:`AtomicLocalBackend` replaces mmengine's ``'local'`` backend (through
   mmengine's own ``register_backend``): every ``put``/``put_text`` writes
   ``<name>.tmp``, flushes it to disk and renames it over ``<name>`` with
   ``os.replace``, which is atomic on POSIX and Windows file systems.
2. **Resume picks the newest complete checkpoint.**  mmengine's
   ``CheckpointHook`` writes the ``last_checkpoint`` pointer with a plain
   ``open(..., 'w')``, which a kill can leave empty, and a file can also be
   damaged afterwards (disk full, a copy cut short).
   :func:`find_resumable_checkpoint` follows ``last_checkpoint`` only when the
   file it names is complete (:func:`is_complete_checkpoint`) and a training
   checkpoint (not an exported student), and otherwise takes the newest such
   ``*.pth`` in the work dir.  ``tools/train.py
   --resume`` uses it; pointers written by selfkd_seg go through
   :func:`atomic_write_text`.
"""
import errno
import glob
import os
import os.path as osp
import shutil
import zipfile
from pathlib import Path
from typing import List, Optional, Tuple, Union

import mmengine
from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log

TMP_SUFFIX = '.tmp'


class DiskFullError(OSError):
    """A file could not be written because its file system is full.

    Keeps ``errno`` (``ENOSPC`` or ``EDQUOT``), so ``except OSError`` code
    still sees it; the message names the folder, the bytes the write needed,
    the bytes free and what to do.
    """


_DISK_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, 'EDQUOT', errno.ENOSPC)}


def _disk_full_error(err: OSError, filepath: str,
                     needed: int) -> DiskFullError:
    folder = osp.dirname(osp.abspath(filepath))
    try:
        free = f'{shutil.disk_usage(folder).free:,} bytes are free'
    except OSError:
        free = 'the free space is unknown'
    return DiskFullError(
        err.errno,
        f'no space left to write {osp.basename(filepath)!r} in {folder!r}: '
        f'it needs {needed:,} bytes and {free} ({os.strerror(err.errno)}). '
        'The partial file was removed; the previous checkpoint and '
        '"last_checkpoint" are unchanged. Free space there (delete old '
        'checkpoints, or keep fewer with default_hooks.checkpoint.'
        'max_keep_ckpts=N) or use a --work-dir on a larger disk, then '
        'continue with --resume.', filepath)


def atomic_write_bytes(data: bytes, filepath: Union[str, Path]) -> None:
    """Write ``data`` to ``filepath`` so readers see the old or the new file.

    The bytes go to ``filepath + '.tmp'`` first, are flushed and fsync'ed,
    then renamed over ``filepath``.  A kill at any point leaves either the
    previous file or the complete new one (plus, at worst, a stale ``.tmp``
    that the next write replaces).  A write that fails (disk full, quota,
    I/O error) removes its ``.tmp``, so a full disk is not left fuller; a
    full disk raises :class:`DiskFullError`.
    """
    filepath = str(filepath)
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(filepath)))
    tmp = filepath + TMP_SUFFIX
    try:
        with open(tmp, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except OSError as err:
        try:
            os.remove(tmp)
        except OSError:
            pass
        if err.errno in _DISK_FULL_ERRNOS:
            raise _disk_full_error(err, filepath, len(data)) from err
        raise
    os.replace(tmp, filepath)


def atomic_write_text(text: str,
                      filepath: Union[str, Path],
                      encoding: str = 'utf-8') -> None:
    """Text version of :func:`atomic_write_bytes`."""
    atomic_write_bytes(text.encode(encoding), filepath)


class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend with atomic ``put``/``put_text``.

    Registered under mmengine's name ``'local'`` when selfkd_seg is imported,
    so ``save_checkpoint`` (and every other mmengine write to a local path)
    writes to a temporary file and renames it.  Reading is unchanged.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        atomic_write_bytes(obj, filepath)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        atomic_write_text(obj, filepath, encoding)


def install_atomic_local_backend() -> None:
    """Make :class:`AtomicLocalBackend` mmengine's backend for local paths."""
    register_backend('local', AtomicLocalBackend, force=True, prefixes='')


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a whole ``torch.save`` file (not cut short).

    ``torch.save`` writes a zip archive whose directory sits at the very end,
    so a truncated file has no readable directory; the CRC of every member is
    checked too (a few ms per 100 MB), which catches damage in the middle.
    Files in torch's legacy (non-zip) format are checked by loading them.
    """
    if not osp.isfile(path) or osp.getsize(path) == 0:
        return False
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                if not any(n.endswith('data.pkl') for n in names):
                    return False
                return archive.testzip() is None
        except (zipfile.BadZipFile, OSError, EOFError):
            return False
    try:
        from selfkd_seg.compat import safe_torch_load
        safe_torch_load(path, map_location='cpu')
        return True
    except Exception:  # noqa: BLE001  any failure means "cannot resume"
        return False


def last_checkpoint(work_dir: str, missing_ok: bool = False) -> Optional[str]:
    """The checkpoint ``work_dir/last_checkpoint`` names (read by mmengine's
    ``find_latest_checkpoint``); a relative name is relative to
    ``work_dir``.

    The package's one reader of that pointer. Without a pointer (or with an
    empty one): None with ``missing_ok``, else ``FileNotFoundError`` naming
    ``work_dir``. The file named is not checked (see
    :func:`find_resumable_checkpoint` for that).
    """
    from mmengine.runner.checkpoint import find_latest_checkpoint
    target = None
    # without the file mmengine logs "Did not find last_checkpoint to be
    # resumed", which is not what a caller outside resume means
    if osp.isfile(osp.join(work_dir, 'last_checkpoint')):
        target = find_latest_checkpoint(work_dir) or None
    if target is None:
        if missing_ok:
            return None
        raise FileNotFoundError(
            f'{work_dir} has no last_checkpoint file naming a checkpoint '
            '(did the run save one? CheckpointHook writes it)')
    return target if osp.isabs(target) else osp.join(work_dir, target)


def resolve_pointer(work_dir: str, target: str) -> str:
    """The file ``last_checkpoint`` means, preferring the work dir's copy.

    mmengine writes an absolute path.  A work dir copied or moved elsewhere
    keeps pointing into the original folder, so when a file of the same name
    exists in ``work_dir`` that one is meant.  A relative target is relative
    to ``work_dir``.
    """
    if not osp.isabs(target):
        target = osp.join(work_dir, target)
    local = osp.join(work_dir, osp.basename(target))
    if osp.isfile(local) and not (osp.exists(target)
                                  and osp.samefile(local, target)):
        return local
    return target


# What mmengine's Runner.resume reads besides the weights.
RESUME_KEYS = ('state_dict', 'meta', 'message_hub')


def training_checkpoint_problem(path: str) -> Optional[str]:
    """Why ``--resume`` cannot continue from ``path``; None if it can.

    A resumable file is complete (:func:`is_complete_checkpoint`) and holds
    the state ``Runner.resume`` needs (:data:`RESUME_KEYS`).  An exported
    student (``tools/export_student.py``) or a weights-only file is complete
    but not resumable: mmengine would fail with ``KeyError: 'message_hub'``.
    The keys are read with ``mmap``, so no tensor data is loaded.
    """
    if not is_complete_checkpoint(path):
        return 'missing, truncated or unreadable'
    from selfkd_seg.compat import safe_torch_load
    try:
        try:
            ckpt = safe_torch_load(path, map_location='cpu', mmap=True)
        except RuntimeError:  # torch's legacy format cannot be mmap'ed
            ckpt = safe_torch_load(path, map_location='cpu')
    except Exception as err:  # noqa: BLE001  refused or unreadable
        return f'cannot be loaded safely ({type(err).__name__})'
    if not isinstance(ckpt, dict):
        return f'holds a {type(ckpt).__name__}, not a checkpoint dict'
    missing = [key for key in RESUME_KEYS if key not in ckpt]
    if missing:
        return (f'not a training checkpoint (no {", ".join(missing)}; e.g. '
                'an exported student or a weights-only file)')
    return None


def find_resumable_checkpoint(
        work_dir: str) -> Tuple[Optional[str], List[Tuple[str, str]]]:
    """The checkpoint ``--resume`` should continue from, and the rejects.

    Returns ``(path, skipped)``: ``path`` is the file named by
    ``work_dir/last_checkpoint`` (:func:`resolve_pointer`) if it can be
    resumed from, else the newest (by modification time) resumable ``*.pth``
    directly in ``work_dir`` or in the folder ``last_checkpoint`` points to;
    ``None`` if there is none.  ``skipped`` lists ``(file, reason)`` for the
    files rejected on the way (truncated, unreadable, or not a training
    checkpoint, :func:`training_checkpoint_problem`), newest first.
    """
    skipped = []
    target = last_checkpoint(work_dir, missing_ok=True)
    if target is not None:
        target = resolve_pointer(work_dir, target)
        problem = training_checkpoint_problem(target)
        if problem is None:
            return target, skipped
        skipped.append((target, problem))
    folders = {osp.abspath(work_dir)}
    if target is not None:
        folders.add(osp.abspath(osp.dirname(target)))
    candidates = set()
    for folder in folders:
        candidates.update(glob.glob(osp.join(folder, '*.pth')))
    rejected = {osp.abspath(p) for p, _ in skipped}
    for path in sorted(candidates, key=osp.getmtime, reverse=True):
        if osp.abspath(path) in rejected:
            continue
        problem = training_checkpoint_problem(path)
        if problem is None:
            return path, skipped
        skipped.append((path, problem))
    return None, skipped


def resolve_auto_resume(work_dir: str) -> Optional[str]:
    """:func:`find_resumable_checkpoint` with log messages for the user."""
    pointer = last_checkpoint(work_dir, missing_ok=True)
    if pointer is not None and resolve_pointer(work_dir, pointer) != pointer:
        print_log(
            f'--resume: last_checkpoint names {pointer}; using the file of '
            f'that name in the work dir, {resolve_pointer(work_dir, pointer)}',
            logger='current')
    path, skipped = find_resumable_checkpoint(work_dir)
    for bad, reason in skipped:
        print_log(f'--resume: skipped {bad}: {reason}', logger='current')
    if path is None:
        print_log(
            f'--resume: no resumable checkpoint in {work_dir}; training '
            'starts from scratch',
            logger='current')
    else:
        print_log(f'--resume: continuing from {path}', logger='current')
    return path
