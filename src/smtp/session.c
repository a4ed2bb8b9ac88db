#include "smtp/session.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/buf.h"
#include "core/mem.h"
#include "core/mtime.h"
#include "core/netaddr.h"
#include "smtp/reply.h"

/* Parallel tables indexed by enum smtp_stage. The timeouts follow RFC 5321
 * 4.5.3.2 in spirit but are shorter: this is a diagnosis, and the caller
 * usually sets them all from --timeout. */
static const char *const stage_names[SMTP_S_NUM] = {
	"connect", "greeting", "ehlo", "helo", "starttls", "tls", "ehlo_tls",
	"auth", "mail", "rcpt", "rset", "quit",
};
static const char *const stage_phrases[SMTP_S_NUM] = {
	"connecting", "waiting for the greeting", "waiting for the EHLO reply",
	"waiting for the HELO reply", "waiting for the STARTTLS reply",
	"in the TLS handshake", "waiting for the EHLO reply after TLS",
	"authenticating", "waiting for the MAIL FROM reply",
	"waiting for the RCPT TO reply", "waiting for the RSET reply",
	"waiting for the QUIT reply",
};
static const int stage_timeouts[SMTP_S_NUM] = {
	10000, 30000, 30000, 30000, 30000, 30000, 30000, 30000, 30000, 30000,
	10000, 5000,
};
static const char *const fail_names[] = {
	"none", "refused", "unreachable", "connect_timeout", "timeout", "reset",
	"closed", "protocol", "reply", "no_starttls", "tls", "tls_timeout",
	"no_auth", "local",
};

/* Bytes buffered from the server before a line must have ended. */
#define SMTP_INBUF_MAX	(SMTP_LINE_MAX * 4)
#define SMTP_SHOW_MAX	300

struct smtp_session {
	struct event_base	*base;
	struct smtp_params	 p;
	char			*helo, *server_name, *mail_from, *rcpt;
	char			*auth_user, *auth_pass;
	smtp_done_cb		 cb;
	void			*arg;

	int			 fd;
	struct event		*ev_read, *ev_write, *ev_timer, *ev_done;
	enum smtp_stage		 stage;
	bool			 connecting, handshaking, tls_active;
	bool			 quitting, finished;
	/* OpenSSL may need the other direction to finish an operation: a
	 * write that waits for readable, a read that waits for writable. */
	bool			 write_wanted_by_read, read_wanted_by_write;
	int			 login_step;
	SSL			*ssl;
	struct buf		 in, out;
	struct smtp_reply	 reply;
	struct smtp_result	 r;
};

const char *
smtp_stage_name(enum smtp_stage st)
{
	return st < SMTP_S_NUM ? stage_names[st] : "?";
}

const char *
smtp_stage_phrase(enum smtp_stage st)
{
	return st < SMTP_S_NUM ? stage_phrases[st] : "?";
}

int
smtp_stage_default_timeout_ms(enum smtp_stage st)
{
	return st < SMTP_S_NUM ? stage_timeouts[st] : 30000;
}

const char *
smtp_fail_name(enum smtp_fail f)
{
	return (size_t)f < sizeof(fail_names) / sizeof(fail_names[0]) ?
	    fail_names[f] : "?";
}

const struct smtp_result *
smtp_session_result(const struct smtp_session *s)
{
	return &s->r;
}

/* Transcript lines are printable ASCII: anything else a server sends is
 * shown as \xNN, and long lines are cut, so the report stays readable. */
static void
note(struct smtp_session *s, char dir, const char *text, size_t n)
{
	struct smtp_line *l;
	struct buf b;
	size_t i;

	if (s->r.nlines >= SMTP_TRANSCRIPT_MAX) {
		s->r.transcript_truncated = true;
		return;
	}
	buf_init(&b, SMTP_SHOW_MAX * 4 + 64);
	for (i = 0; i < n && i < SMTP_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c >= 0x20 && c < 0x7f)
			(void)buf_putc(&b, (char)c);
		else
			(void)buf_printf(&b, "\\x%02x", c);
	}
	if (n > SMTP_SHOW_MAX)
		(void)buf_printf(&b, "... (%zu bytes)", n);
	l = &s->r.line[s->r.nlines++];
	l->t_us = mtime_mono_us() - s->r.start_us;
	l->dir = dir;
	l->text = buf_steal(&b);
}

static void
notef(struct smtp_session *s, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	note(s, '*', tmp, strlen(tmp));
}

