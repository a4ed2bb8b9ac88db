/*
 * logs_escalate.c - `mxdoc logs --escalate DOMAIN`: the text of a support
 * case for the postmasters of a provider (logs.h).
 *
 * Markdown that pastes as it is into a Microsoft or Google support form or
 * a ticket: the scope in numbers, the UTC times of the first and last
 * failure, the receivers' replies verbatim with their counts, sample
 * Message-IDs and queue ids (what a provider looks up first), mxdoc's
 * diagnosis, what the log shows was already ruled out and what to ask.
 * Nothing in it depends on the clock or the machine, so a golden test
 * pins it. Replies are fenced: a provider's text may hold Markdown.
 */
#include "logs/logs.h"

#include <stdlib.h>
#include <string.h>

#include "classify/finding.h"
#include "core/buf.h"
#include "core/mtime.h"

#define ESC_REPLIES	10	/* replies shown per cause */
#define ESC_DESTS	20	/* domains listed */

static void
stamp(int64_t us, char out[32])
{
	if (us == 0) {
		memcpy(out, "-", 2);
		return;
	}
	mtime_rfc3339(us, out);
	memcpy(out + 19, "Z", 2);
}

/* A table cell: no pipe or newline may break the row. */
static void
cell(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		if (*s == '|')
			buf_puts(b, "\\|");
		else if (*s == '\n' || *s == '\r')
			buf_putc(b, ' ');
		else
			buf_putc(b, *s);
}

/* A fence longer than any run of backquotes in the text. */
static void
fenced(struct buf *b, const char *text)
{
	size_t run = 0, most = 0, i;

	for (i = 0; text[i] != '\0'; i++) {
		run = text[i] == '`' ? run + 1 : 0;
		if (run > most)
			most = run;
	}
	for (i = 0; i < (most < 3 ? 3 : most + 1); i++)
		buf_putc(b, '`');
	buf_printf(b, "\n%s\n", text);
	for (i = 0; i < (most < 3 ? 3 : most + 1); i++)
		buf_putc(b, '`');
	buf_putc(b, '\n');
}

static bool
any_host(const struct logs_result *r, const char *scope, const char *dom)
{
	size_t i, k;

	if (logs_in_scope(dom, scope, strlen(scope)))
		return true;
	for (i = 0; i < r->ndests; i++) {
		if (logs_in_scope(dom, r->dests[i]->domain,
		    strlen(r->dests[i]->domain)))
			return true;
		for (k = 0; k < r->dests[i]->nrelays; k++)
			if (logs_in_scope(dom, r->dests[i]->relays[k].host,
			    strlen(r->dests[i]->relays[k].host)))
				return true;
	}
	return false;
}

/* What to ask, by the category the main cause belongs to. */
static const char *
ask(const struct cause *cause)
{
	if (strcmp(cause->id, "smtp.unauthenticated") == 0)
		return "Which of SPF, DKIM or DMARC fails on the sample "
		    "messages above, as your servers evaluate them?";
	switch (cause->category) {
	case CAT_REPUTATION:
		return "Which policy or list rejects or defers our messages, "
		    "what triggered it, and can the block on our sending "
		    "addresses be lifted? Please look up the sample "
		    "Message-IDs above.";
	case CAT_SENDER:
		return "Which limit (messages, connections or recipients per "
		    "time) applies to our sending addresses and domain, what "
		    "our current standing is, and whether it can be raised.";
	case CAT_SERVER:
	case CAT_NETWORK:
	case CAT_TLS:
		return "Is there a known incident on your inbound hosts listed "
		    "above, or do they refuse, drop or slow down connections "
		    "from our sending addresses on purpose (connection "
		    "limits, TLS policy, a firewall)?";
	case CAT_RECIPIENT:
		return "Do the recipients of the sample messages above exist "
		    "and accept mail, or are they disabled, over quota or "
		    "moved?";
	case CAT_DNS:
		return "Are the MX records of the domains above correct and "
		    "served by all of your name servers?";
	default:
		return "Why are our messages to the domains above not "
		    "accepted, and what must we change?";
	}
}

