"""Control of the training loop: Ctrl-C stops at the next step with a checkpoint; warmup starts above zero.

Imported only once training starts (it needs transformers and TRL).

**Ctrl-C.** A step cannot be interrupted halfway without losing it, and a ``KeyboardInterrupt`` raised
inside torch leaves no checkpoint. So the first Ctrl-C only sets a flag; at the end of the current
optimizer step the trainer saves a checkpoint (whatever ``save_strategy`` says) and stops, and
``--resume`` continues from it. A second Ctrl-C stops at once, without a checkpoint. Under several
processes every rank must stop at the same step, so the flag is reduced (max) over ranks at each step.

**Warmup.** transformers' warmup schedules give the learning rate ``step / warmup`` at step ``step``
counted from 0, so the first optimizer step applies a learning rate of exactly 0 (the trainer logs the
rate it applied, hence the ``learning_rate: 0`` at step 1). Here warmup step ``s`` applies
``(s + 1) / warmup`` of the peak instead: the first step learns, the peak is reached at the last warmup
step, and the decay after warmup is unchanged.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from torch.optim.lr_scheduler import LambdaLR
from transformers import TrainerCallback
from trl import SFTTrainer  # type: ignore[attr-defined]


class InterruptRequest:
    """Turns the first SIGINT into a request to stop at the next step (a context manager).

    Args:
        echo: called with a one-line message when the request arrives.
    """

    def __init__(self, echo: Callable[[str], Any]):
        self.echo = echo
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> InterruptRequest:
        if threading.current_thread() is threading.main_thread():  # signals are only delivered there
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:  # the second Ctrl-C: stop now
            signal.signal(signal.SIGINT, signal.default_int_handler)
            raise KeyboardInterrupt
        self.requested = True
        self.echo(
            "Ctrl-C: stopping after the current step and saving a checkpoint "
            "(press Ctrl-C again to stop at once, without a checkpoint)"
        )


class StopOnInterrupt(TrainerCallback):
    """Saves a checkpoint and stops training at the end of the step during which Ctrl-C arrived."""

    def __init__(self, request: InterruptRequest):
        self.request = request
        self.stopped_at: int | None = None

    def _agreed(self, args: Any) -> bool:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
            return self.request.requested
        import torch

        flag = torch.tensor([1.0 if self.request.requested else 0.0], device=args.device)
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self._agreed(args):
            self.stopped_at = state.global_step
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if self.stopped_at == state.global_step:
            control.should_save = False  # already saved at the end of this step
        return control


def start_warmup_above_zero(scheduler: Any, warmup_steps: int) -> None:
    """Shift the warmup of a transformers ``LambdaLR`` schedule by one step (see the module docstring)."""
    if warmup_steps <= 0 or not isinstance(scheduler, LambdaLR) or getattr(scheduler, "_openseeker_shift", False):
        return

    def shifted(fn: Callable[[int], float]) -> Callable[[int], float]:
        return lambda step: fn(step + 1) if step < warmup_steps else fn(step)

    scheduler.lr_lambdas = [shifted(fn) for fn in scheduler.lr_lambdas]
    scheduler._openseeker_shift = True  # type: ignore[attr-defined]
    # the scheduler already set the rates for the first step: set them again with the shifted warmup
    rates = [base * fn(scheduler.last_epoch) for base, fn in zip(scheduler.base_lrs, scheduler.lr_lambdas, strict=True)]
    for group, lr in zip(scheduler.optimizer.param_groups, rates, strict=True):
        group["lr"] = lr
    scheduler._last_lr = rates


class OpenSeekerSFTTrainer(SFTTrainer):
    """TRL's ``SFTTrainer`` with a warmup whose first step applies a learning rate above zero."""

    def create_scheduler(self, num_training_steps: int, optimizer: Any = None) -> Any:
        scheduler = super().create_scheduler(num_training_steps, optimizer)
        start_warmup_above_zero(scheduler, self.args.get_warmup_steps(num_training_steps))
        return scheduler