static void
arm_timer(struct smtp_session *s, enum smtp_stage st)
{
	int ms = s->p.timeout_ms[st] > 0 ? s->p.timeout_ms[st] :
	    stage_timeouts[st];
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	evtimer_add(s->ev_timer, &tv);
}

static void
enter(struct smtp_session *s, enum smtp_stage st)
{
	struct smtp_phase *ph = &s->r.phase[st];

	s->stage = st;
	ph->start_us = mtime_mono_us();
	ph->end_us = 0;
	arm_timer(s, st);
}

static void
phase_end(struct smtp_session *s, enum smtp_phase_status status)
{
	struct smtp_phase *ph = &s->r.phase[s->stage];

	ph->status = status;
	ph->end_us = mtime_mono_us();
}

static void
close_conn(struct smtp_session *s)
{
	if (s->ev_read != NULL)
		event_free(s->ev_read);
	if (s->ev_write != NULL)
		event_free(s->ev_write);
	s->ev_read = s->ev_write = NULL;
	if (s->ssl != NULL) {
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}

static void
finish(struct smtp_session *s)
{
	if (s->finished)
		return;
	s->finished = true;
	evtimer_del(s->ev_timer);
	close_conn(s);
	ERR_clear_error();
	/* Deferred so that the callback never runs inside a caller's frame. */
	event_active(s->ev_done, EV_TIMEOUT, 1);
}

static void send_cmd(struct smtp_session *s, enum smtp_stage st,
    const char *shown, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Ends the session with a failure in the current stage. A failure that
 * leaves the connection usable (a 4xx/5xx reply other than 421) is followed
 * by a polite QUIT, as RFC 5321 4.1.1.10 asks; the failure stays. */
static void
fail(struct smtp_session *s, enum smtp_fail f, int err, const char *fmt, ...)
{
	struct smtp_phase *ph = &s->r.phase[s->stage];
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (s->r.fail == SMTP_F_NONE) {
		s->r.fail = f;
		s->r.fail_stage = s->stage;
		s->r.sys_errno = err;
		phase_end(s, SMTP_PH_FAILED);
		free(ph->error);
		ph->error = xstrdup(tmp);
		notef(s, "%s: %s", stage_names[s->stage], tmp);
	}
	if (f == SMTP_F_REPLY && s->r.code != 421 && s->fd >= 0 &&
	    !s->handshaking && !s->quitting) {
		s->quitting = true;
		send_cmd(s, SMTP_S_QUIT, NULL, "QUIT");
		return;
	}
	finish(s);
}

static int
io_write_some(struct smtp_session *s)
{
	while (s->out.len > 0) {
		ssize_t n;

		if (s->ssl != NULL && s->tls_active) {
			int k, e;

			errno = 0;
			k = SSL_write(s->ssl, s->out.data, (int)s->out.len);
			if (k <= 0) {
				e = SSL_get_error(s->ssl, k);
				if (e == SSL_ERROR_WANT_WRITE) {
					event_add(s->ev_write, NULL);
					return 0;
				}
				if (e == SSL_ERROR_WANT_READ) {
					/* ev_read is always armed. */
					s->write_wanted_by_read = true;
					return 0;
				}
				if (e == SSL_ERROR_SSL) {
					tls_take_error(&s->r.tls);
					return -2;	/* a TLS failure */
				}
				return -1;
			}
			n = k;
		} else {
			n = send(s->fd, s->out.data, s->out.len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR) {
					event_add(s->ev_write, NULL);
					return 0;
				}
				return -1;
			}
		}
		buf_consume(&s->out, (size_t)n);
	}
	return 0;
}

/* Reads what OpenSSL can still get after a failed write: true when it is
 * a TLS alert (its reason then in the TLS facts). */
static bool
alert_pending(struct smtp_session *s)
{
	char tmp[256];
	int k;

	ERR_clear_error();
	k = SSL_read(s->ssl, tmp, sizeof(tmp));
	if (k > 0 || SSL_get_error(s->ssl, k) != SSL_ERROR_SSL)
		return false;
	tls_take_error(&s->r.tls);
	return s->r.tls.error[0] != '\0' || s->r.tls.alert_received[0] != '\0';
}

static void
send_cmd(struct smtp_session *s, enum smtp_stage st, const char *shown,
    const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		abort();	/* our own commands are short by construction */
	note(s, '>', shown != NULL ? shown : line, strlen(shown ? shown : line));
	line[n++] = '\r';
	line[n++] = '\n';
	(void)buf_append(&s->out, line, (size_t)n);
	smtp_reply_release(&s->reply);
	smtp_reply_init(&s->reply);
	enter(s, st);
	switch (io_write_some(s)) {
	case -2:
		fail(s, SMTP_F_TLS, 0, "TLS failed while sending %s: %s",
		    stage_names[st], s->r.tls.error[0] ? s->r.tls.error :
		    "unknown error");
		break;
	case -1: {
		int e = errno;

		/* Over TLS, a peer that refused the handshake after the fact
		 * (TLS 1.3: a certificate_required alert once the client has
		 * finished) closes right away, and our next command meets the
		 * reset: the alert may still wait to be read, and it names the
		 * real failure. */
		if (s->tls_active && alert_pending(s)) {
			fail(s, SMTP_F_TLS, 0, "TLS failed after the handshake "
			    "while %s: %s", stage_phrases[st], s->r.tls.error);
			break;
		}
		fail(s, e == ECONNRESET || e == EPIPE ? SMTP_F_RESET :
		    SMTP_F_CLOSED, e, "cannot send %s: %s", stage_names[st],
		    e ? strerror(e) : "connection lost");
		break;
	}
	default:
		break;
	}
}

static void
record_reply(struct smtp_session *s)
{
	struct smtp_phase *ph = &s->r.phase[s->stage];

	ph->code = s->reply.code;
	memcpy(ph->esc, s->reply.esc, sizeof(ph->esc));
	free(ph->text);
	ph->text = xstrndup(buf_cstr(&s->reply.text), s->reply.text.len);
	/* After a failure only QUIT's reply comes; the failing one stays. */
	if (s->r.fail != SMTP_F_NONE)
		return;
	s->r.code = s->reply.code;
	memcpy(s->r.esc, s->reply.esc, sizeof(s->r.esc));
	free(s->r.text);
	s->r.text = xstrdup(ph->text);
}

static void
reply_fail(struct smtp_session *s)
{
	/* The text starts with the enhanced code when there is one. */
	fail(s, SMTP_F_REPLY, 0, "%d %s", s->reply.code,
	    buf_cstr(&s->reply.text));
}

static void start_tls(struct smtp_session *s);

static const struct smtp_ehlo *
current_ehlo(struct smtp_session *s)
{
	if (s->r.have_ehlo_tls)
		return &s->r.ehlo_tls;
	return s->r.have_ehlo ? &s->r.ehlo : NULL;
}

static void
b64(const char *in, size_t n, char *out, size_t outlen)
{
	if (((n + 2) / 3) * 4 + 1 > outlen)
		abort();
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)n);
}

