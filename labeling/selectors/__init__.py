"""Reads for labeling. `gold_segments` and `sessions_with_gold_since` are the contract
retraining builds its datasets on."""
from labeling.selectors.gold import GoldSegment, gold_segments, sessions_with_gold_since

__all__ = ["GoldSegment", "gold_segments", "sessions_with_gold_since"]
