"""The client suite (`tigress-conformance client DRIVER`): checks any
TIGRESS client through its driver (spec/drivers.md).

Modules: testrelay (the instrumented test relay: conformance/brokenrelay
in this process, recording every request, injecting faults), peer (the
suite as the other party, on tigress_py), sessions (the scenarios played with the driver), secretscan (the Secret in
every encoding), registry and context (client cases and what they work
with), cases (the checks), engine (selecting and running).  Running a
driver step is core/driver.py, reading the relay's records core/records.py
(the interop matrix uses both).
"""
