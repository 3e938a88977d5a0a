"""Verdict reviews: a trainer marks a rep's verdict wrong and says which fault was really there (or none).

Each review is a label for the site's corpus of real sets (issue 19, item 4): the rep's identity (station,
session, set, leg, rep, its span on the station clock), what the station decided, what the trainer saw, who and
when. Kept in the dashboard's own Redis stream, newest last, for `KEEP` reviews.

What is not here yet, and why: the labelled set's landmarks and force samples. The stations do not keep a rolling
buffer of their last sets yet (camera and load cell, not the dashboard's to build), so a review is saved as a
label waiting for its set: `set_saved` is False until a station answers with the set. The rep's span and the
station's clock are recorded so the set can be found in such a buffer while it still holds it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shared.contract import FAULT_WORDS, Fault, Leg
from shared.store import Keys

KEEP = 10_000  # a site's years of reviews: a trainer marks a few reps a week


class ReviewIn(BaseModel):
    """What the station page sends: the rep (as its row names it) and the faults the trainer saw."""

    model_config = ConfigDict(extra="forbid")

    session_id: str | None = Field(default=None, max_length=64, description="Session of the rep")
    set_index: int | None = Field(default=None, ge=1, le=20, description="Set of the rep")
    leg: Leg = Field(description="Working leg")
    rep_index: int = Field(ge=1, le=1000, description="Rep within the set")
    true_faults: list[Fault] = Field(default_factory=list, max_length=11,
                                     description="The faults really there; empty: the rep was clean")
    note: str = Field(default="", max_length=200, description="What the trainer saw, in their words")


class VerdictReview(BaseModel):
    """A stored review: the rep, the station's verdict, the trainer's label."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    station_id: str
    session_id: str | None
    set_index: int | None
    leg: Leg
    rep_index: int
    start_t: float = Field(description="The rep's start on the station clock, to find its set in a buffer")
    end_t: float
    verdict_faults: list[Fault] = Field(description="What the station found")
    verdict_status: str = Field(description="passed, failed or unverified, as the station judged it")
    true_faults: list[Fault] = Field(description="What the trainer saw; empty: clean")
    note: str = ""
    trainer: str
    made: datetime
    set_saved: bool = Field(default=False, description="The station saved the set's landmarks and force samples")
    review_id: str = Field(default="", description="Names the saved set in the stations' corpus (save_set)")

    @model_validator(mode="after")
    def _disagrees(self) -> VerdictReview:
        if sorted(self.true_faults) == sorted(self.verdict_faults) and self.verdict_status != "unverified":
            raise ValueError("the label is the station's own verdict: nothing to correct")
        return self

    @property
    def missed(self) -> list[Fault]:
        """Faults the station did not find (false negatives)."""
        return [f for f in self.true_faults if f not in self.verdict_faults]

    @property
    def wrongly_found(self) -> list[Fault]:
        """Faults the station found that were not there (false positives)."""
        return [f for f in self.verdict_faults if f not in self.true_faults]

    def words(self) -> str:
        said = ", ".join(FAULT_WORDS[f] for f in self.verdict_faults) or "clean"
        seen = ", ".join(FAULT_WORDS[f] for f in self.true_faults) or "clean"
        return f"station: {said}; trainer: {seen}"


class ReviewLog:
    def __init__(self, redis: Any, site_id: str) -> None:
        self.r = redis
        self.key = Keys(site_id).dashboard_reviews()

    def add(self, review: VerdictReview) -> str:
        return str(self.r.xadd(self.key, {"review": review.model_dump_json()}, maxlen=KEEP, approximate=True))

    def latest(self, count: int = 100, station_id: str | None = None) -> list[VerdictReview]:
        out = []
        for _id, fields in self.r.xrevrange(self.key, count=count if station_id is None else count * 10):
            rv = VerdictReview.model_validate(orjson.loads(fields["review"]))
            if station_id is None or rv.station_id == station_id:
                out.append(rv)
            if len(out) >= count:
                break
        return out
