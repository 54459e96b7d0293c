#include "util/addr.h"

#include <arpa/inet.h>
#include <string.h>

#include "util/err.h"

void dh_addr_set4(struct dh_addr *addr, const uint8_t *bytes4)
{
	memset(addr, 0, sizeof(*addr));
	addr->family = DH_AF_INET;
	memcpy(addr->a, bytes4, 4);
}

void dh_addr_set6(struct dh_addr *addr, const uint8_t *bytes16)
{
	addr->family = DH_AF_INET6;
	memcpy(addr->a, bytes16, 16);
}

int dh_addr_parse(struct dh_addr *addr, const char *text)
{
	uint8_t buf[16];

	if (inet_pton(AF_INET, text, buf) == 1) {
		dh_addr_set4(addr, buf);
		return 0;
	}
	if (inet_pton(AF_INET6, text, buf) == 1) {
		dh_addr_set6(addr, buf);
		return 0;
	}
	return DH_EMALFORMED;
}

size_t dh_addr_format(const struct dh_addr *addr, char *buf, size_t len)
{
	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (addr->family == DH_AF_INET) {
		if (!inet_ntop(AF_INET, addr->a, buf, (socklen_t)len))
			buf[0] = '\0';
	} else if (addr->family == DH_AF_INET6) {
		if (!inet_ntop(AF_INET6, addr->a, buf, (socklen_t)len))
			buf[0] = '\0';
	}
	return strlen(buf);
}

int dh_addr_equal(const struct dh_addr *x, const struct dh_addr *y)
{
	if (x->family != y->family)
		return 0;
	return memcmp(x->a, y->a, x->family == DH_AF_INET ? 4 : 16) == 0;
}
