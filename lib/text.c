/* text: bounded string copies; see text.h. */
#include <string.h>

#include "text.h"

size_t
text_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);
	size_t k = n < size ? n : size - 1;

	memcpy(dst, src, k);
	dst[k] = '\0';
	return n;
}

size_t
text_append(char *dst, size_t size, size_t pos, const char *src)
{
	size_t n = strlen(src);
	size_t room = size - 1 - pos;
	size_t k = n < room ? n : room;

	memcpy(dst + pos, src, k);
	dst[pos + k] = '\0';
	return pos + k;
}