static void
start_auth(struct smtp_session *s)
{
	const struct smtp_ehlo *e = current_ehlo(s);
	char raw[600], enc[820];
	size_t ul, pl;

	enter(s, SMTP_S_AUTH);
	if (!s->tls_active) {
		fail(s, SMTP_F_NO_AUTH, 0,
		    "refusing to send credentials over a connection without TLS");
		return;
	}
	if (e == NULL || !(e->auth & (SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN))) {
		fail(s, SMTP_F_NO_AUTH, 0, "the server offers %s",
		    e != NULL && e->auth ? "no AUTH PLAIN or LOGIN" : "no AUTH");
		return;
	}
	ul = strlen(s->auth_user);
	pl = strlen(s->auth_pass);
	if (ul > 255 || pl > 255) {
		fail(s, SMTP_F_LOCAL, 0, "user name or password too long");
		return;
	}
	if (e->auth & SMTP_AUTH_PLAIN) {
		/* RFC 4616: authzid NUL authcid NUL passwd. */
		raw[0] = '\0';
		memcpy(raw + 1, s->auth_user, ul);
		raw[1 + ul] = '\0';
		memcpy(raw + 2 + ul, s->auth_pass, pl);
		b64(raw, ul + pl + 2, enc, sizeof(enc));
		OPENSSL_cleanse(raw, sizeof(raw));
		/* The initial response carries everything: a 334 now is a
		 * failure, not the LOGIN dialogue. */
		s->login_step = 2;
		send_cmd(s, SMTP_S_AUTH, "AUTH PLAIN <credentials hidden>",
		    "AUTH PLAIN %s", enc);
		OPENSSL_cleanse(enc, sizeof(enc));
		return;
	}
	s->login_step = 0;
	send_cmd(s, SMTP_S_AUTH, NULL, "AUTH LOGIN");
}

