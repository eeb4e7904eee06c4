from .distill_weight_schedule_hook import DistillWeightScheduleHook, sigmoid_rampup  # noqa: F401
from .self_distill_hook import SelfDistillHook, hflip_parameter  # noqa: F401
