/*
 * session.h - the SMTP client session: an explicit state machine on the
 * libevent loop, with a timed transcript.
 *
 * One session walks one address: TCP connect, (implicit TLS), greeting,
 * EHLO (HELO fallback), STARTTLS and the handshake, EHLO again, AUTH when
 * credentials are given, MAIL and RCPT when a recipient is given (never
 * DATA), RSET and QUIT. Each stage has a name, a phrase for users and a
 * timeout of its own; the stage timer bounds the whole stage, so a server
 * that drips one byte a second cannot hold the session.
 *
 * Every failure is described where it happens: which stage, what kind
 * (refused, reset, closed, timeout, protocol, a reply, a TLS failure),
 * errno, the reply with its enhanced code, TLS alert and reason. The
 * session does not name causes: diag/ and send/ hand these facts to the
 * classifier.
 *
 * smtp_session_start() either returns NULL (never calls back) or calls
 * the done callback exactly once, from the event loop, never from inside
 * smtp_session_start(). The callback may free the session. Freeing a
 * running session cancels it without a callback.
 */
#ifndef MXDOC_SMTP_SESSION_H
#define MXDOC_SMTP_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "smtp/ehlo.h"
#include "tls/tls.h"

struct event_base;
struct smtp_session;

enum smtp_stage {
	SMTP_S_CONNECT,
	SMTP_S_GREETING,
	SMTP_S_EHLO,
	SMTP_S_HELO,
	SMTP_S_STARTTLS,
	SMTP_S_TLS,
	SMTP_S_EHLO_TLS,
	SMTP_S_AUTH,
	SMTP_S_MAIL,
	SMTP_S_RCPT,
	SMTP_S_RSET,
	SMTP_S_QUIT,
	SMTP_S_NUM
};

enum smtp_fail {
	SMTP_F_NONE,
	SMTP_F_REFUSED,		/* ECONNREFUSED at connect */
	SMTP_F_UNREACHABLE,	/* ENETUNREACH, EHOSTUNREACH */
	SMTP_F_CONNECT_TIMEOUT,
	SMTP_F_TIMEOUT,		/* no complete reply within the stage's time */
	SMTP_F_RESET,		/* ECONNRESET, EPIPE */
	SMTP_F_CLOSED,		/* EOF before a reply was complete */
	SMTP_F_PROTOCOL,	/* garbage, overlong line, too many lines */
	SMTP_F_REPLY,		/* a 4xx or 5xx reply ended the session */
	SMTP_F_NO_STARTTLS,	/* TLS required but not offered */
	SMTP_F_TLS,		/* the handshake failed */
	SMTP_F_TLS_TIMEOUT,	/* the handshake did not finish in time */
	SMTP_F_NO_AUTH,		/* AUTH wanted but no usable mechanism */
	SMTP_F_LOCAL,		/* socket(), bind() and other local errors */
};

enum smtp_tls_mode {
	SMTP_TLS_NONE,		/* never STARTTLS */
	SMTP_TLS_OPPORTUNISTIC,	/* STARTTLS when offered (MX) */
	SMTP_TLS_REQUIRED,	/* STARTTLS or fail (submission) */
	SMTP_TLS_IMPLICIT,	/* TLS from the first byte (smtps) */
};

enum smtp_phase_status {
	SMTP_PH_SKIPPED,
	SMTP_PH_OK,
	SMTP_PH_FAILED,
};

struct smtp_phase {
	enum smtp_phase_status	 status;
	int64_t			 start_us, end_us;	/* monotonic */
	int			 code;		/* reply code or 0 */
	char			 esc[16];
	char			*text;		/* reply text, owned, or NULL */
	char			*error;		/* what went wrong, owned, or NULL */
};

struct smtp_line {
	int64_t	 t_us;		/* since the session started */
	char	 dir;		/* '>' sent, '<' received, '*' event */
	char	*text;		/* owned, bounded, printable */
};

#define SMTP_TRANSCRIPT_MAX	400

struct smtp_params {
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	struct sockaddr_storage	 source;	/* family 0: let the kernel pick */
	socklen_t		 sourcelen;
	const char		*helo;		/* EHLO name */
	const char		*server_name;	/* SNI and name check; may be NULL */
	enum smtp_tls_mode	 tls_mode;
	struct tls_ctx		*tls;		/* required unless tls_mode NONE */
	const char		*mail_from;	/* "" for <>; used when rcpt set */
	const char		*rcpt;		/* NULL: stop after EHLO */
	const char		*auth_user;	/* NULL: no AUTH */
	const char		*auth_pass;
	int			 timeout_ms[SMTP_S_NUM];	/* 0: default */
};

struct smtp_result {
	struct smtp_phase	 phase[SMTP_S_NUM];
	enum smtp_fail		 fail;
	enum smtp_stage		 fail_stage;	/* valid when fail != NONE */
	int			 sys_errno;
	/* The reply that ended the session (fail == REPLY), else the last. */
	int			 code;
	char			 esc[16];
	char			*text;
	bool			 have_ehlo, have_ehlo_tls;
	struct smtp_ehlo	 ehlo, ehlo_tls;
	bool			 tls_offered;	/* STARTTLS in EHLO */
	struct tls_facts	 tls;
	int			 nlines;
	struct smtp_line	 line[SMTP_TRANSCRIPT_MAX];
	bool			 transcript_truncated;
	int64_t			 start_us;
};

typedef void (*smtp_done_cb)(void *arg, struct smtp_session *s);

struct smtp_session	*smtp_session_start(struct event_base *base,
			    const struct smtp_params *p, smtp_done_cb cb,
			    void *arg);
struct smtp_session	*smtp_session_free(struct smtp_session *s);
/* Stops a running session now, recording a timeout with reason in the
 * current stage; no callback follows, not even the pending one of a
 * session that had just finished (whose results stay as they were). */
void			 smtp_session_abort(struct smtp_session *s,
			    const char *reason);
const struct smtp_result *smtp_session_result(const struct smtp_session *s);

const char	*smtp_stage_name(enum smtp_stage st);	/* "greeting" */
const char	*smtp_stage_phrase(enum smtp_stage st);	/* "waiting for the greeting" */
int		 smtp_stage_default_timeout_ms(enum smtp_stage st);
const char	*smtp_fail_name(enum smtp_fail f);	/* "reset" */

#endif