static void
next_after_ehlo(struct smtp_session *s)
{
	if (s->auth_user != NULL) {
		start_auth(s);
		return;
	}
	if (s->rcpt != NULL) {
		send_cmd(s, SMTP_S_MAIL, NULL, "MAIL FROM:<%s>", s->mail_from);
		return;
	}
	s->quitting = true;
	send_cmd(s, SMTP_S_QUIT, NULL, "QUIT");
}

static void
after_plain_ehlo(struct smtp_session *s)
{
	const struct smtp_ehlo *e = current_ehlo(s);

	s->r.tls_offered = e != NULL && (e->caps & SMTP_CAP_STARTTLS);
	switch (s->p.tls_mode) {
	case SMTP_TLS_OPPORTUNISTIC:
	case SMTP_TLS_REQUIRED:
		if (s->r.tls_offered) {
			send_cmd(s, SMTP_S_STARTTLS, NULL, "STARTTLS");
			return;
		}
		if (s->p.tls_mode == SMTP_TLS_REQUIRED) {
			enter(s, SMTP_S_STARTTLS);
			fail(s, SMTP_F_NO_STARTTLS, 0,
			    "the server does not offer STARTTLS");
			return;
		}
		notef(s, "STARTTLS not offered: continuing without TLS");
		break;
	default:
		break;
	}
	next_after_ehlo(s);
}

static void
handle_reply(struct smtp_session *s)
{
	int code = s->reply.code;
	const char *text = buf_cstr(&s->reply.text);

	record_reply(s);
	switch (s->stage) {
	case SMTP_S_GREETING:
		if (code / 100 != 2) {
			reply_fail(s);
			return;
		}
		phase_end(s, SMTP_PH_OK);
		send_cmd(s, SMTP_S_EHLO, NULL, "EHLO %s", s->helo);
		return;
	case SMTP_S_EHLO:
		if (code == 250) {
			phase_end(s, SMTP_PH_OK);
			smtp_ehlo_parse(&s->r.ehlo, text, s->reply.text.len);
			s->r.have_ehlo = true;
			after_plain_ehlo(s);
			return;
		}
		if (code / 100 == 5) {
			/* RFC 5321 3.2: fall back to HELO. Some
			 * SMTP-inspecting firewalls reject EHLO (field
			 * guide B1), which the report shows. */
			phase_end(s, SMTP_PH_FAILED);
			send_cmd(s, SMTP_S_HELO, NULL, "HELO %s", s->helo);
			return;
		}
		reply_fail(s);
		return;
	case SMTP_S_HELO:
		if (code / 100 != 2) {
			reply_fail(s);
			return;
		}
		phase_end(s, SMTP_PH_OK);
		after_plain_ehlo(s);
		return;
	case SMTP_S_STARTTLS:
		if (code == 220) {
			phase_end(s, SMTP_PH_OK);
			if (s->in.len > 0) {
				/* Bytes pipelined after the 220 would be read
				 * as if they came over TLS (CVE-2011-0411). */
				fail(s, SMTP_F_PROTOCOL, 0,
				    "the server sent data after its STARTTLS reply");
				return;
			}
			start_tls(s);
			return;
		}
		if (s->p.tls_mode == SMTP_TLS_REQUIRED || code == 421) {
			reply_fail(s);
			return;
		}
		/* Opportunistic TLS: an MTA would go on in plaintext. */
		phase_end(s, SMTP_PH_FAILED);
		s->r.phase[SMTP_S_STARTTLS].error = xasprintf(
		    "STARTTLS refused: %d %s", code, text);
		notef(s, "STARTTLS refused: continuing without TLS");
		next_after_ehlo(s);
		return;
	case SMTP_S_EHLO_TLS:
		if (code != 250) {
			reply_fail(s);
			return;
		}
		phase_end(s, SMTP_PH_OK);
		smtp_ehlo_parse(&s->r.ehlo_tls, text, s->reply.text.len);
		s->r.have_ehlo_tls = true;
		next_after_ehlo(s);
		return;
	case SMTP_S_AUTH:
		if (code == 334 && s->login_step < 2) {
			char enc[520];
			const char *v = s->login_step == 0 ? s->auth_user :
			    s->auth_pass;

			b64(v, strlen(v), enc, sizeof(enc));
			s->login_step++;
			send_cmd(s, SMTP_S_AUTH, s->login_step == 1 ?
			    "<user name hidden>" : "<password hidden>", "%s", enc);
			OPENSSL_cleanse(enc, sizeof(enc));
			return;
		}
		if (code / 100 != 2) {
			reply_fail(s);
			return;
		}
		phase_end(s, SMTP_PH_OK);
		if (s->rcpt != NULL) {
			send_cmd(s, SMTP_S_MAIL, NULL, "MAIL FROM:<%s>",
			    s->mail_from);
			return;
		}
		s->quitting = true;
		send_cmd(s, SMTP_S_QUIT, NULL, "QUIT");
		return;
	case SMTP_S_MAIL:
		if (code / 100 != 2) {
			reply_fail(s);
			return;
		}
		phase_end(s, SMTP_PH_OK);
		send_cmd(s, SMTP_S_RCPT, NULL, "RCPT TO:<%s>", s->rcpt);
		return;
	case SMTP_S_RCPT:
		if (code / 100 != 2) {
			reply_fail(s);
			return;
		}
		phase_end(s, SMTP_PH_OK);
		send_cmd(s, SMTP_S_RSET, NULL, "RSET");
		return;
	case SMTP_S_RSET:
		/* A refused RSET changes nothing for the diagnosis. */
		phase_end(s, code / 100 == 2 ? SMTP_PH_OK : SMTP_PH_FAILED);
		s->quitting = true;
		send_cmd(s, SMTP_S_QUIT, NULL, "QUIT");
		return;
	case SMTP_S_QUIT:
		if (s->r.fail == SMTP_F_NONE)
			phase_end(s, SMTP_PH_OK);
		finish(s);
		return;
	default:
		fail(s, SMTP_F_PROTOCOL, 0, "unexpected reply while %s",
		    stage_phrases[s->stage]);
		return;
	}
}

