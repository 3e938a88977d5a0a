"""The commit script: a batch of events applied station by station in one round trip, each only once and only
over the state the engine read (compare-and-set); and how an applied event's outputs are kept in its mark."""

from __future__ import annotations

import orjson

from shared.contract import Envelope, parse_event

# One round trip commits a batch of events, station by station: a station's events are applied only if
# none of them was applied yet and the station's state is still the one the engine read (compare-and-set
# on its SHA-1); the reply says, per station, 1 (committed) or 0 (the caller re-reads and re-runs it).
# ARGV: the processed marks' TTL, then per station: state key, SHA-1 read ('' = none), new state JSON,
# number of events n, n processed-mark keys, n stored outputs, the other writes as a JSON list.
# The written keys are not all declared in KEYS: this needs one Redis (or Sentinel), not Cluster.
APPLY_BATCH_LUA = """
local ttl = ARGV[1]
local i = 2
local res = {}
while i <= #ARGV do
  local key, digest, state, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local marks, outs, writes = i + 4, i + 4 + n, ARGV[i + 4 + 2 * n]
  i = i + 5 + 2 * n
  local cur = redis.call('GET', key)
  local h = ''
  if cur then h = redis.sha1hex(cur) end
  local ok = h == digest
  for j = 0, n - 1 do
    if ok and redis.call('EXISTS', ARGV[marks + j]) == 1 then ok = false end
  end
  if ok then
    for _, cmd in ipairs(cjson.decode(writes)) do redis.call(unpack(cmd)) end
    if state ~= '' then redis.call('SET', key, state) end
    for j = 0, n - 1 do redis.call('SET', ARGV[marks + j], ARGV[outs + j], 'EX', ttl) end
    res[#res + 1] = 1
  else
    res[#res + 1] = 0
  end
end
return res
"""


def stored_outputs(outputs: list[Envelope]) -> str:
    """An applied event's outputs as its processed mark keeps them."""
    return "[" + ",".join(o.to_json().decode() for o in outputs) + "]"


def outputs_of(stored: str) -> list[Envelope]:
    return [parse_event(orjson.dumps(x)) if isinstance(x, dict) else parse_event(x) for x in orjson.loads(stored)]
