/*
 * test_classify.c - the reply rules against real reply texts.
 *
 * The replies are the reply catalogue's (providers' NDR tables and postmaster
 * pages, MTA sources, public logs), verbatim but for addresses. Each row
 * names the cause the reply must get and, where a provider rule is meant to
 * catch it, the provider: a generic rule catching a provider's reply would
 * lose the provider's note. The catalogue's corrections are pinned here
 * (Yahoo's TSS04 is throttling, Microsoft's 4.7.66 is TLS, 4.7.500-699 is
 * reputation...), so a rule edit cannot undo them.
 */
#include "harness.h"

#include "classify/classify.h"

#include <stdlib.h>
#include <string.h>

struct reply_case {
	int		 code;
	const char	*esc;
	const char	*text;
	const char	*cause;
	const char	*provider;	/* NULL: any (generic is fine) */
};

static const struct reply_case replies[] = {
	/* Microsoft */
	{ 421, "4.4.2", "Connection dropped due to SocketError",
	  "smtp.connection_dropped", "Microsoft" },
	{ 451, "5.7.3", "Must issue a STARTTLS command first",
	  "tls.unavailable", NULL },
	{ 421, "4.7.66", "TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.",
	  "tls.handshake_failed", "Microsoft" },
	{ 550, "5.7.67", "TLS 1.0 and 1.1 are not supported by your organization",
	  "tls.handshake_failed", "Microsoft" },
	{ 451, "4.7.500", "Server busy. Please try again later from [192.0.2.1]. (S77714) [AM4PEPF00025F9B.EURPRD83.prod.outlook.com]",
	  "smtp.throttled", "Microsoft" },
	{ 451, "4.7.500", "Access denied, please try again later. For more information please go to https://go.microsoft.com/fwlink/?LinkId=526653. (AS761) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
	  "smtp.reputation", "Microsoft" },
	{ 451, "4.7.650", "The mail server [192.0.2.1] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S843)",
	  "smtp.reputation", "Microsoft" },
	{ 451, "4.7.852", "Access denied, please try again later",
	  "smtp.reputation", "Microsoft" },
	{ 421, "", "RP-001 (BAY004-MC1F23) Unfortunately, some messages from 192.0.2.1 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
	  "smtp.throttled", "Microsoft" },
	{ 421, "", "The mail server 192.0.2.1 has exceeded the maximum number of connections.",
	  "smtp.throttled", "Microsoft" },
	{ 421, "", "Connection refused from 192.0.2.1 due to exceed max concurrent connections. IB007",
	  "smtp.throttled", "Microsoft" },
	{ 451, "", "Temporary server error. Please try again later. PRX4",
	  "smtp.server_busy", "Microsoft" },
	{ 452, "4.5.3", "Recipients belong to multiple regions ATTR38",
	  "smtp.message", "Microsoft" },
	{ 432, "4.3.2", "STOREDRV.Deliver; recipient thread limit exceeded",
	  "smtp.throttled", "Microsoft" },
	{ 450, "4.4.312", "DNS query failed", "dns.failure", "Microsoft" },
	{ 450, "4.4.315", "Connection timed out", "net.connect_timeout",
	  "Microsoft" },
	{ 450, "4.4.316", "Connection refused [Message=Socket error code 10061]",
	  "net.refused", "Microsoft" },
	{ 450, "4.4.317", "Cannot connect to remote server",
	  "tls.unavailable", "Microsoft" },
	{ 450, "4.4.318", "Connection was closed abruptly", "net.closed",
	  "Microsoft" },
	{ 450, "4.7.320", "Certificate validation failed", "tls.certificate",
	  "Microsoft" },
	{ 450, "4.7.321", "starttls-not-supported", "tls.unavailable",
	  "Microsoft" },
	{ 450, "4.7.322", "certificate-expired", "tls.certificate",
	  "Microsoft" },
	{ 450, "4.7.324", "dnssec-invalid", "dns.dnssec_bogus", "Microsoft" },
	{ 450, "4.7.325", "certificate-host-mismatch", "tls.certificate",
	  "Microsoft" },
	{ 450, "4.7.5", "Remote certificate failed MTA-STS validation. Reason: certificate-name-mismatch",
	  "tls.certificate", NULL },
	{ 450, "4.7.26", "Access denied, a message sent over IPv6 [2001:db8::1] must pass either SPF or DKIM validation, this message is not signed",
	  "smtp.unauthenticated", NULL },
	{ 441, "4.4.1", "Error encountered while communicating with primary target IP address: \"Failed to connect. Winsock error code: 10060, Win32 error code: 10060.\" Attempted failover to alternate host, but that did not succeed.",
	  "net.connect_timeout", "Microsoft" },
	{ 451, "4.4.0", "Primary target IP address responded with: \"550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org\" Attempted failover to alternate host, but that did not succeed.",
	  "smtp.blocklisted", NULL },
	{ 550, "5.4.7", "QUEUE.Expired; message expired", "smtp.temporary",
	  "Microsoft" },
	{ 421, "4.4.2", "Message submission rate for this client has exceeded the configured limit",
	  "smtp.throttled", "Microsoft" },
	{ 421, "4.3.2", "The maximum number of concurrent server connections has exceeded a per-source limit, closing transmission channel",
	  "smtp.throttled", "Microsoft" },
	{ 421, "4.3.2", "The maximum number of concurrent connections has exceeded a limit, closing transmission channel",
	  "smtp.server_busy", "Microsoft" },
	{ 452, "4.3.1", "Insufficient system resources", "smtp.server_busy",
	  NULL },
	{ 550, "5.6.11", "SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be sent via DATA",
	  "smtp.message", "Microsoft" },
	{ 550, "5.1.10", "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
	  "smtp.recipient", "Microsoft" },
	{ 550, "5.7.1", "Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).",
	  "smtp.reputation", "Microsoft" },

	/* Google */
	{ 421, "4.7.0", "[192.0.2.1] Our system has detected that this message is suspicious due to the very low reputation of the sending domain. To best protect our users from spam, the message has been blocked. - gsmtp",
	  "smtp.reputation", "Google" },
	{ 421, "4.7.0", "[192.0.2.1] Our system has detected that this message is\n4.7.0 suspicious due to the nature of the content and/or the links within.",
	  "smtp.reputation", "Google" },
	{ 421, "4.7.28", "[192.0.2.1] Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited. Please visit https://support.google.com/mail/?p=UnsolicitedRateLimitError",
	  "smtp.reputation", "Google" },
	{ 421, "4.7.28", "Gmail has detected an unusual rate of unsolicited mail originating from your DKIM domain",
	  "smtp.reputation", "Google" },
	{ 421, "4.7.0", "Try again later, closing connection.",
	  "smtp.server_busy", "Google" },
	{ 421, "4.7.0", "TLS required for RCPT domain, closing connection.",
	  "tls.unavailable", "Google" },
	{ 421, "4.7.0", "IP not in whitelist for RCPT domain, closing connection.",
	  "smtp.message", "Google" },
	{ 421, "4.3.0", "Temporary System Problem. Try again later",
	  "smtp.server_busy", "Google" },
	{ 421, "4.4.5", "Server busy, try again later.", "smtp.server_busy",
	  "Google" },
	{ 450, "4.2.1", "The user you are trying to contact is receiving mail too quickly. Please resend your message at a later time.",
	  "smtp.throttled", NULL },
	{ 450, "4.2.1", "The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered.",
	  "smtp.throttled", "Google" },
	{ 450, "4.2.1", "Peak SMTP relay limit exceeded", "smtp.throttled",
	  "Google" },
	{ 451, "4.4.2", "Timeout - closing connection.", "net.timeout",
	  "Google" },
	{ 451, "4.3.0", "Multiple destination domains per transaction is unsupported.",
	  "smtp.message", "Google" },
	{ 452, "4.5.3", "Your message has too many recipients.",
	  "smtp.message", NULL },
	{ 452, "4.2.2", "The email account that you tried to reach is over quota.",
	  "smtp.recipient", NULL },
	{ 454, "4.5.0", "SMTP protocol violation, no commands allowed to pipeline after STARTTLS, see RFC 3207.",
	  "smtp.protocol", "Google" },
	{ 550, "5.7.26", "This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.",
	  "smtp.unauthenticated", NULL },
	{ 421, "4.7.27", "Your email has been rate limited because SPF authentication didn't pass for this message.",
	  "smtp.unauthenticated", NULL },
	{ 550, "5.7.1", "[2001:db8::1] Our system has detected that this message does not meet IPv6 sending guidelines regarding PTR records and authentication. Please review https://support.google.com/mail/?p=IPv6AuthError",
	  "smtp.reputation", "Google" },
	{ 550, "5.7.25", "The IP address sending this message does not have a PTR record setup, or the corresponding forward DNS entry does not point to the sending IP.",
	  "smtp.reputation", "Google" },
	{ 550, "5.1.1", "The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
	  "smtp.recipient", "Google" },

	/* Yahoo and AOL */
	{ 421, "4.7.0", "[TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
	  "smtp.throttled", "Yahoo" },
	{ 421, "", "[IPTS04] Messages from 192.0.2.1 temporarily deferred",
	  "smtp.throttled", "Yahoo" },
	{ 421, "4.7.0", "[TS01] Messages from 192.0.2.1 temporarily deferred due to user complaints - 4.16.55.1; see http://postmaster.yahoo.com/421-ts01.html",
	  "smtp.reputation", "Yahoo" },
	{ 421, "4.7.1", "[TS03] All messages from 192.0.2.1 permanently deferred; Retrying will NOT succeed.",
	  "smtp.reputation", "Yahoo" },
	{ 421, "", "Max message per connection reached, closing transmission channel",
	  "smtp.throttled", "Yahoo" },
	{ 553, "5.7.1", "[BL21] Connections will not be accepted from 192.0.2.1, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
	  "smtp.blocklisted", "Yahoo" },
	{ 553, "", "Mail from 192.0.2.1 not allowed - VS98-IP0 deferred",
	  "smtp.reputation", "Yahoo" },
	{ 421, "", "mtaig-aae02.mx.aol.com Service unavailable - try again later DYN:T1",
	  "smtp.throttled", "AOL" },
	{ 421, "", "mtaig-mae02.mx.aol.com Service unavailable - try again later CON:B1",
	  "smtp.blocklisted", "AOL" },

	/* Apple, Comcast, Mimecast, Proofpoint, others */
	{ 421, "", "[HCM1] Your mail from 192.0.2.1 was deferred.",
	  "smtp.reputation", "Apple" },
	{ 451, "", "[BS02] Temporary server error. Please try again later.",
	  "smtp.server_busy", "Apple" },
	{ 421, "", "- [Too many sessions opened]", "smtp.throttled", "Comcast" },
	{ 421, "", "- [Reverse DNS failure : Try again later]",
	  "smtp.reputation", "Comcast" },
	{ 421, "4.1.0", "192.0.2.1 Throttled - try again later. Please see https://postmaster.comcast.net/smtp-error-codes.php#RL000001",
	  "smtp.throttled", "Comcast" },
	{ 554, "", "resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 192.0.2.1 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001",
	  "smtp.blocklisted", "Comcast" },
	{ 421, "", "Sender address blocked", "smtp.message", "Mimecast" },
	{ 421, "", "Unable to process connection at this time",
	  "smtp.server_busy", "Mimecast" },
	{ 451, "", "Internal resource temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451 [wNbL4bJpMkOhbFPXLj5rfw.us32]",
	  "smtp.greylisted", "Mimecast" },
	{ 554, "5.7.0", "Blocked - see https://ipcheck.proofpoint.com/?ip=192.0.2.1",
	  "smtp.reputation", "Proofpoint" },
	{ 550, "", "Ip frequency limited", "smtp.throttled", "Tencent" },
	{ 421, "", "Too many connections", "smtp.server_busy", NULL },
	{ 421, "4.7.0", "Too many concurrent connections", "smtp.throttled",
	  NULL },
	{ 421, "4.5.1", "Too many errors, you have been temporarily blacklisted",
	  "smtp.throttled", "SocketLabs" },
	{ 550, "", "mwinf5c10 ME Client host blocked for spamming issues. Please see https://csi.cloudmark.com/reset-request",
	  "smtp.blocklisted", NULL },

	/* Receiving MTAs */
	{ 421, "4.4.2", "mx.example.com Error: timeout exceeded", "net.timeout",
	  "Postfix" },
	{ 421, "4.7.0", "mx.example.com Error: too many connections from 192.0.2.1",
	  "smtp.throttled", "Postfix" },
	{ 450, "4.7.1", "Error: too much mail from 192.0.2.1",
	  "smtp.throttled", "Postfix" },
	{ 421, "4.3.2", "All server ports are busy", "smtp.server_busy",
	  "Postfix" },
	{ 450, "4.7.1", "Client host rejected: cannot find your hostname, [192.0.2.1]",
	  "smtp.reputation", "Postfix" },
	{ 450, "4.2.0", "<user@example.com>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.com.html",
	  "smtp.greylisted", NULL },
	{ 452, "4.3.1", "Insufficient system storage", "smtp.server_busy",
	  NULL },
	{ 421, "", "Too many concurrent SMTP connections from this IP address; please try again later.",
	  "smtp.throttled", NULL },
	{ 421, "", "Too many concurrent SMTP connections; please try again later.",
	  "smtp.server_busy", NULL },
	{ 421, "", "mx.example.com: SMTP command timeout - closing connection",
	  "net.timeout", NULL },
	{ 421, "4.3.2", "Connection rate limit exceeded.", "smtp.throttled",
	  NULL },
	{ 554, "5.7.1", "<user@example.org>: Relay access denied",
	  "smtp.relay_denied", NULL },
	{ 550, "5.7.1", "Unable to relay for user@example.org",
	  "smtp.relay_denied", NULL },
	{ 550, "", "relay not permitted", "smtp.relay_denied", NULL },
	{ 554, "5.7.1", "Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/192.0.2.1",
	  "smtp.blocklisted", NULL },
	{ 550, "", "Rejected because 192.0.2.1 is listed at bl.spamcop.net",
	  "smtp.blocklisted", NULL },
	{ 554, "", "Service unavailable; Client host [192.0.2.1] blocked using b.barracudacentral.org",
	  "smtp.blocklisted", NULL },
	{ 450, "4.7.1", "<user@example.com>: Recipient address rejected: Greylisting in action, please come back later",
	  "smtp.greylisted", NULL },
	{ 451, "4.7.1", "Please try again later (greylisted)",
	  "smtp.greylisted", NULL },
	{ 550, "5.1.1", "<nobody@example.com>: Recipient address rejected: User unknown in virtual mailbox table",
	  "smtp.recipient", NULL },
	{ 552, "5.2.2", "Mailbox full", "smtp.recipient", NULL },
	{ 552, "5.3.4", "Message size exceeds fixed limit", "smtp.message",
	  NULL },
	{ 535, "5.7.8", "Error: authentication failed: authentication failure",
	  "smtp.auth_failed", NULL },
	{ 530, "5.7.0", "Must issue a STARTTLS command first",
	  "tls.unavailable", NULL },
	{ 550, "5.7.1", "SPF check failed: the sender IP is not authorized to send for example.com",
	  "smtp.unauthenticated", NULL },
	{ 550, "5.7.1", "Unauthenticated email from example.com is not accepted due to domain's DMARC policy.",
	  "smtp.unauthenticated", NULL },
	{ 421, "", "Service not available, closing transmission channel",
	  "smtp.server_busy", NULL },

	/* Enhanced status code alone, and the class fallbacks */
	{ 550, "5.1.1", "No", "smtp.recipient", NULL },
	{ 550, "5.7.26", "No", "smtp.unauthenticated", NULL },
	{ 421, "4.4.2", "Bye", "smtp.connection_dropped", NULL },
	{ 535, "5.7.8", "No", "smtp.auth_failed", NULL },
	{ 452, "4.2.2", "No", "smtp.recipient", NULL },
	{ 552, "5.3.4", "No", "smtp.message", NULL },
	{ 451, "4.3.2", "No", "smtp.server_busy", NULL },
	{ 250, "2.0.0", "Ok: queued as 4BDC31234", "ok", NULL },
	{ 250, "", "OK", "ok", NULL },
	{ 450, "", "Not now", "smtp.temporary", NULL },
	{ 554, "", "No", "smtp.permanent", NULL },
	{ 554, "", "", "smtp.permanent", NULL },
	{ 451, NULL, NULL, "smtp.temporary", NULL },
	{ 0, "5.7.8", "", "smtp.auth_failed", NULL },
	{ 0, "", "", "smtp.temporary", NULL },
	{ 700, "", "Ok", "smtp.protocol", NULL },
	{ 199, "", "Ok", "smtp.protocol", NULL },
};

