"""The topic catalogue: the only place topic strings are written.

Topic layout: ``gym/v1/{site_id}/{station_id}/{type with '.' as '/'}``; the
retained ``station.status`` carries one more level, the service, so that every
service of a station keeps its own retained status and last will.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.contract import EVENT_TYPES, Envelope, StationStatusEvent

ROOT = "gym/v1"


@dataclass(frozen=True)
class TopicSpec:
    """How one event type travels: its model, QoS and whether the broker retains it."""

    event_type: str
    model: type[Envelope]
    qos: int
    retain: bool = False

    @property
    def suffix(self) -> str:
        return self.event_type.replace(".", "/")


# High-rate streams go at QoS 0: a lost pose frame or trace batch is replaced 100 ms later,
# while QoS 1 would queue thousands of stale samples behind a slow link.
_HIGH_RATE = {"camera.pose", "load.trace"}
_RETAINED = {"station.status"}

CATALOGUE: dict[str, TopicSpec] = {
    t: TopicSpec(t, cls, qos=0 if t in _HIGH_RATE else 1, retain=t in _RETAINED)
    for t, cls in EVENT_TYPES.items()
}


# Who may publish each event type on the site broker; gymctl renders the broker's ACL from this table.
# A station writes what its own services produce, on its own topics only; the site's judgement
# (verdicts, summaries, recommendations, member profiles) comes only from progression; the dashboard
# sends trainers' cues and operator commands. Every account writes its own retained status and dead
# letters (site services under the station id "site"). Reading is not in the table: a station reads
# its own topics, the site services read the whole site.
STATION, PROGRESSION, DASHBOARD = "station", "progression", "dashboard"
ACCOUNT_KINDS = (STATION, PROGRESSION, DASHBOARD)
WRITERS: dict[str, frozenset[str]] = {
    "station.status": frozenset(ACCOUNT_KINDS),
    "dead.letter": frozenset(ACCOUNT_KINDS),
    "session.started": frozenset({STATION}),  # the kiosk
    "session.ended": frozenset({STATION}),
    "set.started": frozenset({STATION}),
    "set.ended": frozenset({STATION}),
    "camera.pose": frozenset({STATION}),  # the camera
    "camera.rep": frozenset({STATION}),
    "member.identified": frozenset({STATION}),  # the camera reads a QR code
    "load.trace": frozenset({STATION}),  # the load cell
    "load.rep": frozenset({STATION}),
    "member.lookup": frozenset({STATION}),  # the kiosk asks who tapped in, or enrols a member
    "member.enrol": frozenset({STATION}),
    "station.command": frozenset({STATION, DASHBOARD}),  # the kiosk's staff page; an operator
    "station.reply": frozenset({STATION}),  # the camera and the load cell answer commands
    "rep.verdict": frozenset({PROGRESSION}),
    "set.summary": frozenset({PROGRESSION}),
    "recommendation": frozenset({PROGRESSION}),
    "member.profile": frozenset({PROGRESSION}),
    "kiosk.cue": frozenset({DASHBOARD}),
}
if WRITERS.keys() != CATALOGUE.keys():  # a new event type must say who may publish it
    raise RuntimeError(f"shared.topics.WRITERS and the catalogue differ: {set(WRITERS) ^ set(CATALOGUE)}")


def written_by(kind: str) -> list[str]:
    """The event types an account of `kind` (station, progression, dashboard) may publish, in catalogue order."""
    return [t for t in CATALOGUE if kind in WRITERS[t]]


def spec(event_type: str) -> TopicSpec:
    try:
        return CATALOGUE[event_type]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None


def topic_for(event: Envelope) -> str:
    """The topic an event is published on."""
    s = spec(event_type_of(event))
    base = f"{ROOT}/{event.site_id}/{event.station_id}/{s.suffix}"
    if isinstance(event, StationStatusEvent):
        return f"{base}/{event.data.service}"
    return base


def topic_filter(event_type: str, site_id: str = "+", station_id: str = "+") -> str:
    """A subscription filter for one event type at one or every site/station."""
    s = spec(event_type)
    f = f"{ROOT}/{site_id}/{station_id}/{s.suffix}"
    return f + "/+" if s.event_type in _RETAINED else f


def status_topic(site_id: str, station_id: str, service: str) -> str:
    return f"{ROOT}/{site_id}/{station_id}/{spec('station.status').suffix}/{service}"


def dead_letter_topic(site_id: str, station_id: str) -> str:
    return f"{ROOT}/{site_id}/{station_id}/{spec('dead.letter').suffix}"


def shared_filter(group: str, topic: str) -> str:
    """An MQTT 5 shared subscription: the broker hands each message to one member of `group`."""
    return f"$share/{group}/{topic}"


def all_events_filter(site_id: str = "+") -> str:
    return f"{ROOT}/{site_id}/#"


def event_type_of(event: Envelope) -> str:
    return event.type


def station_of_topic(topic: str) -> tuple[str, str] | None:
    """(site_id, station_id) of a catalogue topic, or None when the topic is not one of ours."""
    parts = topic.split("/")
    if len(parts) < 5 or "/".join(parts[:2]) != ROOT:
        return None
    return parts[2], parts[3]


def topic_matches(sub_filter: str, topic: str) -> bool:
    """Whether `topic` is under the subscription `sub_filter` (MQTT's `+` and `#`; a shared subscription's
    `$share/<group>/` prefix is not part of its filter)."""
    if sub_filter.startswith("$share/"):
        sub_filter = sub_filter.split("/", 2)[2]
    f, t = sub_filter.split("/"), topic.split("/")
    for i, part in enumerate(f):
        if part == "#":
            return True
        if i >= len(t) or (part != "+" and part != t[i]):
            return False
    return len(f) == len(t)

