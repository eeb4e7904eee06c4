"""Save and restore the random number generators so resume is exact."""
import random
from typing import List, Optional

import numpy as np
import torch
from mmengine import dist
from mmengine.hooks import Hook
from mmengine.logging import print_log

from selfkd_seg.registry import HOOKS


def capture_rng_state() -> dict:
    """This process's python, numpy, torch (and CUDA) generator states.

    Stored as tensors and ints only, so the checkpoint loads with
    ``torch.load(weights_only=True)``.
    """
    py_version, py_state, py_gauss = random.getstate()
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state = dict(
        python=dict(
            version=py_version,
            state=torch.tensor(py_state, dtype=torch.int64),
            gauss=py_gauss),
        numpy=dict(
            kind=np_kind,
            keys=torch.from_numpy(np_keys.astype(np.int64)),
            pos=int(np_pos),
            has_gauss=int(np_has_gauss),
            gauss=float(np_gauss)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    """Inverse of :func:`capture_rng_state`."""
    py = state['python']
    random.setstate((py['version'], tuple(py['state'].tolist()), py['gauss']))
    npy = state['numpy']
    np.random.set_state((npy['kind'], npy['keys'].numpy().astype(np.uint32),
                         npy['pos'], npy['has_gauss'], npy['gauss']))
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        if len(state['cuda']) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state['cuda'])
        else:
            print_log(
                'RNGStateHook: the checkpoint holds CUDA generator states for '
                f"{len(state['cuda'])} devices, this machine has "
                f'{torch.cuda.device_count()}; CUDA generators not restored',
                logger='current')


class _RestoreAfterSkip:
    """Iterator wrapper: restore generator states right before batch N+1.

    On resume mmengine's ``IterBasedTrainLoop`` replays the data loader for
    the ``N`` iterations already trained (so the sampler and the workers are
    where they were), which runs the data pipeline and draws random numbers.
    The generators must be restored after that replay and before the next
    real batch is loaded, and the loop offers no hook there.
    """

    def __init__(self, loop, skip: int, restore):
        self.loop = loop
        self.inner = loop.dataloader_iterator
        self.left = skip
        self.restore = restore

    def __iter__(self):
        return self

    def __next__(self):
        if self.left == 0:
            self.restore()
            self.loop.dataloader_iterator = self.inner  # done: unwrap
        else:
            self.left -= 1
        return next(self.inner)


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Keep the random generators in the checkpoint; shield them from val.

    Exact resume needs the generators (python ``random``, numpy, torch and
    CUDA) of *every* rank to continue where they stopped: they decide the
    data augmentation of the next batches and stochastic layers such as
    EfficientNet's drop-connect.  mmengine only re-seeds on resume.

    - After every training iteration the states are captured (gathered from
      all ranks in distributed training: one small ``all_gather_object``),
      and ``before_save_checkpoint`` stores them as
      ``checkpoint['rng_states'] = dict(world_size=..., states=[...])``.
    - On resume they are restored right before the first new batch is loaded:
      after mmengine's replay of the already-trained iterations
      (iteration-based loops) or at the start of the next epoch.
    - Validation during training runs between ``before_val`` and
      ``after_val``; the hook saves the generators there and puts them back
      afterwards, so validation (its frequency, its data loader) never
      changes the training trajectory, and a checkpoint written just before
      validation continues exactly like the uninterrupted run.

    A resume with a different number of ranks restores the states of the
    ranks that exist in the checkpoint and warns; data sharding differs then
    anyway, so that resume is not exact.

    Args:
        isolate_val (bool): Shield training from validation's random draws.
            Defaults to True.
    """

    priority = 'LOW'  # after the model/weight hooks, before CheckpointHook

    def __init__(self, isolate_val: bool = True):
        self.isolate_val = isolate_val
        self._latest: Optional[List[dict]] = None  # per rank
        self._pending: Optional[dict] = None  # loaded, not yet restored
        self._before_val: Optional[dict] = None
        self._training = False

    # ------------------------------------------------------------- capture
    def _gather(self) -> List[dict]:
        local = capture_rng_state()
        if dist.get_world_size() > 1:
            return dist.all_gather_object(local)
        return [local]

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        self._latest = self._gather()

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # Called on rank 0 only: the states were gathered beforehand.
        states = self._latest if self._latest is not None else [
            capture_rng_state()
        ]
        checkpoint['rng_states'] = dict(world_size=len(states), states=states)

    # ------------------------------------------------------------- restore
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = checkpoint.get('rng_states')
        if saved is None:
            print_log(
                'RNGStateHook: the checkpoint has no random generator states '
                '(written without this hook); the resumed run is re-seeded '
                'and will not repeat the uninterrupted one exactly',
                logger='current')
        self._pending = saved

    def _restore_pending(self) -> None:
        saved, self._pending = self._pending, None
        rank, world_size = dist.get_rank(), dist.get_world_size()
        if saved['world_size'] != world_size:
            print_log(
                f"RNGStateHook: checkpoint written by {saved['world_size']} "
                f'processes, resumed with {world_size}: generator states '
                'restored where the rank exists; the run is not exact',
                logger='current')
        if rank < len(saved['states']):
            restore_rng_state(saved['states'][rank])

    def before_train(self, runner) -> None:
        self._training = True

    def before_train_epoch(self, runner) -> None:
        if self._pending is None:
            return
        if runner.iter == 0 and runner.epoch == 0:
            # load_from (fine-tuning), not a resume: keep the seeded state
            self._pending = None
            return
        loop = runner.train_loop
        skip = getattr(loop, '_iter', 0)
        if hasattr(loop, 'dataloader_iterator') and skip > 0:
            loop.dataloader_iterator = _RestoreAfterSkip(
                loop, skip, self._restore_pending)
        else:
            self._restore_pending()

    def after_train(self, runner) -> None:
        self._training = False

    # ------------------------------------------------- validation isolation
    def before_val(self, runner) -> None:
        if self.isolate_val and self._training:
            self._before_val = capture_rng_state()

    def after_val(self, runner) -> None:
        if self._before_val is not None:
            restore_rng_state(self._before_val)
            self._before_val = None
