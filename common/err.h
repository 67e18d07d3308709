/*
 * Error reporting and exit statuses shared by every bkpipe program.
 *
 * Messages go to stderr as "prog: message". A format that ends in ':' gets
 * ": strerror(errno)" appended. Functions return errors; main() decides the
 * exit status, using the names below (DESIGN.md "Exit status").
 */
#ifndef BKPIPE_ERR_H
#define BKPIPE_ERR_H

enum {
	EXIT_OK = 0,
	EXIT_DATA = 1,		/* the data or the server said no */
	EXIT_USAGE = 2,		/* bad option, missing configuration */
	EXIT_TRANSIENT = 3,	/* network, 5xx, timeouts after the retries */
};

/* The program name used as the message prefix; set once from argv[0]. */
extern const char *prog;

void err_init(const char *argv0);
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die(int status, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Worse of two exit statuses, for "keep the worst status across operands". */
int status_worst(int a, int b);

#endif