/* Splits buffered input into lines and feeds the reply parser. */
static void
process_input(struct smtp_session *s)
{
	while (!s->finished && !s->handshaking && s->in.len > 0) {
		char *nl = memchr(s->in.data, '\n', s->in.len);
		size_t n;
		enum smtp_reply_state st;

		if (nl == NULL) {
			if (s->in.len > SMTP_LINE_MAX) {
				note(s, '<', s->in.data, s->in.len);
				fail(s, SMTP_F_PROTOCOL, 0,
				    "reply line longer than %d bytes",
				    SMTP_LINE_MAX);
			}
			return;
		}
		n = (size_t)(nl - s->in.data);
		if (n > 0 && s->in.data[n - 1] == '\r')
			n--;
		note(s, '<', s->in.data, n);
		if (n > SMTP_LINE_MAX) {
			fail(s, SMTP_F_PROTOCOL, 0,
			    "reply line longer than %d bytes", SMTP_LINE_MAX);
			return;
		}
		st = smtp_reply_feed(&s->reply, s->in.data, n);
		buf_consume(&s->in, (size_t)(nl - s->in.data) + 1);
		if (st == SMTP_REPLY_BAD) {
			fail(s, SMTP_F_PROTOCOL, 0, "%s", s->reply.err ?
			    s->reply.err : "malformed reply");
			return;
		}
		if (st == SMTP_REPLY_DONE) {
			if (s->stage == SMTP_S_CONNECT || s->stage == SMTP_S_TLS) {
				fail(s, SMTP_F_PROTOCOL, 0,
				    "reply received while %s",
				    stage_phrases[s->stage]);
				return;
			}
			handle_reply(s);
		}
	}
}

static void
read_failed(struct smtp_session *s, int e, bool eof)
{
	if (s->quitting && s->r.fail == SMTP_F_NONE) {
		/* Closing after QUIT without 221 is common and harmless. */
		phase_end(s, SMTP_PH_OK);
		finish(s);
		return;
	}
	if (s->quitting) {
		finish(s);
		return;
	}
	if (eof)
		fail(s, SMTP_F_CLOSED, 0,
		    "the server closed the connection while %s",
		    stage_phrases[s->stage]);
	else if (e == ECONNRESET || e == EPIPE)
		fail(s, SMTP_F_RESET, e, "connection reset while %s",
		    stage_phrases[s->stage]);
	else
		fail(s, SMTP_F_CLOSED, e, "read error while %s: %s",
		    stage_phrases[s->stage], strerror(e));
}