struct text_case {
	const char	*text;
	const char	*cause;
};

/* Free text as logs and bounces quote it: the code is found in the text. */
static const struct text_case texts[] = {
	{ "host gmail-smtp-in.l.google.com[192.0.2.1] said: 550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos or\n550 5.1.1 unnecessary spaces. (in reply to RCPT TO command)",
	  "smtp.recipient" },
	{ "host mx.example.com[192.0.2.1] refused to talk to me: 421 4.7.0 mx.example.com Error: too many connections from 192.0.2.2",
	  "smtp.throttled" },
	{ "host mta7.am0.yahoodns.net[192.0.2.1] said: 421 4.7.0 [TSS04] Messages from 192.0.2.2 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes (in reply to MAIL FROM command)",
	  "smtp.throttled" },
	{ "SMTP error from remote mail server after end of data: host aspmx.l.google.com [2001:db8::1]: 550-5.7.1 [2001:db8::2] Our system has detected that this message does not meet IPv6 sending guidelines regarding PTR records and authentication.",
	  "smtp.reputation" },
	{ "Diagnostic-Code: smtp; 550 5.1.1 <kijitora@example.jp>... User Unknown",
	  "smtp.recipient" },
	{ "Diagnostic-Code: SMTP; 550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
	  "smtp.blocklisted" },
	{ "lost connection with mx.example.com[192.0.2.1] while sending RCPT TO",
	  "smtp.connection_dropped" },
	{ "connect to mx.example.com[192.0.2.1]:25: Connection timed out",
	  "net.connect_timeout" },
	{ "connect to mx.example.com[192.0.2.1]:25: Connection refused",
	  "net.refused" },
	{ "connect to mx.example.com[2001:db8::1]:25: Network is unreachable",
	  "net.unreachable" },
	{ "conversation with mx00.example.net[192.0.2.1] timed out while receiving the initial server greeting",
	  "net.timeout" },
	{ "SSL_connect error to mx.example.com[192.0.2.1]:25: lost connection",
	  "tls.handshake_failed" },
	{ "Host or domain name not found. Name service error for name=example.invalid type=MX: Host not found, try again",
	  "dns.failure" },
	{ "Host or domain name not found. Name service error for name=example.invalid type=A: Host not found",
	  "dns.nxdomain" },
	{ "TLS is required, but was not offered by host mx.example.com[192.0.2.1]",
	  "tls.unavailable" },
	{ "Sorry, no mailbox here by that name. (#5.1.1)", "smtp.recipient" },
	{ "Sorry, I couldn't find any host named example.invalid. (#5.1.2)",
	  "dns.nxdomain" },
	{ "451 4.4.0 Primary target IP address responded with: \"421 4.4.2 Connection dropped due to SocketError\" Attempted failover to alternate host, but that did not succeed.",
	  "smtp.connection_dropped" },
	{ "550 4.7.1 Spam detected", "smtp.message" },
	{ "Status: 5.2.2", "smtp.recipient" },
	{ "250 2.0.0 Ok: queued as ABC", "ok" },
	{ "", "smtp.temporary" },
	{ "mail for example.com loops back to myself", "local.config" },
	{ "451 4.4.0 Primary target IP address responded with: \"421 4.2.1 Unable to connect.\" Attempted failover to alternate host, but that did not succeed.",
	  "net.connect_timeout" },
	{ "host mx.example.com[192.0.2.1] said: 541 5.4.1 Content blocked by Internal Firewall (in reply to end of DATA command)",
	  "smtp.message" },
	{ "Diagnostic-Code: X-Unix; 255\nStatus: 5.0.0", "smtp.recipient" },
	{ "Diagnostic-Code: smtp; 550 #5.1.0 Address rejected.\nStatus: 5.0.0",
	  "smtp.recipient" },
	{ "KumoMTA internal: failed to connect to any candidate hosts: All failures are related to OpportunisticInsecure STARTTLS. Consider setting enable_tls=Disabled for this site",
	  "tls.handshake_failed" },
	{ "Domain example.com does not accept mail (nullMX)", "dns.no_mail" },
};

