/*
 * text: bounded copies of NUL-terminated strings into fixed buffers, the
 * job `snprintf(dst, size, "%s", src)` did all over the relay at the cost
 * of the printf machinery on every request.
 */
#ifndef TIGRESS_TEXT_H
#define TIGRESS_TEXT_H

#include <stddef.h>

/*
 * Copy src into dst[size] (size > 0), cut to size - 1 bytes and always
 * NUL-terminated.  Returns strlen(src): the copy was cut when that is
 * >= size.  dst and src must not overlap.
 */
size_t text_copy(char *dst, size_t size, const char *src);

/*
 * Append src at dst[pos] (pos < size, dst[0..pos) already written), cut
 * and NUL-terminated as text_copy.  Returns the new length of dst.
 */
size_t text_append(char *dst, size_t size, size_t pos, const char *src);

#endif