static void handshake(struct smtp_session *s);

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;
	char tmp[4096];

	(void)fd;
	(void)what;
	if (s->handshaking) {
		handshake(s);
		return;
	}
	if (s->write_wanted_by_read) {
		int w;

		s->write_wanted_by_read = false;
		w = io_write_some(s);
		if (w == -2) {
			fail(s, SMTP_F_TLS, 0, "TLS failed while sending: %s",
			    s->r.tls.error);
			return;
		}
		if (w < 0) {
			read_failed(s, errno, false);
			return;
		}
	}
	for (;;) {
		ssize_t n;

		if (s->tls_active) {
			int k = SSL_read(s->ssl, tmp, sizeof(tmp));

			if (k <= 0) {
				int e = SSL_get_error(s->ssl, k);

				if (e == SSL_ERROR_WANT_READ)
					break;
				if (e == SSL_ERROR_WANT_WRITE) {
					s->read_wanted_by_write = true;
					event_add(s->ev_write, NULL);
					break;
				}
				if (e == SSL_ERROR_ZERO_RETURN ||
				    (e == SSL_ERROR_SYSCALL && errno == 0)) {
					read_failed(s, 0, true);
					return;
				}
				if (e == SSL_ERROR_SSL && !s->quitting) {
					/* An alert after the handshake, e.g. a
					 * TLS 1.3 server that wants a client
					 * certificate: a TLS failure, not a
					 * reset. */
					tls_take_error(&s->r.tls);
					fail(s, SMTP_F_TLS, 0, "TLS failed after "
					    "the handshake while %s: %s",
					    stage_phrases[s->stage],
					    s->r.tls.error[0] ? s->r.tls.error :
					    "unknown error");
					return;
				}
				tls_take_error(&s->r.tls);
				read_failed(s, e == SSL_ERROR_SYSCALL ? errno :
				    ECONNRESET, false);
				return;
			}
			n = k;
		} else {
			n = recv(s->fd, tmp, sizeof(tmp), 0);
			if (n < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				read_failed(s, errno, false);
				return;
			}
			if (n == 0) {
				process_input(s);
				if (!s->finished)
					read_failed(s, 0, true);
				return;
			}
		}
		if (buf_append(&s->in, tmp, (size_t)n) < 0) {
			note(s, '<', s->in.data, s->in.len);
			fail(s, SMTP_F_PROTOCOL, 0,
			    "reply line longer than %d bytes", SMTP_LINE_MAX);
			return;
		}
		process_input(s);
		if (s->finished || s->handshaking)
			return;
	}
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)fd;
	(void)what;
	if (s->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		s->connecting = false;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err != 0) {
			/* An errno not named below (EPERM from a local
			 * firewall, EACCES...) is this side's problem. */
			enum smtp_fail f = SMTP_F_LOCAL;

			if (err == ECONNREFUSED)
				f = SMTP_F_REFUSED;
			else if (err == ENETUNREACH || err == EHOSTUNREACH ||
			    err == EADDRNOTAVAIL || err == ENETDOWN ||
			    err == EHOSTDOWN)
				f = SMTP_F_UNREACHABLE;
			else if (err == ETIMEDOUT)
				f = SMTP_F_CONNECT_TIMEOUT;
			else if (err == ECONNRESET)
				f = SMTP_F_RESET;
			fail(s, f, err, "%s", strerror(err));
			return;
		}
		phase_end(s, SMTP_PH_OK);
		{
			struct sockaddr_storage me;
			socklen_t ml = sizeof(me);
			char a[64];

			/* The sending address the receiver sees (with
			 * --source, the proof that it was used). */
			if (getsockname(s->fd, (struct sockaddr *)&me, &ml) == 0) {
				netaddr_format((struct sockaddr *)&me, a);
				notef(s, "connected from %s port %d", a,
				    netaddr_port((struct sockaddr *)&me));
			} else
				notef(s, "connected");
		}
		event_add(s->ev_read, NULL);
		if (s->p.tls_mode == SMTP_TLS_IMPLICIT)
			start_tls(s);
		else
			enter(s, SMTP_S_GREETING);
		return;
	}
	if (s->handshaking) {
		handshake(s);
		return;
	}
	if (s->read_wanted_by_write) {
		s->read_wanted_by_write = false;
		on_read(s->fd, EV_READ, s);
		if (s->finished)
			return;
	}
	switch (io_write_some(s)) {
	case -2:
		fail(s, SMTP_F_TLS, 0, "TLS failed while sending: %s",
		    s->r.tls.error);
		break;
	case -1:
		read_failed(s, errno, false);
		break;
	default:
		break;
	}
}