static void
test_load(void)
{
	const char *err = NULL;
	int n = classify_load(&err);

	CHECK(n >= 150);
	CHECK(err == NULL);
	if (n < 0)
		fprintf(stderr, "rules: %s\n", err);
	/* Loading twice is a no-op. */
	CHECK_INT(classify_load(&err), n);
}

static void
test_replies(void)
{
	struct classify_result r;
	size_t i, n = sizeof(replies) / sizeof(replies[0]);
	int ok;

	CHECK(n >= 80);
	for (i = 0; i < n; i++) {
		const struct reply_case *c = &replies[i];

		memset(&r, 0, sizeof(r));
		classify_reply(c->code, c->esc, c->text,
		    c->text != NULL ? strlen(c->text) : 0, &r);
		ok = r.cause != NULL && strcmp(r.cause->id, c->cause) == 0 &&
		    (c->provider == NULL || (r.provider != NULL &&
		    strcmp(r.provider, c->provider) == 0));
		if (!ok)
			fprintf(stderr, "reply %zu: %d %s \"%.60s\": got %s "
			    "(rule %s, %s), want %s (%s)\n", i, c->code,
			    c->esc ? c->esc : "-", c->text ? c->text : "",
			    r.cause ? r.cause->id : "(null)",
			    r.rule ? r.rule : "-",
			    r.provider ? r.provider : "generic", c->cause,
			    c->provider ? c->provider : "any");
		CHECK(ok);
		CHECK(r.rule != NULL);
	}
}

