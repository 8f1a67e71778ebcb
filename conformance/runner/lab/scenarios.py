"""What the lab asks of a device: the client suite's sessions
(runner/client/sessions.py) it plays, grouped as the page shows them, and
the words for each step a device takes.

A lab scenario IS a client-suite session, by the same name: the lab plays
its function with the device (a person's phone, or a driver through
/lab/api/) as the party, so the client cases judge it unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Dict, List, NamedTuple, Optional


class Scenario(NamedTuple):
    name: str            # the session of runner/client/sessions.py
    group: str           # "recipient" or "initiator": the device's role
    title: str           # for people
    what: str            # what happens, one or two sentences
    checks: str          # what the lab looks at


RECIPIENT = "recipient"
INITIATOR = "initiator"
GROUPS = OrderedDict([
    (RECIPIENT, "Your device as recipient"),
    (INITIATOR, "Your device as initiator")])

_ALL = [
    Scenario("recip-stateless", RECIPIENT, "Accept a key",
             "The lab shares a car key. Open the share URL on the device, "
             "let it show the preview, accept, finish.",
             "the preview does not bind; the binding read, its device claim "
             "and Mailbox-Request-IDs; the Secret and fragment never reach "
             "the relay; the key opens; the final delete"),
    Scenario("retry-read", RECIPIENT, "Accept while an answer is lost",
             "The relay binds the device at its read and drops the answer "
             "once.",
             "the read is sent again under the same claim, and the key is "
             "taken"),
    Scenario("tamper", RECIPIENT, "Refuse tampered keys",
             "Three shares whose ciphertext, tag or IV the lab changed by "
             "one bit.", "each one refused, nothing stored"),
    Scenario("wrong-type", RECIPIENT, "Refuse a wrong AEAD label",
             "Two shares labelled with another AEAD than the one sealed, or "
             "an unknown one.", "both refused"),
    Scenario("gone", RECIPIENT, "A cancelled share",
             "The lab cancels its share before the device opens it.",
             "the device says the share is gone"),
    Scenario("claimed", RECIPIENT, "Second recipient",
             "Another device (the lab) accepts the share first.",
             "the device says another device has it"),
    Scenario("recip-aes128", RECIPIENT, "Accept an AES-128 key",
             "A share under a 16-byte Secret (AEAD_AES_128_GCM).",
             "the key opens"),
    Scenario("recip-stateful", RECIPIENT, "Two-way exchange",
             "The lab shares with write rights; the device accepts and "
             "replies, the lab answers, the device receives and finishes.",
             "every message opens; fresh IVs and Request-IDs"),
    Scenario("recip-relinquish", RECIPIENT, "Give a share up",
             "The device accepts, then relinquishes; the lab accepts after "
             "it.", "the PATCH, and the mailbox free again"),
    Scenario("init-stateless", INITIATOR, "Share a key",
             "Share a key from the device through the lab's relay and paste "
             "the share URL; the lab accepts it and deletes it.",
             "the URL's form and length; the create's body, claim and "
             "Request-ID; the Secret never sent; the payload's AEAD type, "
             "key length and that it opens"),
    Scenario("init-stateful", INITIATOR, "Two-way exchange",
             "Share with write rights; the lab accepts and replies; the "
             "device receives, sends again and cancels.",
             "both messages open; no IV twice under the Secret; the cancel "
             "deletes"),
    Scenario("init-twice", INITIATOR, "Share twice",
             "Two shares, one after the other (with notifications and "
             "attestation, if the device has them).",
             "a fresh claim and Request-IDs for each; tokens and "
             "attestations that identify nothing"),
    Scenario("self", INITIATOR, "Share with a second device",
             "Share a key from the device and paste the share URL; then "
             "accept it on a second device with the same app (or on this "
             "one, if it lets you) and finish there.",
             "the recipient presents a claim of its own, not the "
             "initiator's; the key opens"),
    Scenario("retry-create", INITIATOR, "Share while an answer is lost",
             "The relay applies the device's create and drops the answer "
             "once.", "the create resent with the same Request-ID; one "
             "mailbox; the 201 taken as success"),
    Scenario("retry-reset", INITIATOR, "Share through a reset",
             "The relay resets the connection of the create once.",
             "resent with the same Request-ID"),
    Scenario("retry-5xx", INITIATOR, "Share through a 503",
             "The relay answers the create 503 once.",
             "a failure said, or a URL to a mailbox that exists"),
    Scenario("retry-slow", INITIATOR, "Share through a slow relay",
             "The relay answers the create 2 s late.",
             "the answer waited for; one mailbox"),
]
SCENARIOS: "OrderedDict[str, Scenario]" = OrderedDict(
    (s.name, s) for s in _ALL)


def in_group(group: str) -> List[Scenario]:
    return [s for s in SCENARIOS.values() if s.group == group]


# -- the steps a device takes -------------------------------------------------------

# outcome -> (exit status of spec/drivers.md, what the tester saw)
OUTCOMES = OrderedDict([
    ("ok", (0, "it worked")),
    ("refused", (7, "it refused the key")),
    ("gone", (8, "it said the share is gone")),
    ("claimed", (9, "it said another device has it")),
    ("failed", (1, "it failed otherwise")),
    ("already", (0, "it did that already, in the step before")),
    ("skip", (127, "not offered by the device: skip")),
])
# the buttons each step offers (share has a URL field and "Shared")
CHOICES = {"accept": ("ok", "refused", "gone", "claimed", "failed", "skip"),
           "receive": ("ok", "refused", "failed", "skip"),
           "finish": ("ok", "already", "failed", "skip"),
           "share": ("failed", "skip")}
DEFAULT_CHOICES = ("ok", "failed", "skip")
BUTTONS = {"ok": "Done", "refused": "It refused the key",
           "gone": "It says the share is gone",
           "claimed": "It says another device has it",
           "failed": "It failed", "already": "It did that by itself",
           "skip": "Skip: not offered"}
BUTTON_FOR = {("ok", "accept"): "It shows the key",
              ("ok", "receive"): "It shows the message",
              ("failed", "share"): "It could not share"}

# Steps a device may lack without ending its scenario: a phone may show
# no separate preview, or delete the share by itself when it accepts.
OPTIONAL_STEPS = ("preview", "finish")


def choices(step: str) -> tuple:
    return CHOICES.get(step, DEFAULT_CHOICES)


def button(outcome: str, step: str) -> str:
    return BUTTON_FOR.get((outcome, step)) or BUTTONS[outcome]


def instruction(step: str, expect: Optional[int],
                settings: Dict[str, str]) -> str:
    """What the tester does for a step, in one or two sentences."""
    if step == "share":
        two_way = "W" in settings.get("access", "")
        return ("Share a key from your device through the lab's relay%s. "
                "Then paste the share URL it made." % (
                    " as a two-way share (read, write and delete)" if two_way
                    else ""))
    if step == "preview":
        return ("Open the share URL on your device and let it show what is "
                "shared. Do not accept yet.")
    if step == "accept":
        return {
            None: "Try to accept the key on your device. The lab changed "
                  "this share: a correct device refuses it.",
            8: "The lab has cancelled this share. Try to accept it: the "
               "device should say it is gone.",
            9: "Another device (the lab) accepted this share first. Try to "
               "accept it: the device should say another device has it.",
        }.get(expect, "Accept the key on your device.")
    return {
        "send": "Send a reply (a new message) from your device.",
        "receive": "The other party sent a new message: let your device "
                   "receive it.",
        "finish": "Finish the transfer on your device (it deletes the share "
                  "from the relay).",
        "cancel": "Cancel (delete) the share on your device.",
        "relinquish": "Give the share up on your device (relinquish).",
    }.get(step, "Do the step '%s' on your device." % step)
