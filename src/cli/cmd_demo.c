/*
 * cmd_demo.c - "dnshound demo": the whole of dnshound on a small world, in
 * about a minute, and nothing left behind but the report.
 *
 * The world is generated, labelled traffic of a campus network seen at
 * its resolver (dnshound scenario: benign clients, mail servers,
 * forwarders, and one bot of every kind the seeds describe). The demo
 * stores it, finds the infected hosts (seed 001's statistics and the
 * detectors beyond it, seed 003's NS-history check), starts two traceback
 * agents - one for the attacked name's authoritative server, one for the
 * resolver - with certificates it makes for the occasion, traces the
 * scenario's spoofed attack back through them (seed 000), writes the HTML
 * report, and prints what it found next to the ground truth.
 *
 * Where it can (as root, with the real-server testbed's packages
 * installed), the demo then traces an attack on real DNS servers too:
 * scripts/testbed-trace.sh starts NSD, BIND (authoritative and resolver),
 * Unbound and a dnsmasq forwarder in a network namespace, lets benign
 * clients and two bots resolve the victim's name through them, attacks
 * from spoofed and from a bot's own address, and traces the attack back
 * through four agents, the forwarder's among them. Elsewhere the stage
 * says why it was skipped, and the generated world's trace stands alone.
 *
 * Each stage is one of dnshound's own commands, run as a child process
 * exactly as a user would run it, so the demo shows what the commands do
 * and nothing else; their output goes to the stage's log in the demo's
 * directory, which is removed at the end (kept with --keep).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent/agent_cert.h"
#include "cli/cli.h"
#include "util/buf.h"
#include "util/err.h"

extern char **environ;

#define STAGES 9

static const char usage[] =
    "usage: dnshound demo [--out REPORT.html] [--keep] [--clients N] [--seed N] [--no-servers]\n"
    "\n"
    "Runs dnshound end to end on a generated campus network with bots in it:\n"
    "stores its traffic, finds the infected hosts, traces a spoofed attack\n"
    "back to its bots through two traceback agents, writes the HTML report\n"
    "and prints a summary against the ground truth. As root, with the real\n"
    "DNS servers of the testbed installed (NSD, BIND, Unbound, dnsmasq), it\n"
    "also traces an attack through them and a forwarder, in a network\n"
    "namespace. Removes everything it made but the report.\n"
    "\n"
    "  --out FILE     the report (default dnshound-demo.html)\n"
    "  --keep         keep the working directory (stores, logs, certificates)\n"
    "  --clients N    clients of the network (default 300)\n"
    "  --seed N       the world's random seed (default 7)\n"
    "  --no-servers   skip the real servers' traceback\n";

struct demo {
	char dir[4096];
	char self[4096];
	unsigned stage;
	double t0;
	pid_t agents[2];
	unsigned nagents;
	int no_servers;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct demo *d, const char *what)
{
	d->stage++;
	fprintf(stderr, "[%u/%u %5.1fs] %s\n", d->stage, STAGES, now_s() - d->t0, what);
}

static void path(const struct demo *d, char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", d->dir, name);
}

/*
 * Runs this program with args (NULL-terminated, args[0] the command),
 * its stdout into out (may be NULL: to the log), its stderr appended to
 * DIR/LOG.log. Returns the exit status, or -1 when it could not run.
 */