char *
logs_escalation(const struct logs_result *r, const char *scope,
    const struct finding *v)
{
	struct buf b;
	uint64_t fail = r->st[LOG_ST_DEFERRED] + r->st[LOG_ST_BOUNCED] +
	    r->st[LOG_ST_EXPIRED];
	int64_t first = 0, last = 0;
	const struct cause *top = r->ncauses > 0 ? r->causes[0]->cause : NULL;
	char t1[32], t2[32];
	size_t i, k, nfaildom = 0;
	int j, nsamp = 0;

	buf_init(&b, BUF_UNBOUNDED);
	for (i = 0; i < r->ndests; i++) {
		const struct logs_dest *d = r->dests[i];

		if (logs_dest_failures(d) == 0)
			continue;
		nfaildom++;
		if (first == 0 || (d->first_fail_us != 0 &&
		    d->first_fail_us < first))
			first = d->first_fail_us;
		if (d->last_fail_us > last)
			last = d->last_fail_us;
	}
	stamp(first, t1);
	stamp(last, t2);
	buf_printf(&b, "# Mail delivery failures to %s\n\n", scope);
	if (fail == 0) {
		buf_printf(&b, "No failed delivery to %s was found in %llu "
		    "line%s of log (%llu delivered).\n", scope,
		    (unsigned long long)r->lines, r->lines == 1 ? "" : "s",
		    (unsigned long long)r->st[LOG_ST_SENT]);
		return buf_steal(&b);
	}

	buf_puts(&b, "## Summary\n\n");
	buf_printf(&b, "- **Destination:** `%s` (recipients at it or under "
	    "it, and deliveries to its hosts)\n", scope);
	buf_printf(&b, "- **Diagnosis:** `%s` (%s)\n", top->id, top->title);
	buf_printf(&b, "- **Scope:** %llu failed delivery attempt%s (%llu "
	    "deferred, %llu bounced, %llu expired) for %llu%s recipient%s in "
	    "%llu%s message%s, to %zu domain%s; %llu delivered in the same "
	    "log\n", (unsigned long long)fail, fail == 1 ? "" : "s",
	    (unsigned long long)r->st[LOG_ST_DEFERRED],
	    (unsigned long long)r->st[LOG_ST_BOUNCED],
	    (unsigned long long)r->st[LOG_ST_EXPIRED],
	    (unsigned long long)r->scope_rcpts, r->scope_capped ? "+" : "",
	    r->scope_rcpts == 1 ? "" : "s",
	    (unsigned long long)r->scope_messages, r->scope_capped ? "+" : "",
	    r->scope_messages == 1 ? "" : "s", nfaildom,
	    nfaildom == 1 ? "" : "s", (unsigned long long)r->st[LOG_ST_SENT]);
	buf_printf(&b, "- **First failure:** %s (UTC)\n", t1);
	buf_printf(&b, "- **Last failure:** %s (UTC)\n", t2);
	buf_printf(&b, "- **Summary by mxdoc:** %s\n\n", v->summary);

	buf_puts(&b, "## Affected domains\n\n");
	buf_puts(&b, "| domain | messages | delivered | deferred | bounced | "
	    "expired | first failure (UTC) | last failure (UTC) | receiving "
	    "hosts |\n|---|---:|---:|---:|---:|---:|---|---|---|\n");
	for (i = 0; i < r->ndests && i < ESC_DESTS; i++) {
		const struct logs_dest *d = r->dests[i];

		stamp(d->first_fail_us, t1);
		stamp(d->last_fail_us, t2);
		buf_puts(&b, "| ");
		cell(&b, d->domain);
		buf_printf(&b, " | %llu | %llu | %llu | %llu | %llu | %s | %s | ",
		    (unsigned long long)d->messages,
		    (unsigned long long)d->st[LOG_ST_SENT],
		    (unsigned long long)d->st[LOG_ST_DEFERRED],
		    (unsigned long long)d->st[LOG_ST_BOUNCED],
		    (unsigned long long)d->st[LOG_ST_EXPIRED], t1, t2);
		for (k = 0; k < d->nrelays && k < 3; k++) {
			buf_puts(&b, k ? ", " : "");
			cell(&b, d->relays[k].host[0] ? d->relays[k].host : "?");
			if (d->relays[k].ip[0]) {
				buf_puts(&b, " [");
				cell(&b, d->relays[k].ip);
				buf_puts(&b, "]");
			}
		}
		buf_puts(&b, d->nrelays ? " |\n" : "- |\n");
	}
	if (r->ndests > ESC_DESTS)
		buf_printf(&b, "\n(%zu more domains)\n", r->ndests - ESC_DESTS);

	buf_puts(&b, "\n## Replies and errors, verbatim\n\n");
	for (i = 0; i < r->ncauses; i++) {
		const struct logs_cause_stat *c = r->causes[i];

		for (k = 0; k < c->nreplies && k < ESC_REPLIES; k++) {
			const struct logs_reply *p = &c->replies[k];

			buf_printf(&b, "**%llu time%s** (mxdoc: `%s`)",
			    (unsigned long long)p->count,
			    p->count == 1 ? "" : "s", c->cause->id);
			if (p->nsamples > 0) {
				buf_printf(&b, ", e.g. queue id `%s`", p->qid[0]);
				if (p->msgid[0] != NULL)
					buf_printf(&b, ", Message-ID `%s`",
					    p->msgid[0]);
			}
			buf_puts(&b, ":\n\n");
			fenced(&b, p->text);
			buf_putc(&b, '\n');
		}
		if (c->nreplies > ESC_REPLIES || c->other_replies > 0)
			buf_printf(&b, "(%zu more distinct texts for `%s`)\n\n",
			    c->nreplies > ESC_REPLIES ? c->nreplies -
			    ESC_REPLIES : 0, c->cause->id);
	}

	buf_puts(&b, "## Sample messages\n\n| time (UTC) | queue id | "
	    "Message-ID | status | cause |\n|---|---|---|---|---|\n");
	for (i = 0; i < r->ndests && nsamp < 10; i++)
		for (j = 0; j < r->dests[i]->nsamples && nsamp < 10; j++) {
			const struct logs_sample *s = &r->dests[i]->samples[j];

			if (s->cause == NULL)
				continue;
			stamp(s->time_us, t1);
			buf_printf(&b, "| %s | ", t1);
			cell(&b, s->qid);
			buf_puts(&b, " | ");
			cell(&b, s->msgid != NULL ? s->msgid : "-");
			buf_printf(&b, " | %s | %s |\n", log_status_name(s->status),
			    s->cause->id);
			nsamp++;
		}

	buf_printf(&b, "\n## Diagnosis\n\n**%s** (`%s`, category %s): %s\n",
	    top->title, top->id, cause_category_name(top->category),
	    top->explanation);
	if (r->ncauses > 1) {
		buf_puts(&b, "\nAlso seen:");
		for (i = 1; i < r->ncauses; i++)
			buf_printf(&b, "%s `%s` (%llu)", i > 1 ? "," : "",
			    r->causes[i]->cause->id,
			    (unsigned long long)r->causes[i]->events);
		buf_puts(&b, "\n");
	}

	buf_puts(&b, "\n## Already checked\n\n");
	buf_printf(&b, "- [x] The sending server's own log: %llu line%s",
	    (unsigned long long)r->lines, r->lines == 1 ? "" : "s");
	stamp(r->first_us, t1);
	stamp(r->last_us, t2);
	buf_printf(&b, ", delivery events from %s to %s (UTC).\n", t1, t2);
	buf_printf(&b, "- [x] Every failure was classified from the "
	    "receiver's reply or the sending MTA's error: %zu cause%s, `%s` "
	    "behind %llu of %llu.\n", r->ncauses, r->ncauses == 1 ? "" : "s",
	    top->id, (unsigned long long)r->causes[0]->events,
	    (unsigned long long)fail);
	if (r->st[LOG_ST_SENT] > 0)
		buf_printf(&b, "- [x] Mail does get through at times: %llu "
		    "deliveries in scope succeeded in the same period.\n",
		    (unsigned long long)r->st[LOG_ST_SENT]);
	for (i = 0; i < top->nremedy; i++)
		buf_printf(&b, "- [ ] %s\n", top->remedy[i]);

	buf_puts(&b, "\n## What we ask\n\n");
	buf_printf(&b, "%s\n", ask(top));
	if (any_host(r, scope, "outlook.com") || any_host(r, scope,
	    "hotmail.com") || any_host(r, scope, "live.com") ||
	    any_host(r, scope, "office365.com"))
		buf_puts(&b, "\nMicrosoft: consumer domains (outlook.com, "
		    "hotmail.com, live.com) take cases at "
		    "https://olcsupport.office.com/ and delisting requests at "
		    "https://sender.office.com/; Microsoft 365 tenants through "
		    "the recipient organisation's admin.\n");
	if (any_host(r, scope, "gmail.com") || any_host(r, scope,
	    "google.com") || any_host(r, scope, "googlemail.com"))
		buf_puts(&b, "\nGoogle: check Postmaster Tools "
		    "(https://postmaster.google.com/) first; the sender contact "
		    "form is https://support.google.com/mail/contact/"
		    "gmail_bulk_sender_escalation.\n");
	return buf_steal(&b);
}