static void
test_texts(void)
{
	struct classify_result r;
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&r, 0, sizeof(r));
		classify_text(texts[i].text, strlen(texts[i].text), &r);
		if (r.cause == NULL || strcmp(r.cause->id, texts[i].cause) != 0)
			fprintf(stderr, "text %zu \"%.60s\": got %s (rule %s), "
			    "want %s\n", i, texts[i].text,
			    r.cause ? r.cause->id : "(null)",
			    r.rule ? r.rule : "-", texts[i].cause);
		CHECK(r.cause != NULL && strcmp(r.cause->id,
		    texts[i].cause) == 0);
	}
}

/* The same reply seen live, in a Postfix log and in a bounce gets one name:
 * DESIGN.md's promise for diagnose, logs and send. */
static void
test_same_name(void)
{
	static const char *const live = "[TSS04] Messages from 192.0.2.1 "
	    "temporarily deferred due to unexpected volume or user complaints";
	static const char *const logged = "host mta5.am0.yahoodns.net"
	    "[192.0.2.5] said: 421 4.7.0 [TSS04] Messages from 192.0.2.1 "
	    "temporarily deferred due to unexpected volume or user complaints"
	    " (in reply to MAIL FROM command)";
	struct classify_result a, b;

	classify_reply(421, "4.7.0", live, strlen(live), &a);
	classify_text(logged, strlen(logged), &b);
	CHECK(a.cause == b.cause);
	CHECK_STR(a.rule, b.rule);
	CHECK_STR(a.rule, "yahoo.tss04");
	CHECK_STR(a.provider, "Yahoo");
	CHECK(a.note != NULL && strlen(a.note) > 10);
}