static int run(struct demo *d, const char *log, struct dh_buf *out, const char *const *args)
{
	char lp[4200];
	const char *argv[48];
	int pfd[2] = {-1, -1}, st = 0;
	size_t n = 0;
	pid_t pid;
	posix_spawn_file_actions_t fa;
	snprintf(lp, sizeof(lp), "%s/%s.log", d->dir, log);
	argv[n++] = "dnshound";
	for (size_t i = 0; args[i] && n < 47; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (out && pipe(pfd) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, lp, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (out) {
		posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
		posix_spawn_file_actions_addclose(&fa, pfd[0]);
	} else {
		posix_spawn_file_actions_addopen(&fa, 1, lp, O_WRONLY | O_CREAT | O_APPEND, 0644);
	}
	int rc = posix_spawn(&pid, d->self, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out)
		close(pfd[1]);
	if (rc != 0) {
		if (out)
			close(pfd[0]);
		return -1;
	}
	if (out) {
		char buf[65536];
		ssize_t r;
		while ((r = read(pfd[0], buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
			if (r > 0)
				dh_buf_add(out, buf, (size_t)r);
		close(pfd[0]);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int must(struct demo *d, const char *log, struct dh_buf *out, const char *const *args)
{
	int rc = run(d, log, out, args);
	if (rc != 0)
		cli_err("demo: 'dnshound %s' failed (exit %d); see %s/%s.log", args[0], rc, d->dir,
		        log);
	return rc;
}

/* Starts an agent in the background; returns its port or 0. */
static unsigned start_agent(struct demo *d, const char *name, const char *conf)
{
	char lp[4200];
	const char *argv[] = {"dnshound", "agent", "--config", conf, NULL};
	posix_spawn_file_actions_t fa;
	pid_t pid;
	snprintf(lp, sizeof(lp), "%s/agent-%s.log", d->dir, name);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, lp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int rc = posix_spawn(&pid, d->self, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return 0;
	d->agents[d->nagents++] = pid;
	for (int i = 0; i < 200; i++) {
		char buf[4096];
		FILE *f = fopen(lp, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		buf[n] = 0;
		const char *p = strstr(buf, "]:");
		if (p && strstr(buf, "serving"))
			return (unsigned)strtoul(p + 2, NULL, 10);
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			d->agents[--d->nagents] = 0;
			break;
		}
		(void)poll(NULL, 0, 50);
	}
	cli_err("demo: agent %s did not start; see %s", name, lp);
	return 0;
}

static void stop_agents(struct demo *d)
{
	for (unsigned i = 0; i < d->nagents; i++)
		if (d->agents[i] > 0)
			kill(d->agents[i], SIGTERM);
	for (unsigned i = 0; i < d->nagents; i++)
		if (d->agents[i] > 0)
			while (waitpid(d->agents[i], NULL, 0) < 0 && errno == EINTR)
				;
	d->nagents = 0;
}

static int rmtree(const char *dir)
{
	const char *argv[] = {"rm", "-rf", "--", dir, NULL};
	pid_t pid;
	int st;
	if (posix_spawnp(&pid, "rm", NULL, NULL, (char *const *)argv, environ) != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
	           ? json_object_get_string(v)
	           : "";
}

/* The ground truth: every infected host and its behaviour. */
struct truth {
	struct json_object *root; /* owned */
	size_t n;
	const char *host[64], *kind[64];
	const char *victim, *victim_addr, *attack_start, *attack_end, *resolver;
	const char *bot; /* a bot that resolved the victim's name, for the confirmation */
	const char *resolver6;
	size_t nmail;
	const char *mail[16];
};

static int load_truth(struct demo *d, struct truth *t)
{
	char p[4200];
	path(d, p, sizeof(p), "world/truth.json");
	memset(t, 0, sizeof(*t));
	t->root = json_object_from_file(p);
	if (!t->root)
		return -1;
	struct json_object *inf, *at, *res;
	if (json_object_object_get_ex(t->root, "infected", &inf))
		for (size_t i = 0; i < json_object_array_length(inf) && t->n < 64; i++) {
			struct json_object *b = json_object_array_get_idx(inf, i);
			t->host[t->n] = jstr(b, "addr");
			t->kind[t->n] = jstr(b, "behaviour");
			if (!t->bot && strcmp(t->kind[t->n], "ddos-resolve") == 0)
				t->bot = t->host[t->n];
			t->n++;
		}
	if (json_object_object_get_ex(t->root, "attacks", &at) && json_object_array_length(at)) {
		struct json_object *a = json_object_array_get_idx(at, 0);
		t->victim = jstr(a, "victim");
		t->victim_addr = jstr(a, "addr");
		t->attack_start = jstr(a, "start");
		t->attack_end = jstr(a, "end");
	}
	if (json_object_object_get_ex(t->root, "resolver", &res)) {
		t->resolver = jstr(res, "ipv4");
		t->resolver6 = jstr(res, "ipv6");
	}
	struct json_object *srv;
	if (json_object_object_get_ex(t->root, "benign_servers", &srv))
		for (size_t i = 0; i < json_object_array_length(srv) && t->nmail < 16; i++) {
			struct json_object *b = json_object_array_get_idx(srv, i);
			if (strcmp(jstr(b, "role"), "mail-server") == 0)
				t->mail[t->nmail++] = jstr(b, "addr");
		}
	return t->victim && *t->victim && t->resolver && *t->resolver ? 0 : -1;
}

static const char *truth_kind(const struct truth *t, const char *host)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->host[i], host) == 0)
			return t->kind[i];
	return NULL;
}

/* Kinds found per host, from the findings' JSON lines. */
struct found {
	char host[64][48];
	char kinds[64][160];
	size_t n, lines, false_hosts;
};

static void add_found(struct found *f, const char *host, const char *kind)
{
	size_t i;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->host[i], host) == 0)
			break;
	if (i == f->n) {
		if (f->n == 64)
			return;
		snprintf(f->host[f->n], sizeof(f->host[0]), "%s", host);
		f->kinds[f->n][0] = 0;
		f->n++;
	}
	if (!strstr(f->kinds[i], kind)) {
		size_t l = strlen(f->kinds[i]);
		snprintf(f->kinds[i] + l, sizeof(f->kinds[0]) - l, "%s%s", l ? "," : "", kind);
	}
}

/* The authoritative server of name: the source of an answer for it
 * with AA set, from the store's events. */
static int auth_of(struct demo *d, const char *store, const char *name, char *out, size_t len)
{
	struct dh_buf ev;
	dh_buf_init(&ev);
	const char *args[] = {"events", "--store", store, "--qname", name, "--json", NULL};
	int rc = must(d, "events", &ev, args);
	dh_buf_addc(&ev, 0);
	out[0] = 0;
	for (char *line = ev.data; rc == 0 && line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		struct json_object *o = json_tokener_parse(line);
		struct json_object *fl;
		if (o && json_object_object_get_ex(o, "flags", &fl)) {
			for (size_t i = 0; i < json_object_array_length(fl); i++)
				if (strcmp(json_object_get_string(json_object_array_get_idx(fl, i)),
				           "aa") == 0) {
					snprintf(out, len, "%s", jstr(o, "src"));
					break;
				}
		}
		json_object_put(o);
		if (out[0] || !nl)
			break;
		line = nl + 1;
	}
	dh_buf_release(&ev);
	return out[0] ? 0 : -1;
}

static int write_conf(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	if (!f)
		return -1;
	int ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The real servers' traceback (scripts/testbed-trace.sh) and its answers. */
struct real {
	pid_t pid;      /* the script, while it runs */
	char log[4200]; /* its output */
	char dir[4200]; /* its answers */
	int ran;        /* the script ran to its end and its answers are loaded */
	int failed;     /* it could run here, and did not get to its end */
	char why[512];  /* why it did not run, or what failed */
	struct json_object *world, *spoofed, *own, *down, *cache; /* owned */
};

static void real_release(struct real *r)
{
	json_object_put(r->world);
	json_object_put(r->spoofed);
	json_object_put(r->own);
	json_object_put(r->down);
	json_object_put(r->cache);
}

/* Finds testbed-trace.sh: in $DNSHOUND_TESTBED, the source tree this
 * program was built from, or the installed data directory. */
static int find_testbed(char *out, size_t len)
{
	const char *dirs[] = {getenv("DNSHOUND_TESTBED"), DH_SOURCE_DIR "/scripts", DH_DATA_DIR};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i] || !*dirs[i])
			continue;
		snprintf(out, len, "%s/testbed-trace.sh", dirs[i]);
		if (access(out, R_OK) == 0)
			return 0;
	}
	return -1;
}

/* The last non-empty line of file p, for a reason to print. */
static void last_line(const char *p, char *out, size_t len)
{
	char line[1024];
	FILE *f = fopen(p, "r");
	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snprintf(out, len, "%.400s", line);
	}
	fclose(f);
}

/*
 * Starts the real servers' traceback in the background: it spends most of
 * its time waiting for the caches and the attack, so it runs beside the
 * generated world's stages. Returns 0 when it started or cannot run here
 * (r->why says why), -1 on a failure to prepare it.
 */
static int real_start(struct demo *d, struct real *r)
{
	char script[4200], certs[4200], p[4300], err[512];
	static const char *const who[] = {"dest", "res", "unb", "fwd", "victim"};

	if (d->no_servers) {
		snprintf(r->why, sizeof(r->why), "--no-servers");
		return 0;
	}
	if (geteuid() != 0) {
		snprintf(r->why, sizeof(r->why),
		         "needs root (a network namespace, port 53); run the demo as root");
		return 0;
	}
	if (find_testbed(script, sizeof(script)) != 0) {
		snprintf(r->why, sizeof(r->why),
		         "the testbed's scripts are not installed (testbed-trace.sh not found)");
		return 0;
	}
	/* Certificates of an organisation per agent's server would be the
	 * real thing; one CA stands for their exchanged CA certificates. The
	 * script names each peer by this CA and its common name. */
	path(d, certs, sizeof(certs), "servers-certs");
	path(d, r->dir, sizeof(r->dir), "servers");
	if (mkdir(certs, 0700) != 0)
		return -1;
	snprintf(p, sizeof(p), "%s/ca.pem", certs);
	char cak[4300];
	snprintf(cak, sizeof(cak), "%s/ca.key", certs);
	if (agent_cert_make_ca("dnshound demo servers CA", 1, p, cak, err, sizeof(err)) != 0) {
		snprintf(r->why, sizeof(r->why), "certificates: %.400s", err);
		r->failed = 1;
		return -1;
	}
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
		char cn[64], cert[4300], key[4300];
		snprintf(cn, sizeof(cn), "%s.example", who[i]);
		snprintf(cert, sizeof(cert), "%s/%s.pem", certs, who[i]);
		snprintf(key, sizeof(key), "%s/%s.key", certs, who[i]);
		if (agent_cert_make_agent(cn, NULL, 1, p, cak, cert, key, err, sizeof(err)) != 0) {
			snprintf(r->why, sizeof(r->why), "certificates: %.400s", err);
			r->failed = 1;
			return -1;
		}
	}

	/* Benign lookups, then the bots' 7 s later, from the caches; the
	 * trace's window is 5 s, so only the caches' lookback finds them. */
	setenv("TB_SETTLE", "7", 0);
	setenv("TB_WINDOW", "5", 0);
	path(d, r->log, sizeof(r->log), "servers.log");
	const char *argv[] = {"bash", script, d->self, certs, r->dir, NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, r->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	int rc = posix_spawnp(&r->pid, "bash", &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		r->pid = 0;
		snprintf(r->why, sizeof(r->why), "cannot run bash: %s", strerror(rc));
	}
	return 0;
}

/* Waits for the real servers' traceback (stopped first when stop is set:
 * the demo failed elsewhere) and loads its answers. */
static int real_finish(struct real *r, int stop)
{
	char p[4300];
	int st = 0;
	if (r->pid <= 0)
		return r->failed ? -1 : 0;
	if (stop)
		kill(r->pid, SIGTERM);
	while (waitpid(r->pid, &st, 0) < 0 && errno == EINTR)
		;
	r->pid = 0;
	if (stop)
		return 0;
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (code == 77) {
		char line[512];
		last_line(r->log, line, sizeof(line));
		snprintf(r->why, sizeof(r->why), "%.400s",
		         line[0] ? line : "the testbed cannot run on this machine");
		return 0;
	}
	if (code != 0) {
		snprintf(r->why, sizeof(r->why), "testbed-trace.sh exited %d; see %.400s", code,
		         r->log);
		r->failed = 1;
		return -1;
	}
	snprintf(p, sizeof(p), "%s/world.json", r->dir);
	r->world = json_object_from_file(p);
	snprintf(p, sizeof(p), "%s/spoofed.json", r->dir);
	r->spoofed = json_object_from_file(p);
	snprintf(p, sizeof(p), "%s/own.json", r->dir);
	r->own = json_object_from_file(p);
	snprintf(p, sizeof(p), "%s/down.json", r->dir);
	r->down = json_object_from_file(p);
	snprintf(p, sizeof(p), "%s/cache.json", r->dir);
	r->cache = json_object_from_file(p);
	if (!r->world || !r->spoofed || !r->own || !r->down || !r->cache) {
		snprintf(r->why, sizeof(r->why), "its answers are missing or not JSON; see %.400s",
		         r->dir);
		r->failed = 1;
		return -1;
	}
	r->ran = 1;
	return 0;
}

/* What a host is in the real servers' world: "bot via X", "benign" or
 * "unknown". */
static const char *real_role(const struct real *r, const char *host, char *buf, size_t len)
{
	struct json_object *a;
	if (json_object_object_get_ex(r->world, "bots", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++) {
			struct json_object *b = json_object_array_get_idx(a, i);
			if (strcmp(jstr(b, "host"), host) == 0) {
				snprintf(buf, len, "bot, asked via %s", jstr(b, "via"));
				return buf;
			}
		}
	if (json_object_object_get_ex(r->world, "benign", &a))
		for (size_t i = 0; i < json_object_array_length(a); i++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), host) ==
			    0)
				return "benign";
	return "unknown";
}