static void
handshake(struct smtp_session *s)
{
	struct tls_facts *f = &s->r.tls;
	int k, e;

	ERR_clear_error();
	k = SSL_connect(s->ssl);
	if (k == 1) {
		s->handshaking = false;
		s->tls_active = true;
		tls_collect(s->ssl, s->server_name, f);
		phase_end(s, SMTP_PH_OK);
		notef(s, "TLS established: %s, %s", f->version, f->cipher);
		if (s->p.tls_mode == SMTP_TLS_IMPLICIT) {
			enter(s, SMTP_S_GREETING);
			/* The greeting may already sit in OpenSSL's buffer. */
			on_read(s->fd, EV_READ, s);
		} else
			send_cmd(s, SMTP_S_EHLO_TLS, NULL, "EHLO %s", s->helo);
		return;
	}
	e = SSL_get_error(s->ssl, k);
	if (e == SSL_ERROR_WANT_READ)
		return;
	if (e == SSL_ERROR_WANT_WRITE) {
		event_add(s->ev_write, NULL);
		return;
	}
	tls_take_error(f);
	s->handshaking = false;
	if (e == SSL_ERROR_SYSCALL && (errno == ECONNRESET || errno == EPIPE)) {
		fail(s, SMTP_F_TLS, errno,
		    "connection reset during the TLS handshake");
		return;
	}
	if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ||
	    strstr(f->error, "unexpected eof") != NULL) {
		fail(s, SMTP_F_TLS, 0,
		    "the server closed the connection during the TLS handshake");
		return;
	}
	fail(s, SMTP_F_TLS, 0, "TLS handshake failed: %s%s%s%s%s",
	    f->error[0] ? f->error : "unknown error",
	    f->alert_received[0] ? "; alert received: " : "", f->alert_received,
	    f->alert_sent[0] ? "; alert sent: " : "", f->alert_sent);
}

static void
start_tls(struct smtp_session *s)
{
	enter(s, SMTP_S_TLS);
	s->ssl = tls_ssl_new(s->p.tls, s->server_name, &s->r.tls);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1) {
		fail(s, SMTP_F_LOCAL, 0, "cannot create the TLS connection");
		return;
	}
	SSL_set_connect_state(s->ssl);
	s->handshaking = true;
	handshake(s);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;
	int ms = s->p.timeout_ms[s->stage] > 0 ? s->p.timeout_ms[s->stage] :
	    stage_timeouts[s->stage];

	(void)fd;
	(void)what;
	if (s->quitting) {
		if (s->r.fail == SMTP_F_NONE)
			phase_end(s, SMTP_PH_OK);
		notef(s, "no reply to QUIT within %d ms", ms);
		finish(s);
		return;
	}
	switch (s->stage) {
	case SMTP_S_CONNECT:
		s->connecting = false;
		fail(s, SMTP_F_CONNECT_TIMEOUT, ETIMEDOUT,
		    "no answer to the connection attempt within %d ms", ms);
		return;
	case SMTP_S_TLS:
		s->handshaking = false;
		fail(s, SMTP_F_TLS_TIMEOUT, ETIMEDOUT,
		    "TLS handshake not finished within %d ms", ms);
		return;
	default:
		fail(s, SMTP_F_TIMEOUT, ETIMEDOUT, "no %s within %d ms%s",
		    s->reply.nlines > 0 ? "complete reply" : "reply", ms,
		    s->in.len > 0 ? " (a partial line arrived)" : "");
		return;
	}
}

static void
on_done(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)fd;
	(void)what;
	s->cb(s->arg, s);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