/* Arbitrary bytes: NULs, control bytes, a text far over the cap. */
static void
test_hostile(void)
{
	struct classify_result r;
	char *big;
	size_t n = 100000, i;
	static const char nul[] = "550 5.1.1 User\0unknown\x01\x7f";

	classify_text(nul, sizeof(nul) - 1, &r);
	CHECK_STR(r.cause->id, "smtp.recipient");
	classify_reply(550, "5.1.1", nul, sizeof(nul) - 1, &r);
	CHECK_STR(r.cause->id, "smtp.recipient");

	big = malloc(n);
	CHECK(big != NULL);
	if (big == NULL)
		return;
	for (i = 0; i < n; i++)
		big[i] = (char)("a5 0.\n-"[i % 7]);
	memcpy(big, "421 4.7.0 ", 10);
	classify_text(big, n, &r);
	CHECK(r.cause != NULL);
	classify_reply(421, "4.7.0", big, n, &r);
	CHECK(r.cause != NULL);
	/* The phrase past 16 KiB is not seen: the cap is real. */
	memset(big, ' ', n);
	memcpy(big, "421 ", 4);
	memcpy(big + 20000, "Relay access denied", 19);
	classify_text(big, n, &r);
	CHECK_STR(r.cause->id, "smtp.temporary");
	memcpy(big + 100, "Relay access denied", 19);
	classify_text(big, n, &r);
	CHECK_STR(r.cause->id, "smtp.relay_denied");
	free(big);
}

