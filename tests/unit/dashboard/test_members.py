"""A member as the dashboard shows and saves it: the recorded range of motion, kept across edits."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import Field

from services.dashboard.api.routes.members import MemberIn, member_out, save
from shared import contract as c
from shared.records import MemberRecord


class RomMember(MemberRecord):
    """A member record with the range of motion the progression service records (declared here too, so the
    test reads the same before and after `shared.records` gains the field)."""

    rom_deg: dict[c.Leg, float] = Field(default_factory=dict)


class OneMemberStore:
    """Just what `save` needs of `RedisStore`."""

    def __init__(self) -> None:
        self.saved: list[MemberRecord] = []

    def member_by_token(self, method: c.IdMethod, token: str) -> MemberRecord | None:
        return None

    def save_member(self, rec: MemberRecord, old: MemberRecord | None = None) -> None:
        self.saved.append(rec)

    def member(self, member_id: str) -> MemberRecord | None:
        return next((r for r in reversed(self.saved) if r.info.member_id == member_id), None)


class Recorded:
    """Stands in for the request's `Audit`: the entries a save writes."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, dict[str, object]]] = []

    def __call__(self, action: str, target: str = "", **detail: object) -> None:
        self.entries.append((action, target, detail))

    def fingerprint(self, value: str) -> str:
        return f"#fp({value})"


def raj(rom: dict[c.Leg, float]) -> RomMember:
    return RomMember(info=c.MemberInfo(member_id="m-raj", name="Raj"), allow_leg_gap=True, rom_deg=rom,
                     created=datetime(2026, 3, 1, tzinfo=UTC))


def test_member_out_carries_the_range_of_motion_per_leg() -> None:
    out = member_out(raj({c.Leg.LEFT: 104.0, c.Leg.RIGHT: 98.0})).model_dump(mode="json")
    assert out["rom_deg"] == {"left": 104.0, "right": 98.0}
    assert member_out(MemberRecord(info=c.MemberInfo(member_id="m-new", name="New"))).rom_deg == {}


def test_an_edit_keeps_what_the_trainer_does_not_edit() -> None:
    store, audit = OneMemberStore(), Recorded()
    old = raj({c.Leg.LEFT: 104.0})
    rec = save(store, MemberIn(name="Raj Patel", badge="B-7", weaker_leg=c.Leg.RIGHT), old,  # type: ignore[arg-type]
               audit)  # type: ignore[arg-type]
    assert rec.info.name == "Raj Patel" and rec.info.weaker_leg == c.Leg.RIGHT
    assert (c.IdMethod.BADGE, "B-7") in rec.tokens
    assert rec.allow_leg_gap and rec.created == old.created
    assert getattr(rec, "rom_deg", None) == {c.Leg.LEFT: 104.0}  # the progression service's measurement survives


def test_an_edit_is_audited_by_field_names_and_a_badge_move_by_its_ids() -> None:
    store, audit = OneMemberStore(), Recorded()
    old = raj({})
    save(store, MemberIn(name="Raj P.", badge="B-7"), old, audit)  # type: ignore[arg-type]
    assert audit.entries == [("member.edit", "m-raj", {"fields": ["name", "badge"]}),
                             ("badge.move", "m-raj", {"badge_from": None, "badge_to": "#fp(B-7)"})]
    assert not any("Raj" in str(e) for e in audit.entries)  # ids, never a member's name