struct smtp_session *
smtp_session_start(struct event_base *base, const struct smtp_params *p,
    smtp_done_cb cb, void *arg)
{
	struct smtp_session *s;
	int one = 1, fam = p->addr.ss_family;

	if ((fam != AF_INET && fam != AF_INET6) ||
	    (p->tls_mode != SMTP_TLS_NONE && p->tls == NULL))
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->base = base;
	s->p = *p;
	s->helo = xstrdup(p->helo != NULL ? p->helo : "localhost");
	s->server_name = dup_or_null(p->server_name);
	s->mail_from = xstrdup(p->mail_from != NULL ? p->mail_from : "");
	s->rcpt = dup_or_null(p->rcpt);
	s->auth_user = dup_or_null(p->auth_user);
	s->auth_pass = dup_or_null(p->auth_user ? p->auth_pass : NULL);
	if (s->auth_user != NULL && s->auth_pass == NULL)
		s->auth_pass = xstrdup("");
	s->p.helo = s->p.server_name = s->p.mail_from = s->p.rcpt = NULL;
	s->p.auth_user = s->p.auth_pass = NULL;
	s->cb = cb;
	s->arg = arg;
	s->fd = -1;
	buf_init(&s->in, SMTP_INBUF_MAX);
	buf_init(&s->out, 8192);
	smtp_reply_init(&s->reply);
	s->r.start_us = mtime_mono_us();
	s->ev_timer = evtimer_new(base, on_timer, s);
	s->ev_done = evtimer_new(base, on_done, s);
	enter(s, SMTP_S_CONNECT);

	s->fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		fail(s, SMTP_F_LOCAL, errno, "socket: %s", strerror(errno));
		return s;
	}
	(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (p->source.ss_family != 0 && bind(s->fd,
	    (const struct sockaddr *)&p->source, p->sourcelen) < 0) {
		fail(s, SMTP_F_LOCAL, errno, "cannot bind the source address: %s",
		    strerror(errno));
		return s;
	}
	s->ev_read = event_new(base, s->fd, EV_READ | EV_PERSIST, on_read, s);
	s->ev_write = event_new(base, s->fd, EV_WRITE, on_write, s);
	s->connecting = true;
	if (connect(s->fd, (const struct sockaddr *)&p->addr, p->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		int e = errno;

		s->connecting = false;
		fail(s, e == ECONNREFUSED ? SMTP_F_REFUSED :
		    (e == ENETUNREACH || e == EHOSTUNREACH || e == EADDRNOTAVAIL ||
		    e == ENETDOWN) ? SMTP_F_UNREACHABLE : SMTP_F_LOCAL, e, "%s",
		    strerror(e));
		return s;
	}
	/* Completion (or an immediate loopback connect) is seen as writable. */
	event_add(s->ev_write, NULL);
	return s;
}

void
smtp_session_abort(struct smtp_session *s, const char *reason)
{
	/* No callback follows, even when the session had finished and its
	 * deferred callback was waiting for the loop. */
	event_del(s->ev_done);
	if (s->finished)
		return;
	if (s->r.fail == SMTP_F_NONE && !s->quitting) {
		s->r.fail = s->stage == SMTP_S_CONNECT ? SMTP_F_CONNECT_TIMEOUT :
		    s->stage == SMTP_S_TLS ? SMTP_F_TLS_TIMEOUT : SMTP_F_TIMEOUT;
		s->r.fail_stage = s->stage;
		s->r.sys_errno = ETIMEDOUT;
		phase_end(s, SMTP_PH_FAILED);
		free(s->r.phase[s->stage].error);
		s->r.phase[s->stage].error = xstrdup(reason);
		notef(s, "%s: %s", stage_names[s->stage], reason);
	}
	s->finished = true;
	evtimer_del(s->ev_timer);
	close_conn(s);
}

struct smtp_session *
smtp_session_free(struct smtp_session *s)
{
	int i;

	if (s == NULL)
		return NULL;
	close_conn(s);
	if (s->ev_timer != NULL)
		event_free(s->ev_timer);
	if (s->ev_done != NULL)
		event_free(s->ev_done);
	buf_release(&s->in);
	buf_release(&s->out);
	smtp_reply_release(&s->reply);
	for (i = 0; i < SMTP_S_NUM; i++) {
		free(s->r.phase[i].text);
		free(s->r.phase[i].error);
	}
	free(s->r.text);
	for (i = 0; i < s->r.nlines; i++)
		free(s->r.line[i].text);
	smtp_ehlo_release(&s->r.ehlo);
	smtp_ehlo_release(&s->r.ehlo_tls);
	free(s->helo);
	free(s->server_name);
	free(s->mail_from);
	free(s->rcpt);
	if (s->auth_pass != NULL)
		OPENSSL_cleanse(s->auth_pass, strlen(s->auth_pass));
	free(s->auth_user);
	free(s->auth_pass);
	free(s);
	return NULL;
}
