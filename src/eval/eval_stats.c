/*
 * eval_stats.c - Wilson intervals and running means.
 */
#include "eval/eval_stats.h"

#include <math.h>

void eval_prop_wilson(struct eval_prop *p, uint64_t k, uint64_t n, double z)
{
	p->k = k;
	p->n = n;
	if (n == 0) {
		p->value = 0.0;
		p->lo = 0.0;
		p->hi = 1.0;
		return;
	}
	double dn = (double)n;
	double phat = (double)k / dn;
	double z2 = z * z;
	double denom = 1.0 + z2 / dn;
	double centre = (phat + z2 / (2.0 * dn)) / denom;
	double half = z * sqrt(phat * (1.0 - phat) / dn + z2 / (4.0 * dn * dn)) / denom;

	p->value = phat;
	p->lo = centre - half < 0.0 ? 0.0 : centre - half;
	p->hi = centre + half > 1.0 ? 1.0 : centre + half;
}

void eval_mean_init(struct eval_mean *m)
{
	m->n = 0;
	m->mean = 0.0;
	m->m2 = 0.0;
	m->lo = 0.0;
	m->hi = 0.0;
}

void eval_mean_add(struct eval_mean *m, double x)
{
	m->n++;
	double d = x - m->mean;
	m->mean += d / (double)m->n;
	m->m2 += d * (x - m->mean);
}

double eval_mean_sd(const struct eval_mean *m)
{
	if (m->n < 2)
		return 0.0;
	return sqrt(m->m2 / (double)(m->n - 1));
}

void eval_mean_finish(struct eval_mean *m, double z)
{
	double half = 0.0;
	if (m->n > 0)
		half = z * eval_mean_sd(m) / sqrt((double)m->n);
	m->lo = m->mean - half;
	m->hi = m->mean + half;
}
