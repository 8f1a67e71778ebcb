#!/bin/sh
# A client driver to copy (spec/drivers.md): one step of a scenario per
# run.  Replace each `client ...` command with your client's own and keep
# the exit codes: 0 done, 7 a payload that does not open, 8 the mailbox is
# gone, 9 another device has it, 127 this step is not supported, anything
# else failed.
#
# As it stands it drives tigress-ref's client (ref-client/tigress, or
# $TIGRESS_CLIENT_BIN) through share, preview, accept, finish and cancel,
# and answers 127 to every other step, so that
#
#     tools/tigress-conformance client spec/driver-skeleton.sh
#
# judges what it does and reports the cases needing the rest UNSUPPORTED.
# The TIGRESS_* variables are set by the suite for each step.
# shellcheck disable=SC2153

ROLE=${1:-$TIGRESS_ROLE} STEP=${3:-$TIGRESS_STEP}
CLIENT=${TIGRESS_CLIENT_BIN:-$(dirname "$0")/../ref-client/tigress}
if [ ! -x "$CLIENT" ]; then     # else the shell's "not found" is 127, read
    echo "driver: no client at $CLIENT (set TIGRESS_CLIENT_BIN)" >&2
    exit 1                      # as "not supported"
fi
LAST=$TIGRESS_STATE_DIR/last-share       # the share URL later steps act on

client() {      # your client, with the relay's trust and the header names;
                # tigress keeps its own state in $TIGRESS_STATE_DIR
    if [ -n "$TIGRESS_CA" ]; then set -- "$@" --ca "$TIGRESS_CA"; fi
    "$CLIENT" "$@" --profile "${TIGRESS_PROFILE:-http-00}"
}

case "$ROLE $STEP" in
"initiator share")      # seal TIGRESS_IN, create a mailbox, URL to TIGRESS_OUT
    client share --relay "$TIGRESS_RELAY" --in "$TIGRESS_IN" \
        --title "${TIGRESS_TITLE:-Shared credential}" \
        ${TIGRESS_DESCRIPTION:+--description "$TIGRESS_DESCRIPTION"} \
        ${TIGRESS_IMAGE:+--image "$TIGRESS_IMAGE"} \
        --vertical "${TIGRESS_VERTICAL:-a}" --access "${TIGRESS_ACCESS:-RD}" \
        --expires "${TIGRESS_EXPIRES:-600}" >"$TIGRESS_OUT" || exit
    cp "$TIGRESS_OUT" "$LAST" ;;
"recipient preview")    # the display information, JSON, to TIGRESS_OUT
    client preview - --json <"$TIGRESS_URL_FILE" >"$TIGRESS_OUT" ;;
"recipient accept")     # bind, read, open: the Provisioning Information
    cp "$TIGRESS_URL_FILE" "$LAST"      # (the URL on stdin: never in `ps`)
    client accept - --out "$TIGRESS_OUT" <"$TIGRESS_URL_FILE" ;;
"recipient finish"|"initiator cancel")  # delete the mailbox
    client cancel - <"$LAST" ;;
*)
    exit 127 ;;         # send, receive, relinquish, provision's steps ...
esac
