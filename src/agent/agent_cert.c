/*
 * agent_cert.c - making agents' certificates (agent_cert.h).
 */
#include "agent/agent_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "util/err.h"

static int write_file(const char *path, const gnutls_datum_t *d, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, d->data, d->size);
	int rc = n == (ssize_t)d->size ? 0 : -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

static int load(const char *path, gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key, int want_key)
{
	gnutls_datum_t d = {NULL, 0};
	int rc = 0;
	if (gnutls_load_file(path, &d) < 0)
		return -ENOENT;
	if (want_key) {
		if (gnutls_x509_privkey_init(key) < 0 ||
		    gnutls_x509_privkey_import(*key, &d, GNUTLS_X509_FMT_PEM) < 0)
			rc = DH_EMALFORMED;
	} else {
		if (gnutls_x509_crt_init(crt) < 0 ||
		    gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_PEM) < 0)
			rc = DH_EMALFORMED;
	}
	gnutls_free(d.data);
	return rc;
}

/* Builds and signs one certificate; ca_crt/ca_key NULL = self-signed. */
static int make(const char *cn, const char *host, unsigned days, int is_ca,
                gnutls_x509_crt_t ca_crt, gnutls_x509_privkey_t ca_key, const char *cert_path,
                const char *key_path, char *err, size_t errlen)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t out = {NULL, 0};
	unsigned char serial[16], kid[64];
	size_t kidlen = sizeof(kid);
	int g, rc = 0;
	time_t now = time(NULL);

	if (sodium_init() < 0)
		return -ENOSYS;
	randombytes_buf(serial, sizeof(serial));
	serial[0] &= 0x7f; /* a positive serial (RFC 5280 4.1.2.2) */
	if ((g = gnutls_x509_privkey_init(&key)) < 0 ||
	    (g = gnutls_x509_privkey_generate(
	         key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0 ||
	    (g = gnutls_x509_crt_init(&crt)) < 0 || (g = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (g = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
	    (g = gnutls_x509_crt_set_activation_time(crt, now - 3600)) < 0 ||
	    (g = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 86400)) < 0 ||
	    (g = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	                                       (unsigned)strlen(cn))) < 0 ||
	    (g = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (g = gnutls_x509_crt_get_key_id(crt, 0, kid, &kidlen)) < 0 ||
	    (g = gnutls_x509_crt_set_subject_key_id(crt, kid, kidlen)) < 0)
		goto gfail;
	if (is_ca) {
		if ((g = gnutls_x509_crt_set_basic_constraints(crt, 1, -1)) < 0 ||
		    (g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN |
		                                                GNUTLS_KEY_CRL_SIGN)) < 0)
			goto gfail;
	} else {
		static const uint8_t lo[4] = {127, 0, 0, 1};
		if ((g = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
		    (g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
		    (g = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) <
		        0 ||
		    (g = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0)) <
		        0 ||
		    (g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost",
		                                              9, GNUTLS_FSAN_APPEND)) < 0 ||
		    (g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, lo, 4,
		                                              GNUTLS_FSAN_APPEND)) < 0)
			goto gfail;
		if (host && *host &&
		    (g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host,
		                                              (unsigned)strlen(host),
		                                              GNUTLS_FSAN_APPEND)) < 0)
			goto gfail;
		kidlen = sizeof(kid);
		if ((g = gnutls_x509_crt_get_subject_key_id(ca_crt, kid, &kidlen, NULL)) >= 0)
			gnutls_x509_crt_set_authority_key_id(crt, kid, kidlen);
	}
	if ((g = gnutls_x509_crt_sign2(crt, ca_crt ? ca_crt : crt, ca_key ? ca_key : key,
	                               GNUTLS_DIG_SHA256, 0)) < 0 ||
	    (g = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out)) < 0)
		goto gfail;
	if ((rc = write_file(cert_path, &out, 0644)) != 0) {
		snprintf(err, errlen, "%s: %s", cert_path, strerror(-rc));
		goto out;
	}
	gnutls_free(out.data);
	out.data = NULL;
	if ((g = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &out)) < 0)
		goto gfail;
	if ((rc = write_file(key_path, &out, 0600)) != 0)
		snprintf(err, errlen, "%s: %s", key_path, strerror(-rc));
	goto out;
gfail:
	snprintf(err, errlen, "certificate for %s: %s", cn, gnutls_strerror(g));
	rc = -EIO;
out:
	gnutls_free(out.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

int agent_cert_make_ca(const char *cn, unsigned days, const char *cert_path, const char *key_path,
                       char *err, size_t errlen)
{
	return make(cn, NULL, days, 1, NULL, NULL, cert_path, key_path, err, errlen);
}

int agent_cert_make_agent(const char *cn, const char *host, unsigned days, const char *ca_cert,
                          const char *ca_key, const char *cert_path, const char *key_path,
                          char *err, size_t errlen)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t key = NULL;
	int rc = load(ca_cert, &crt, NULL, 0);
	if (rc == 0)
		rc = load(ca_key, NULL, &key, 1);
	if (rc)
		snprintf(err, errlen, "CA %s / %s: %s", ca_cert, ca_key,
		         rc == -ENOENT ? "cannot be read" : "not PEM");
	else
		rc = make(cn, host, days, 0, crt, key, cert_path, key_path, err, errlen);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

int agent_cert_fingerprint(const char *path, char out[65])
{
	gnutls_x509_crt_t crt = NULL;
	unsigned char fp[32];
	size_t n = sizeof(fp);
	int rc = load(path, &crt, NULL, 0);
	out[0] = 0;
	if (rc == 0 && gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp, &n) == 0 &&
	    n == 32)
		sodium_bin2hex(out, 65, fp, 32);
	else if (rc == 0)
		rc = DH_EMALFORMED;
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return rc;
}
