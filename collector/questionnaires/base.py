"""Instruments as data: items with an integer response range, plus a scoring function."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Answers = dict[str, int]
Scores = dict[str, Any]


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    minimum: int
    maximum: int
    # Labels for each response value (choice items) or for both ends (slider items).
    anchors: tuple[str, ...] = ()
    widget: str = "choice"  # "choice" (one radio per value) or "slider" (range input)
    reverse: bool = False

    def choices(self) -> list[tuple[int, str]]:
        values = range(self.minimum, self.maximum + 1)
        if len(self.anchors) == len(values):
            return [(v, f"{v} – {label}") for v, label in zip(values, self.anchors, strict=True)]
        return [(v, str(v)) for v in values]

    def reversed_value(self, value: int) -> int:
        return self.maximum + self.minimum - value if self.reverse else value


@dataclass(frozen=True)
class Instrument:
    code: str
    title: str
    instructions: str
    items: tuple[Item, ...]
    scorer: Callable[[Instrument, Answers], Scores] = field(repr=False)
    reference: str = ""

    def item_codes(self) -> list[str]:
        return [item.code for item in self.items]

    def validate(self, raw: Mapping[str, Any]) -> tuple[Answers, dict[str, str]]:
        """Integer answers for every item, or per-item error messages."""
        answers: Answers = {}
        errors: dict[str, str] = {}
        for item in self.items:
            value = raw.get(item.code)
            if value is None or (isinstance(value, str) and not value.strip()):
                errors[item.code] = "Please answer this question."
                continue
            if isinstance(value, bool):
                errors[item.code] = "Enter a whole number."
                continue
            try:
                number = int(str(value).strip())
            except ValueError:
                errors[item.code] = "Enter a whole number."
                continue
            if not item.minimum <= number <= item.maximum:
                errors[item.code] = f"Choose a value from {item.minimum} to {item.maximum}."
                continue
            answers[item.code] = number
        unknown = sorted(set(raw) - set(self.item_codes()))
        if unknown:
            errors["__all__"] = f"Unknown items for {self.code}: {', '.join(unknown)}."
        return answers, errors

    def score(self, answers: Answers) -> Scores:
        """Scores for a complete, validated answer set."""
        return self.scorer(self, answers)


def summed(instrument: Instrument, answers: Answers) -> int:
    """Sum of item values after reverse-scoring the reversed items."""
    return sum(item.reversed_value(answers[item.code]) for item in instrument.items)
