"""Optional backend: a sentiment model the operator provides as an ONNX directory.

The directory is what ``optimum-cli export onnx`` writes for a sequence-classification model:
``model.onnx``, ``tokenizer.json`` (a Hugging Face *tokenizers* file) and ``config.json`` whose
``id2label`` names the classes. Labels are matched by name (``neg``/``neu``/``pos``, any case);
a two-class model gives neutral probability 0. Needs the ``onnx`` extra
(``onnxruntime``, ``tokenizers``); no torch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from slusha.enrich.model import LABELS, Langs, ModelError, Sentiment, softmax, to_sentiments

DEFAULT_MAX_TOKENS = 128


def _label_slot(name: str) -> int:
    lowered = name.lower()
    for slot, prefix in enumerate(("neg", "neu", "pos")):
        if lowered.startswith(prefix):
            return slot
    raise ModelError(f"cannot map model label {name!r} to negative/neutral/positive")


class OnnxSentimentModel:
    """A transformer exported to ONNX, run with onnxruntime and a *tokenizers* tokenizer."""

    name = "onnx"

    def __init__(
        self, session: Any, tokenizer: Any, slots: list[int], *, batch_size: int = 32
    ) -> None:
        self.session = session
        self.tokenizer = tokenizer
        self.slots = slots
        self.batch_size = batch_size
        self.input_names = {i.name for i in session.get_inputs()}

    @classmethod
    def load(cls, directory: str | Path, *, threads: int | None = None) -> OnnxSentimentModel:
        """Open ``model.onnx``, ``tokenizer.json`` and ``config.json`` from a directory."""
        directory = Path(directory)
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError:
            raise ModelError(
                "the ONNX sentiment backend needs the 'onnx' extra: pip install 'slusha[onnx]'"
            ) from None
        paths = {name: directory / name for name in ("model.onnx", "tokenizer.json", "config.json")}
        missing = [name for name, path in paths.items() if not path.is_file()]
        if missing:
            raise ModelError(f"ONNX model directory {directory} lacks {', '.join(missing)}")
        try:
            config = json.loads(paths["config.json"].read_text(encoding="utf-8"))
            id2label = config["id2label"]
            names = [str(id2label[str(i)]) for i in range(len(id2label))]
            max_tokens = int(config.get("max_length", DEFAULT_MAX_TOKENS))
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"{paths['config.json']} has no usable id2label ({exc})") from None
        slots = [_label_slot(name) for name in names]
        try:
            tokenizer = Tokenizer.from_file(str(paths["tokenizer.json"]))
        except Exception as exc:  # tokenizers raises its own exception type
            raise ModelError(f"cannot read {paths['tokenizer.json']}: {exc}") from None
        tokenizer.enable_truncation(max_length=max_tokens)
        tokenizer.enable_padding(pad_id=tokenizer.token_to_id("[PAD]") or 0)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        try:
            session = onnxruntime.InferenceSession(
                str(paths["model.onnx"]), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelError(f"cannot load {paths['model.onnx']}: {exc}") from None
        return cls(session, tokenizer, slots)

    @property
    def uses_language(self) -> bool:
        """A transformer reads every language the same way: ``langs`` is not used."""
        return False

    def predict_proba(self, texts: Sequence[str], langs: Langs = None) -> np.ndarray:
        """Class probabilities in ``LABELS`` order (``langs`` is accepted and not used)."""
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else " " for t in texts[start : start + self.batch_size]]
            encodings = self.tokenizer.encode_batch(batch)
            feeds: dict[str, np.ndarray] = {}
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            if "input_ids" in self.input_names:
                feeds["input_ids"] = ids
            if "attention_mask" in self.input_names:
                feeds["attention_mask"] = np.array(
                    [e.attention_mask for e in encodings], dtype=np.int64
                )
            if "token_type_ids" in self.input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            (logits,) = self.session.run(None, feeds)[:1]
            proba = softmax(np.asarray(logits, dtype=np.float32))
            for column, slot in enumerate(self.slots):
                out[start : start + len(batch), slot] += proba[:, column]
        return out

    def predict(self, texts: Sequence[str], langs: Langs = None) -> list[Sentiment]:
        """The sentiment of each text."""
        return to_sentiments(self.predict_proba(texts, langs))