static void
test_check(void)
{
	static const struct {
		const char	*text;
		int		 want;
		const char	*err;	/* substring of the error */
	} cases[] = {
		{ "# comment\n\na\t-\tok\t2xx\t*\t*\tfine\n", 1, NULL },
		{ "a\t-\tok\t2xx\t*\t*\tfine\nb\tX\tok\t*\t*\tfoo|bar\tnote\n",
		  2, NULL },
		{ "a\t-\tok\t2xx\t*\t*\n", -1, ":1: 6 fields" },
		{ "\n\na\t-\tnope\t2xx\t*\t*\tn\n", -1, ":3: unknown cause" },
		{ "a\t-\tok\t2xx\t*\t(\tn\n", -1, ":1: regex" },
		{ "a\t-\tok\t4yy\t*\t*\tn\n", -1, ":1: bad codes" },
		{ "a\t-\tok\t*\t4.a.1\t*\tn\n", -1, ":1: bad esc" },
		{ "a\t-\tok\t*\t*\t*\tn\na\t-\tok\t*\t*\t*\tn\n", -1,
		  ":2: duplicate" },
		{ "a\t-\tok\t*\t\t*\tn\n", -1, "empty" },
		{ "# only comments\n", -1, "no rules" },
		{ "a\t-\tok\t*\t*\t*\tn\tx\n", -1, "8 fields" },
	};
	char err[256];
	size_t i;
	int got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		got = classify_check(cases[i].text, strlen(cases[i].text),
		    err, sizeof(err));
		CHECK_INT(got, cases[i].want);
		if (cases[i].err != NULL) {
			if (strstr(err, cases[i].err) == NULL)
				fprintf(stderr, "check %zu: \"%s\"\n", i, err);
			CHECK(strstr(err, cases[i].err) != NULL);
		}
	}
}

void
run_tests(void)
{
	test_load();
	test_replies();
	test_texts();
	test_same_name();
	test_hostile();
	test_check();
}
