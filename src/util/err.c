#include "util/err.h"

#include <string.h>

const char *dh_strerror(int code)
{
	switch (code) {
	case DH_EOK:
		return "success";
	case DH_ETRUNC:
		return "truncated input";
	case DH_EMALFORMED:
		return "malformed input";
	case DH_ELOOP:
		return "name compression pointer loops or points forward";
	case DH_ENAMELEN:
		return "name or label too long";
	case DH_ECOUNT:
		return "record count exceeds the message";
	case DH_ELABEL:
		return "reserved label type";
	case DH_EFORMAT:
		return "unknown file format";
	case DH_ELINKTYPE:
		return "unsupported link-layer type";
	case DH_ENOTDNS:
		return "not DNS";
	case DH_EFRAG:
		return "fragment cannot be reassembled";
	case DH_ESPACE:
		return "output buffer too small";
	case DH_EUSAGE:
		return "invalid arguments";
	case DH_ECORRUPT:
		return "store file is corrupt";
	case DH_EDB:
		return "catalog database error";
	case DH_ENOTFOUND:
		return "not found";
	case DH_EEXIST:
		return "already exists";
	case DH_ETRAILING:
		return "trailing bytes after the last record";
	default:
		break;
	}
	if (code < 0 && code > DH_EBASE)
		return strerror(-code);
	return "unknown error";
}