static void print_sources(struct json_object *ans, const char *label)
{
	struct json_object *src;
	if (!ans || !json_object_object_get_ex(ans, "sources", &src))
		return;
	for (size_t i = 0; i < json_object_array_length(src); i++) {
		struct json_object *s = json_object_array_get_idx(src, i), *sp;
		json_object_object_get_ex(s, "spoofed", &sp);
		printf("  %s %-15s %s\n", label, jstr(s, "address"),
		       !sp                           ? "unknown"
		       : json_object_get_boolean(sp) ? "spoofed"
		                                     : "not spoofed");
	}
}

static void real_summary(const struct real *r)
{
	struct json_object *cand, *cc, *un;
	char role[128];
	if (!r->ran) {
		printf("traceback on real servers: %s: %s\n\n", r->failed ? "FAILED" : "skipped",
		       r->why);
		return;
	}
	printf("traceback on real servers (NSD, BIND authoritative and resolver, Unbound, "
	       "dnsmasq forwarding to BIND; an agent beside each but NSD) of the attack on "
	       "%s:\n",
	       jstr(r->world, "victim"));
	if (json_object_object_get_ex(r->spoofed, "candidates", &cand))
		for (size_t i = 0; i < json_object_array_length(cand) && i < 10; i++) {
			struct json_object *c = json_object_array_get_idx(cand, i), *sc, *pa;
			const char *h = jstr(c, "host");
			json_object_object_get_ex(c, "score", &sc);
			printf("  %2zu. %-15s score %.3f  %s; path", i + 1, h,
			       json_object_get_double(sc), real_role(r, h, role, sizeof(role)));
			if (json_object_object_get_ex(c, "path", &pa))
				for (size_t k = 0; k < json_object_array_length(pa); k++)
					printf("%s%s", k ? " > " : " ",
					       json_object_get_string(
					           json_object_array_get_idx(pa, k)));
			printf("\n");
		}
	struct json_object *ends, *dest;
	if (json_object_object_get_ex(r->cache, "end_host_queries", &ends) &&
	    json_object_object_get_ex(r->cache, "destination_queries", &dest) &&
	    json_object_get_int(ends) > 0)
		printf("  the authoritative server saw %d of the end hosts' %d queries for it "
		       "(cache-miss ratio %.2f): the agents looked back over the TTL\n",
		       json_object_get_int(dest), json_object_get_int(ends),
		       (double)json_object_get_int(dest) / json_object_get_int(ends));
	print_sources(r->spoofed, "attack source");
	print_sources(r->own, "a bot's own address");
	if (json_object_object_get_ex(r->spoofed, "cc_candidates", &cc) &&
	    json_object_array_length(cc))
		printf("  first C&C candidate: %s\n",
		       jstr(json_object_array_get_idx(cc, 0), "name"));
	if (json_object_object_get_ex(r->down, "unreached", &un))
		for (size_t i = 0; i < json_object_array_length(un); i++) {
			struct json_object *u = json_object_array_get_idx(un, i);
			printf("  with %s's agent stopped: named unreached (%s), %zu candidate(s) "
			       "still "
			       "found\n",
			       jstr(u, "agent"), jstr(u, "reason"),
			       json_object_object_get_ex(r->down, "candidates", &cand)
			           ? json_object_array_length(cand)
			           : (size_t)0);
		}
	printf("\n");
}

