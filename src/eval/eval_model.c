/*
 * eval_model.c - the closed forms of seed 000, section 5.1.
 */
#include "eval/eval_model.h"

#include <math.h>
#include <stdio.h>

#include "util/err.h"

static int is_probability(double x)
{
	return x >= 0.0 && x <= 1.0;
}

double eval_conventional(double p, unsigned hops)
{
	if (!is_probability(p))
		return NAN;
	return pow(p, (double)hops);
}

double eval_dnslog(double p, double q, unsigned hops)
{
	if (!is_probability(p) || !is_probability(q))
		return NAN;
	unsigned logs = hops < 2 ? hops : 2;
	return q * pow(p, (double)logs);
}

int eval_fig13_table(double p, const double *qs, size_t nq, unsigned hops, struct eval_table *t)
{
	int rc;

	if (qs == NULL || t == NULL || nq == 0 || nq > EVAL_MAX_Q || hops == 0 ||
	    hops > EVAL_MAX_HOPS || !is_probability(p))
		return DH_EUSAGE;
	for (size_t i = 0; i < nq; i++)
		if (!is_probability(qs[i]))
			return DH_EUSAGE;
	rc = eval_table_init(t, "hops", nq + 1, hops);
	if (rc != 0)
		return rc;
	eval_table_set_name(t, 0, "conventional");
	for (size_t i = 0; i < nq; i++) {
		char name[EVAL_NAME_MAX];
		snprintf(name, sizeof(name), "dns_q%.2f", qs[i]);
		eval_table_set_name(t, i + 1, name);
	}
	for (unsigned h = 1; h <= hops; h++) {
		size_t r = h - 1;
		t->x[r] = h;
		*eval_table_at(t, r, 0) = eval_conventional(p, h);
		for (size_t i = 0; i < nq; i++)
			*eval_table_at(t, r, i + 1) = eval_dnslog(p, qs[i], h);
	}
	return 0;
}
