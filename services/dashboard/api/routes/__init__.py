"""One APIRouter per area: auth, floor, stations, members, fleet, health."""
