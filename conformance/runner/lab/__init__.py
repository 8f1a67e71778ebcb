"""The live lab (`tigress-conformance lab`): the client suite for clients
that are not programs on this machine, such as wallet apps on phones.

One process serves an instrumented relay (the client suite's test relay on
any address, with a certificate for the name phones use) and, on the same
port under /lab/, guided pages and an HTTP API.  A tester (or a program,
through the API) plays the client suite's sessions with the device as the
party; the client cases judge what the relay recorded.

Modules: scenarios (the sessions played, the words for each step), relay
(the relay, one session's view of it, the warnings about the public URL),
device (the device as a party: a step waits for its report), state (runs,
sessions, verdicts), api (/lab/api/), pages (/lab/ HTML, CSS, script, QR
codes), report (the reports, Markdown too), server (the handler, starting,
the command line), remote (a program playing the device through the API).
"""