static int demo_run(struct demo *d, const char *report, unsigned clients, unsigned seed)
{
	char world[4200], store[4200], astore[4200], pcap[4200], conf[4200], err[512];
	char nclients[16], nseed[16];
	struct dh_buf cf;
	struct truth t;
	struct found f;
	struct dh_buf out;
	struct real real;
	int rc = CLI_EXIT_RUNTIME;
	memset(&real, 0, sizeof(real));
	memset(&t, 0, sizeof(t));
	memset(&f, 0, sizeof(f));
	dh_buf_init(&out);
	dh_buf_init(&cf);
	path(d, world, sizeof(world), "world");
	path(d, store, sizeof(store), "store");
	path(d, astore, sizeof(astore), "auth.store");
	path(d, pcap, sizeof(pcap), "world/traffic.pcap");
	snprintf(nclients, sizeof(nclients), "%u", clients);
	snprintf(nseed, sizeof(nseed), "%u", seed);

	/* The real servers' traceback runs beside the stages below. */
	if (real_start(d, &real) != 0 && !real.failed)
		snprintf(real.why, sizeof(real.why), "cannot prepare: %s", strerror(errno));

	progress(d, "world: a day of a campus network's DNS, with bots in it (dnshound scenario)");
	/* A whole day, so that seed 001's daily levels apply as they are. */
	const char *a1[] = {"scenario", "--out",   world, "--clients", nclients, "--seed",
	                    nseed,      "--hours", "24",  "--quiet",   NULL};
	if (must(d, "scenario", NULL, a1) || load_truth(d, &t) != 0)
		goto out;

	progress(d, "store: the resolver's capture into an embedded store (dnshound ingest)");
	const char *a2[] = {"ingest",     "--quiet",  "--store", store,
	                    "--resolver", t.resolver, pcap,      NULL};
	if (must(d, "ingest", NULL, a2))
		goto out;

	/* What the network's operator knows: its networks, its resolver and
	 * its mail servers (so that they are not taken for spam bots). */
	char cfile[4200];
	path(d, cfile, sizeof(cfile), "dnshound.conf");
	dh_buf_addf(&cf, "[detect]\nlocal = 10.0.0.0/8\nlocal = fd00::/8\nresolver = %s\n",
	            t.resolver);
	if (t.resolver6 && *t.resolver6)
		dh_buf_addf(&cf, "resolver = %s\n", t.resolver6);
	for (size_t i = 0; i < t.nmail; i++)
		dh_buf_addf(&cf, "allow = %s\n", t.mail[i]);
	/* The scenario's public resolvers are stand-ins in TEST-NET-1
	 * (192.0.2.8-10, scenario.c); an operator lists the public resolvers
	 * the network allows the same way. */
	dh_buf_addf(&cf,
	            "\n[nshist]\nresolver = %s\npublic_resolver = 192.0.2.8\n"
	            "public_resolver = 192.0.2.9\npublic_resolver = 192.0.2.10\n",
	            t.resolver);
	if (t.resolver6 && *t.resolver6)
		dh_buf_addf(&cf, "resolver = %s\n", t.resolver6);
	dh_buf_addc(&cf, 0);
	if (cf.err || write_conf(cfile, cf.data) != 0)
		goto out;

	progress(d, "detect: seed 001's statistics and levels, DGA, tunnels, beacons");
	const char *a3[] = {"detect", "--quiet", "--store", store, "--config", cfile, NULL};
	if (must(d, "detect", NULL, a3))
		goto out;

	progress(d, "NS history: queries sent around the resolver (dnshound nshist build, check)");
	const char *a4[] = {"nshist", "build", "--store", store, NULL};
	const char *a5[] = {"nshist", "check",        "--store", store, "--config",
	                    cfile,    "--suspicious", pcap,      NULL};
	if (must(d, "nshist", NULL, a4) || must(d, "nshist", NULL, a5))
		goto out;
	const char *a6[] = {"findings", "--store", store, "--json", NULL};
	if (must(d, "findings", &out, a6))
		goto out;
	dh_buf_addc(&out, 0);
	for (char *line = out.data; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		struct json_object *o = json_tokener_parse(line);
		if (o) {
			add_found(&f, jstr(o, "host"), jstr(o, "kind"));
			f.lines++;
		}
		json_object_put(o);
		line = nl ? nl + 1 : NULL;
	}

	progress(d, "agents: a CA, two agents' certificates, the authoritative server's and the "
	            "resolver's agents (dnshound agent)");
	char auth[64];
	if (auth_of(d, store, t.victim, auth, sizeof(auth)) != 0) {
		cli_err("demo: no authoritative answer for %s in the world", t.victim);
		goto out;
	}
	const char *a7[] = {"ingest", "--quiet", "--store", astore, "--auth", auth, pcap, NULL};
	if (must(d, "ingest", NULL, a7))
		goto out;
	char ca[4200], cak[4200], ac[3][4200], ak[3][4200], fp[3][65];
	static const char *const who[3] = {"auth", "resolver", "victim"};
	path(d, ca, sizeof(ca), "ca.pem");
	path(d, cak, sizeof(cak), "ca.key");
	if (agent_cert_make_ca("dnshound demo CA", 1, ca, cak, err, sizeof(err)) != 0) {
		cli_err("demo: %s", err);
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		char n[64];
		snprintf(n, sizeof(n), "%s.pem", who[i]);
		path(d, ac[i], sizeof(ac[i]), n);
		snprintf(n, sizeof(n), "%s.key", who[i]);
		path(d, ak[i], sizeof(ak[i]), n);
		snprintf(n, sizeof(n), "%s.demo", who[i]);
		if (agent_cert_make_agent(n, NULL, 1, ca, cak, ac[i], ak[i], err, sizeof(err)) !=
		        0 ||
		    agent_cert_fingerprint(ac[i], fp[i]) != 0) {
			cli_err("demo: %s", err);
			goto out;
		}
	}
	cf.len = 0;
	dh_buf_addf(
	    &cf,
	    "[agent]\nname = resolver.demo\nlisten = 127.0.0.1\nport = 0\ncert = %s\nkey = %s\n"
	    "ca = %s\nstore = %s\naudit = %s/resolver.audit\nserver = %s\n\n"
	    "[peer auth.demo]\nfingerprint = %s\nrights = relay,clients,confirm\n",
	    ac[1], ak[1], ca, store, d->dir, t.resolver, fp[0]);
	path(d, conf, sizeof(conf), "resolver.conf");
	dh_buf_addc(&cf, 0);
	if (cf.err || write_conf(conf, cf.data) != 0)
		goto out;
	unsigned rport = start_agent(d, "resolver", conf);
	if (!rport)
		goto out;
	cf.len = 0;
	dh_buf_addf(
	    &cf,
	    "[agent]\nname = auth.demo\nlisten = 127.0.0.1\nport = 0\ncert = %s\nkey = %s\n"
	    "ca = %s\nstore = %s\naudit = %s/auth.audit\nserver = %s\n\n"
	    "[peer victim.demo]\nfingerprint = %s\nrights = ask,clients,confirm\n\n"
	    "[peer resolver.demo]\nfingerprint = %s\nurl = https://localhost:%u\nserver = %s\n"
	    "rights = relay\n",
	    ac[0], ak[0], ca, astore, d->dir, auth, fp[2], fp[1], rport, t.resolver);
	path(d, conf, sizeof(conf), "auth.conf");
	dh_buf_addc(&cf, 0);
	if (cf.err || write_conf(conf, cf.data) != 0)
		goto out;
	unsigned aport = start_agent(d, "auth", conf);
	if (!aport)
		goto out;

	progress(d, "trace: the victim asks the authoritative server's agent, with the attack's "
	            "capture (dnshound trace)");
	char url[64];
	snprintf(url, sizeof(url), "https://localhost:%u", aport);
	out.len = 0;
	/* The window counts back from the attack's start (bots resolve the
	 * name just before); the capture gives the sources to confirm. */
	const char *a8[] = {"trace",
	                    "--agent",
	                    url,
	                    "--fqdn",
	                    t.victim,
	                    "--time",
	                    t.attack_start,
	                    "--victim-ip",
	                    t.victim_addr,
	                    "--from-capture",
	                    pcap,
	                    "--json",
	                    "--cert",
	                    ac[2],
	                    "--key",
	                    ak[2],
	                    "--ca",
	                    ca,
	                    NULL};
	if (must(d, "trace", &out, a8))
		goto out;
	/* And a bot that attacks with its own address. */
	struct dh_buf own;
	dh_buf_init(&own);
	const char *a8b[] = {"trace",
	                     "--agent",
	                     url,
	                     "--fqdn",
	                     t.victim,
	                     "--time",
	                     t.attack_start,
	                     "--source",
	                     t.bot ? t.bot : t.resolver,
	                     "--json",
	                     "--cert",
	                     ac[2],
	                     "--key",
	                     ak[2],
	                     "--ca",
	                     ca,
	                     NULL};
	int own_rc = must(d, "trace", &own, a8b);
	dh_buf_addc(&own, 0);
	struct json_object *oans = own_rc == 0 ? json_tokener_parse(own.data) : NULL;
	dh_buf_release(&own);
	dh_buf_addc(&out, 0);
	struct json_object *ans = json_tokener_parse(out.data);
	stop_agents(d);

	progress(d, "real servers: an attack traced through BIND, Unbound and a dnsmasq forwarder "
	            "(testbed-trace.sh, started with the world)");
	real_finish(&real, 0);

	progress(d, "report: one self-contained HTML file (dnshound report)");
	const char *a9[] = {"report",
	                    "--store",
	                    store,
	                    "--out",
	                    report,
	                    "--title",
	                    "dnshound demo: a campus network with bots",
	                    NULL};
	if (must(d, "report", NULL, a9)) {
		json_object_put(ans);
		json_object_put(oans);
		goto out;
	}

	/* The summary. */
	printf("\ndnshound demo - %u clients, one day, %zu infected hosts in the ground truth\n\n",
	       clients, t.n);
	printf("infected hosts found (%zu findings):\n", f.lines);
	size_t hit = 0;
	for (size_t i = 0; i < t.n; i++) {
		const char *kinds = NULL;
		for (size_t k = 0; k < f.n; k++)
			if (strcmp(f.host[k], t.host[i]) == 0)
				kinds = f.kinds[k];
		hit += kinds != NULL;
		printf("  %-15s %-16s %s\n", t.host[i], t.kind[i], kinds ? kinds : "(not found)");
	}
	size_t fp_hosts = 0;
	for (size_t k = 0; k < f.n; k++)
		if (!truth_kind(&t, f.host[k])) {
			fp_hosts++;
			printf("  %-15s %-16s %s\n", f.host[k], "(benign)", f.kinds[k]);
		}
	printf("  %zu of %zu infected hosts found, %zu benign host(s) flagged\n\n", hit, t.n,
	       fp_hosts);
	struct json_object *cand, *cc;
	printf("traceback of the attack on %s (%s to %s):\n", t.victim, t.attack_start,
	       t.attack_end);
	if (ans && json_object_object_get_ex(ans, "candidates", &cand)) {
		for (size_t i = 0; i < json_object_array_length(cand) && i < 10; i++) {
			struct json_object *c = json_object_array_get_idx(cand, i), *sc;
			const char *h = jstr(c, "host");
			const char *k = truth_kind(&t, h);
			json_object_object_get_ex(c, "score", &sc);
			printf("  %2zu. %-15s score %.3f  %s\n", i + 1, h,
			       json_object_get_double(sc), k ? k : "benign");
		}
	}
	print_sources(ans, "attack source");
	print_sources(oans, "a bot's own address");
	json_object_put(oans);
	if (ans && json_object_object_get_ex(ans, "cc_candidates", &cc) &&
	    json_object_array_length(cc))
		printf("  first C&C candidate: %s\n",
		       jstr(json_object_array_get_idx(cc, 0), "name"));
	json_object_put(ans);
	printf("\n");
	real_summary(&real);
	printf("report: %s\n", report);
	printf("\nexplore further:\n"
	       "  dnshound scenario --out world        # the same world, to keep\n"
	       "  dnshound ingest --store s world/traffic.pcap\n"
	       "  dnshound detect --store s            # findings, with their evidence\n"
	       "  dnshound top --store s               # top talkers\n"
	       "  dnshound nshist check --store s world/traffic.pcap\n"
	       "  dnshound report --store s --out r.html\n"
	       "  man dnshound; doc/agent.md for running traceback agents\n");
	if (fflush(stdout) == 0 && !real.failed)
		rc = CLI_EXIT_OK;
out:
	stop_agents(d);
	real_finish(&real, 1);
	real_release(&real);
	dh_buf_release(&out);
	dh_buf_release(&cf);
	json_object_put(t.root);
	return rc;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"keep", no_argument, NULL, 'k'},
	    {"clients", required_argument, NULL, 'c'},
	    {"seed", required_argument, NULL, 's'},
	    {"no-servers", no_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *report = "dnshound-demo.html";
	int keep = 0, c;
	uint64_t clients = 300, seed = 7;
	struct demo d;
	memset(&d, 0, sizeof(d));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			report = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'c':
			if (cli_parse_count("--clients", optarg, 200000, &clients) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 's':
			if (cli_parse_count("--seed", optarg, 1u << 30, &seed) != 0)
				return CLI_EXIT_USAGE;
			break;
		case 'n':
			d.no_servers = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		default:
			fputs(usage, stderr);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return CLI_EXIT_USAGE;
	}
	ssize_t n = readlink("/proc/self/exe", d.self, sizeof(d.self) - 1);
	if (n <= 0) {
		cli_err("demo: cannot find its own program (/proc/self/exe)");
		return CLI_EXIT_RUNTIME;
	}
	d.self[n] = 0;
	const char *tmp = getenv("TMPDIR");
	snprintf(d.dir, sizeof(d.dir), "%s/dnshound-demo-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(d.dir)) {
		cli_err("demo: cannot make a working directory: %s", strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	d.t0 = now_s();
	signal(SIGPIPE, SIG_IGN);
	int rc = demo_run(&d, report, (unsigned)clients, (unsigned)seed);
	fprintf(stderr, "[%u/%u %5.1fs] %s\n", STAGES, STAGES, now_s() - d.t0,
	        keep ? "done; kept the working directory" : "done; removing what the demo made");
	if (keep || rc != CLI_EXIT_OK)
		fprintf(stderr, "working directory: %s\n", d.dir);
	else
		rmtree(d.dir);
	return rc;
}
