"""``lean-local train``: the ML strategy's training pipeline (:mod:`.pipeline`) and its command
line (:mod:`.cli`)."""

from lean_local.lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "pipeline": ["PROJECT", "TrainingPanel", "load_panel", "report_json", "summary_text", "test_period_lines", "train"],
    "cli": ["main", "register", "run"],
})
