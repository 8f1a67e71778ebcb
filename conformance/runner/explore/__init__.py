"""Model-based random testing of a relay (issue 13).

Random operation sequences are played against the relay under test and
every answer is checked against an executable model of the relay as the
drafts define it; the first disagreement is shrunk to a minimal sequence,
printed as a numbered exchange and saved as a JSON reproducer that
`--replay` plays again against any relay.

    steps       the symbolic sequence: Step (create, read, update, delete,
                relinquish, preview, poll, wait, race), its JSON form and
                its one-line description
    model       the model: the relay's state (mailboxes, parties, rights,
                expiration, remembered requests) and, for a state and a
                request, the set of answers the draft allows, driven by
                spec/protocol.json (outcomes, permissions, effects and its
                "model" section: what answers show, the decisions of
                spec/errata.md as switchable choices)
    judge       matching an answer against the model's allowed set: the
                departures and disagreements, their requirements and
                verdicts, and the state that follows
    wire        a step as HTTP requests (tigress_py.client), concrete
                claims, request ids, payloads; racing requests
    play        a sequence played and judged, step by step
    generator   seeded, weighted sequences over initiators, recipients
                and strangers
    shrink      a disagreeing sequence made minimal (drop steps, simplify
                bodies, merge parties)
    reproducer  the JSON reproducer format, and the readable exchange
    runner      exploration within a budget, replay of reproducers

It depends on `protocol`, `tigress_py` and runner/core (the catalog), never
on a suite: the relay suite runs it as the EXPLORE cases
(runner/relay/cases/explore.py).  Documented in conformance/README.md
("Exploration").
"""
