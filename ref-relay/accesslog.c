/* accesslog: address truncation and line formatting. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "accesslog.h"
#include "rfc3339.h"

void
accesslog_truncate_ip(const char *ip, char *out, size_t size)
{
	unsigned char	addr[16];

	snprintf(out, size, "-");
	if (inet_pton(AF_INET, ip, addr) == 1) {
		addr[3] = 0;
		inet_ntop(AF_INET, addr, out, (socklen_t)size);
	} else if (inet_pton(AF_INET6, ip, addr) == 1) {
		memset(addr + 6, 0, sizeof(addr) - 6);
		inet_ntop(AF_INET6, addr, out, (socklen_t)size);
	}
}

size_t
accesslog_line(char *out, size_t size, int64_t now, const char *ip,
    const char *method, const char *path, int status, size_t bytes)
{
	char	when[RFC3339_STR_SIZE] = "-";
	int	n;

	(void)rfc3339_format(now, when);
	n = snprintf(out, size, "%s %s %s %s %d %zu\n", when, ip, method, path,
	    status, bytes);
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}
