"""The load cell's own thresholds, each with its reason (pure).

These are the sensor's: how the stack is weighed, when it is stuck or moving, when a rep is a rep, when the
cable went slack. The exercise's limits (a kick, a dropped return, tempo) are not here: they are the
exercise's YAML `rules:` and the one judge (`shared.judge`) applies them to what the load cell measured.

The physics every threshold leans on: the stack of mass m hangs on the cable (through a 1:1 or 2:1
pulley), so the cable's tension is F = L + m·a + f·sign(v) while the stack moves (L its static load, f the
pulleys' and rods' Coulomb friction, a few % of L), and anywhere within L ± the static friction (a little
above f) while it is stuck — after a curl near L + f, after a return near L − f. The tension alone cannot
tell a stuck stack from one moving at constant speed; the stack's velocity, integrated from the tension
with that friction, can.
"""

from __future__ import annotations

from dataclasses import dataclass

G = 9.80665


@dataclass(frozen=True)
class LoadRules:
    """Every threshold the load cell measures with, each with its reason."""

    # The analysis runs at up to 100 Hz: a curl's force has nothing above ~5 Hz, and a 1 kHz board's
    # samples are averaged 10 to 1 rather than each paying for the filter and the integration.
    analysis_hz: float = 100.0
    # A curl's force changes at under 3 Hz and a kick rises in ~0.1 s; 8 Hz keeps both and cuts ADC noise.
    filter_hz: float = 8.0
    # A spell is steady when the filtered tension stays within a band for 0.25 s: shorter than the shortest
    # top hold (0.3 s) and rest (0.6 s), longer than a stroke's turn. The band: four times the filtered
    # noise, at least 1 N (an HX711's count jitter) and 0.6 % of the level (a stack's sway).
    steady_s: float = 0.25
    steady_noise_k: float = 6.0
    steady_band_n: float = 1.0
    steady_band_share: float = 0.006
    # Below 20 N (2 kg) the cable is slack or the stack sits on its pins: no stack weighs less.
    min_tension_n: float = 20.0
    # The first rep weighs the stack: a curl moves the tension at least 3 % off its rest (the friction
    # alone flips by 2f ≥ 8 % on a real stack; a curl's inertia adds more) before a steady top, and the
    # return moves it 3 % the other way before a steady bottom.
    weigh_departure_share: float = 0.03
    # A rep weighs the stack by its own impulse balance only if its curl and its return each took 1 s or more:
    # a dropped return (under 0.8 s) slackens the cable and lands on the pins, which the cable does not weigh,
    # and a kick (under 0.8 s) throws the stack in a shape a fit only approximates.
    weigh_stroke_s: float = 1.0
    # Until the first controlled rep has weighed the stack, its samples wait, up to 30 s: a set may open with
    # three kicks or dropped returns (which weigh nothing) before it, each under 7 s with its rest (a 2.3 s curl,
    # a 1.2 s hold, a 3.4 s return), after a lead-in of a second or two. After that the balances of the kicks,
    # else the first steady tension over `min_tension_n`, are taken as the weight (a kick's is up to 7 % off).
    weigh_wait_s: float = 30.0
    # Pulley friction before a rep has measured it: a typical station's 5 % of the load (4–7 % on a
    # well-kept station).
    friction_prior_share: float = 0.05
    # The load and friction are the medians of the last five clean reps' impulse balances (the weighing's
    # first): one rep measured wrong moves neither, and a new stack is learnt within three reps. The friction
    # stays within 1–20 % of the load (a station's pulleys and rods are never frictionless, nor that stiff).
    learn_reps: int = 5
    friction_range_share: tuple[float, float] = (0.01, 0.2)
    # The friction's way: the filtered tension over L + (½·f + 2 noise deviations) is a stack moving up (or
    # stuck after moving up), under L − that a stack moving down. A stuck stack rests within about L ± f
    # (0.9 f after a stroke), so half a friction is deep inside the band its strokes flip it across; two
    # deviations of the filtered noise keep noise from flipping it.
    level_share: float = 0.5
    level_noise_k: float = 2.0
    # A stack stuck high already (or low) starts a stroke the same way when the tension leaves L ± 2 f: static
    # friction is at most 1.4 f, so no stuck stack pulls that, nor a slow stroke (a kick's inertia does).
    breakaway_share: float = 2.0
    # A stuck stack rests within L ± its static friction, at most 1.4 f (a pulley's and rod's stiction over their
    # Coulomb friction); a steady tension further off during a curl is its constant-speed middle, not a top hold.
    stuck_share: float = 1.4
    # A start down during the curl is looked at 0.5 s later: if the curl fitted up to then has not ended
    # before it, the stack was slowing before its top (a brisk curl's deceleration pulls under L − f).
    decide_s: float = 0.5
    # A return's start shows 0.1 s or more after the curl ended: the stack stops, then the tension falls through
    # the stiction band (a top hold lasts 0.3 s or more; the filter and a fit's end each lag a few hundredths).
    turn_s: float = 0.1
    # Nobody holds the top 1.5 s or more (a brief pause is asked; hypertrophy's squeeze is 1–2 s but then the
    # return starts from a steady top and shows): a start down that long after the curl's end came after an
    # unmarked return.
    long_hold_s: float = 1.5
    # A crossing made while the stack still moves the other way at 0.15 m/s or more is its inertia (a fast
    # curl slowing before its top, a dropped stack caught), not a new stroke: a stroke's deceleration
    # crosses when the stack still has a third of its peak speed (0.3–1.5 m/s on a brisk stroke), and the
    # velocity is zeroed whenever the tension is steady, so its drift never reaches that.
    veto_v: float = 0.15
    # A stroke is fitted from 0.5 s before its event (the friction flips once static friction gives, up to
    # half a stroke's first second in) to the next event, 0.15 s before it (the filter's lag and the stretch
    # of the cable before the stack moves).
    lead_s: float = 0.5
    event_lag_s: float = 0.15
    # A curl starts no sooner than 0.3 s after the last rep ended: rests last 0.6 s or more, and a dropped
    # stack's catch and bounce (0.3 s) would pass for a short stroke.
    settle_s: float = 0.3
    # Strokes last 0.3–4.5 s: a kick's curl takes 0.45 s or more, a dropped return 0.35 s; a slow tempo return
    # 3.5 s. Shorter is a jolt (a slack cable picked up), no stroke.
    min_stroke_s: float = 0.3
    max_stroke_s: float = 4.5
    # The next curl ends a rep. Without one (the set's last rep), a second after its return started the rep is
    # looked at every half second while the stack rests: over once its return's fit ended 0.6 s before (a rest
    # is at least that long, and the fit then has the stroke's whole end).
    rest_ends_s: float = 1.0
    probe_every_s: float = 0.5
    rest_confirm_s: float = 0.6
    # Samples kept for the fits: a rep with its rest before it lasts under 15 s.
    keep_s: float = 15.0
    # A rep lifts the stack at least 8 cm (a 45° partial curl on 2:1 still does ~11 cm); a twitch or a
    # foot shift moves it a few cm and never counts.
    rep_travel_m: float = 0.08
    # A rep has come back down when its return's travel is 60 % of its curl's or more (the two fits can differ
    # by a fifth; a top hold drifts a few cm at most).
    end_travel_share: float = 0.6
    # No rep, even a kick with a dropped return, lasts under 0.6 s.
    min_rep_s: float = 0.6
    # Set down: the tension under a fifth of the load for 0.4 s. On its pins the stack leaves only the strap
    # and cable pulling (a few newtons); a dropped return can slacken the cable too, but only while the
    # stack falls (under 0.35 s from the top of a 0.35 m curl) before it is caught or lands and is picked up.
    # The same share tells a slack start (below).
    set_down_share: float = 0.2
    set_down_s: float = 0.4
    # Lifted off the pins once the cable carries most of the stack again.
    lift_off_share: float = 0.85
    # "Start with tension: keep the cable lightly loaded before the first rep": the tension just before the
    # first rep of a set is its mean over the half second before the rep starts (long enough to average the
    # amplifier's noise, short enough to be where the member stood). A hanging stack pulls its whole weight
    # (± static friction, a few %); on its pins only the strap and cable pull, a few newtons: under
    # `set_down_share` of the load the stack sat on its pins — `slack_start`.
    start_window_s: float = 0.5
    # A set-down more than 6 s before the next rep is a pause between sets, not a rep that lost tension.
    set_break_s: float = 6.0
    # A steady tension 10 % (and at least three frictions) off the known load for 3 s is a new weight on
    # the pin (between sets): a stuck stack rests within L ± 1.4 f, and a slow return's steady middle
    # (L − f) lasts well under 2 s.
    reacquire_s: float = 3.0
    reacquire_share: float = 0.10

    @property
    def stroke_limits(self) -> tuple[float, float, float]:
        """The shortest and longest stroke (s) and a rep's least travel (m), as `strokes.fit_rising` takes them."""
        return self.min_stroke_s, self.max_stroke_s, self.rep_travel_m
