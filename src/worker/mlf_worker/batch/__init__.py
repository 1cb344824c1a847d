"""Batch scoring (`mlf models batch-predict`): the scoring function both engines call
(score.py: `score_frame`, and `load_model` for a model loaded in-process), the local engine's
reading and writing of input slices and output parts (parts.py), and its requests (requests.py)."""

from .score import load_model, score_frame

__all__ = ["load_model", "score_frame"]
