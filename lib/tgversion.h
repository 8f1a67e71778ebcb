/*
 * tgversion: the release of tigress-ref and the draft it implements, for
 * the --version of every program (one place, so they never disagree).
 */
#ifndef TIGRESS_TGVERSION_H
#define TIGRESS_TGVERSION_H

#define TG_VERSION	"1.0"
#define TG_DRAFT	"draft-vinokurov-tigress-http-00"

#endif
