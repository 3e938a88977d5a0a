"""The sensor services' scaffold on the in-memory bus: commands answered (never silence), status published
only when it changes, set.started reaching the service."""

from __future__ import annotations

from shared import contract as c
from shared.bus import MemoryBus
from shared.sensor import CommandError, SensorScaffold
from shared.settings import Settings


def station_bus() -> MemoryBus:
    return MemoryBus(Settings(_env_file=None, site_id="main", station_id="st-01"), "loadcell")


def command(bus: MemoryBus, service: str, name: str, **args: float | str) -> None:
    kiosk = bus.as_service("kiosk")
    kiosk.emit("station.command", c.StationCommand(correlation_id=f"q-{name}", service=service, command=name,
                                                   args=args))


def replies(bus: MemoryBus) -> list[c.StationReply]:
    return [e.data for e in bus.published if isinstance(e, c.StationReplyEvent)]


def test_commands_are_routed_by_name_and_always_answered() -> None:
    bus = station_bus()

    def tare(cmd: c.StationCommand) -> dict[str, float | str | bool]:
        return {"tare_counts": 12.0}

    def calibrate(cmd: c.StationCommand) -> dict[str, float | str | bool]:
        raise CommandError("calibrate needs args.known_mass_kg")

    SensorScaffold(bus, "loadcell", {"tare": tare, "calibrate": calibrate}, errors=(OSError,))
    command(bus, "loadcell", "tare")
    command(bus, "loadcell", "calibrate")
    command(bus, "loadcell", "explode")
    command(bus, "camera", "tare")  # another service's: not ours to answer
    got = [(r.correlation_id, r.status, r.data, r.error) for r in replies(bus)]
    assert got == [("q-tare", "ok", {"tare_counts": 12.0}, ""),
                   ("q-calibrate", "error", {}, "calibrate needs args.known_mass_kg"),
                   ("q-explode", "error", {}, "unknown command 'explode' (calibrate, tare)")]
    assert all(r.service == "loadcell" for r in replies(bus))


def test_a_command_answered_later_is_not_answered_twice() -> None:
    bus = station_bus()
    later: list[c.StationCommand] = []
    scaffold = SensorScaffold(bus, "camera", {"placement_check": lambda cmd: later.append(cmd)})
    command(bus, "camera", "placement_check")
    assert replies(bus) == []
    scaffold.reply(later[0], "ok", {"ok": True})
    assert [r.data for r in replies(bus)] == [{"ok": True}]


def test_status_is_published_only_when_it_changes_and_set_started_reaches_the_service() -> None:
    bus = station_bus()
    sets: list[int] = []
    scaffold = SensorScaffold(bus, "loadcell", {}, on_set_started=lambda d: sets.append(d.set_index))
    for problem in ("sensor unplugged", "sensor unplugged", "", ""):
        scaffold.report(problem)
    assert bus.status.state is c.ServiceState.ONLINE and scaffold.problem == ""
    states: list[str] = []
    bus2 = station_bus()
    bus2.set_status = (  # type: ignore[method-assign]
        lambda state, detail="", metrics=None: states.append(f"{state.value}:{detail}"))
    s2 = SensorScaffold(bus2, "loadcell", {})
    for problem in ("sensor unplugged", "sensor unplugged", "", "saturated"):
        s2.report(problem)
    assert states == ["degraded:sensor unplugged", "online:", "degraded:saturated"]
    bus.as_service("kiosk").emit("set.started", c.SetStarted(session_id="s-1", set_index=2, leg=c.Leg.LEFT,
                                                             weight_kg=10.0, target_reps=10))
    assert sets == [2]
